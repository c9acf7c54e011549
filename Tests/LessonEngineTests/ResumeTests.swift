import XCTest
@testable import LessonEngine
import Models
import TensorCore

/// `run --checkpoint` then `run --resume` must end exactly where an uninterrupted run ends:
/// same table rows and the same weights, bit for bit, whichever epoch the run stopped after.
final class ResumeTests: XCTestCase {
    override func tearDown() { Interruption.reset() }

    func bits(_ model: CharModel) -> [String: [UInt32]] {
        Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0.tensor.data.map(\.bitPattern)) })
    }

    func testResumeAfterEveryEpochMatchesUninterruptedRun() throws {
        let lesson = try Tiny.lesson()
        var options = RunOptions()
        options.corpusPath = try Tiny.corpus()
        options.seed = 3
        let (reference, _, referenceRows) = try LessonRunner(lesson: lesson, options: options).runCharModel(say: { _ in })
        // 2.5 + 1.5 epochs: rows 3 + 2, the last of each phase partial.
        XCTAssertEqual(referenceRows.count, 5)

        for stopAfter in 1..<referenceRows.count {
            let dir = Tiny.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            var first = options
            first.checkpointDirectory = dir
            var epochs = 0
            XCTAssertThrowsError(try LessonRunner(lesson: lesson, options: first).runCharModel(say: { _ in }, progress: { event in
                if case .epoch = event { epochs += 1; if epochs == stopAfter { Interruption.request() } }
            })) { error in XCTAssert(error is Interrupted, "\(error)") }
            Interruption.reset()

            var second = options
            second.resume = dir + "/tiny.checkpoint.safetensors"
            let (resumed, _, rows) = try LessonRunner(lesson: lesson, options: second).runCharModel(say: { _ in })
            XCTAssertEqual(rows.map(\.trainLoss.bitPattern), referenceRows.map(\.trainLoss.bitPattern), "stopped after epoch \(stopAfter)")
            XCTAssertEqual(rows.map(\.validLoss.bitPattern), referenceRows.map(\.validLoss.bitPattern), "stopped after epoch \(stopAfter)")
            XCTAssertEqual(bits(resumed), bits(reference), "weights differ after stopping at epoch \(stopAfter)")
        }
    }

    func testResumeRefusesADifferentRun() throws {
        let lesson = try Tiny.lesson(schedule: "  - {optimizer: adam, lr: 1.0e-2, epochs: 1}\n")
        let dir = Tiny.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = RunOptions()
        options.corpusPath = try Tiny.corpus()
        options.checkpointDirectory = dir
        _ = try LessonRunner(lesson: lesson, options: options).runCharModel(say: { _ in })
        var other = options
        other.checkpointDirectory = nil
        other.resume = dir + "/tiny.checkpoint.safetensors"
        other.seed = 7
        XCTAssertThrowsError(try LessonRunner(lesson: lesson, options: other).runCharModel(say: { _ in })) { error in
            XCTAssertEqual((error as? InputError)?.message, "checkpoint \(other.resume!) was made with --seed 42; this run has 7")
        }
    }

    func testGeneratorStateRoundTrips() {
        let a = SeededGenerator(seed: 5)
        _ = a.normal()  // leaves a spare normal deviate in the state
        let saved = a.state
        let expected = (0..<10).map { _ in a.normal() }
        let b = SeededGenerator(seed: 99)
        b.state = saved
        XCTAssertEqual((0..<10).map { _ in b.normal() }, expected)
    }
}
