import XCTest
@testable import LessonEngine
import Models
import TensorCore

/// `step --at-step N` records step N + 1 of the lesson's schedule: the batch `run` would train
/// on and the weights and Adam state after N steps, from scratch or from a checkpoint.
final class ReplayAtStepTests: XCTestCase {
    override func tearDown() { Interruption.reset() }

    func options() throws -> RunOptions {
        var o = RunOptions()
        o.corpusPath = try Tiny.corpus()
        o.seed = 5
        return o
    }

    func testAtStepEqualsResumingFromACheckpointAndCountsAdamSteps() throws {
        let lesson = try Tiny.lesson()
        let opts = try options()
        // Steps in the first epoch of the tiny lesson (batch 64).
        var firstEpochSteps = 0
        let dir = Tiny.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var first = opts
        first.checkpointDirectory = dir
        XCTAssertThrowsError(try LessonRunner(lesson: lesson, options: first).runCharModel(say: { _ in }, progress: { event in
            switch event {
            case .batch(let epoch, _, _, _, _) where epoch == 0: firstEpochSteps += 1
            case .epoch: Interruption.request()
            default: break
            }
        })) { XCTAssert($0 is Interrupted, "\($0)") }
        Interruption.reset()
        XCTAssertGreaterThan(firstEpochSteps, 1)

        // Step firstEpochSteps + 2 two ways: from scratch, and from the checkpoint after epoch 1.
        let fromScratch = try Replay.record(lesson: lesson, options: opts, level: .full, atStep: firstEpochSteps + 1)
        var resumed = opts
        resumed.resume = dir + "/tiny.checkpoint.safetensors"
        let fromCheckpoint = try Replay.record(lesson: lesson, options: resumed, level: .full, atStep: 1)
        XCTAssertEqual(fromScratch.events.count, fromCheckpoint.events.count)
        for (a, b) in zip(fromScratch.events, fromCheckpoint.events) {
            XCTAssertEqual(a.label, b.label)
            XCTAssertEqual(a.attributes, b.attributes)
            XCTAssertEqual(a.outputs.map { $0.values?.map(\.bitPattern) }, b.outputs.map { $0.values?.map(\.bitPattern) }, "\(a.seq) \(a.label)")
        }
        // The update is Adam's step firstEpochSteps + 2, not a fresh optimizer's first.
        let update = try XCTUnwrap(fromScratch.events.first { $0.phase == .update })
        XCTAssertTrue(update.attributes.contains("step=\(firstEpochSteps + 2)"), update.attributes)
        XCTAssertTrue(fromScratch.batchDescription.contains("step \(firstEpochSteps + 2) (epoch 2, phase 1)"), fromScratch.batchDescription)

        // Step 1 recorded the usual way and through the same path with zero steps agree.
        let plain = try Replay.record(lesson: lesson, options: opts, level: .full)
        let update1 = try XCTUnwrap(plain.events.first { $0.phase == .update })
        XCTAssertTrue(update1.attributes.contains("step=1"), update1.attributes)
        XCTAssertNotEqual(plain.events.first?.outputs.first?.values, fromScratch.events.first?.outputs.first?.values,
                          "a later step reads another batch")
    }

    func testAStepPastTheScheduleIsOneLine() throws {
        let lesson = try Tiny.lesson()
        XCTAssertThrowsError(try Replay.record(lesson: lesson, options: try options(), atStep: 1_000_000)) { error in
            XCTAssertTrue("\(error)".contains("the schedule ends before step 1000001"), "\(error)")
        }
    }
}
