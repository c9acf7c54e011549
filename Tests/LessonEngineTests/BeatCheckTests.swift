import Foundation
import XCTest
@testable import LessonEngine
import Models
import TensorCore
import UnrolledTestSupport

/// Narration beats are checked against the model's op labels when a lesson is loaded (issue
/// #24), on a miniature of the model: its labels must be the real step's.
final class BeatCheckTests: XCTestCase {
    static let lessons = FingerprintTests.root.appendingPathComponent("lessons").path

    /// Every phase and label of the miniature step is one of the real step's, and the other way
    /// round, up to the sizes and rating range written into a few labels: the miniature checks
    /// what a recorded step would.
    func testTheMiniatureStepHasTheRealStepsLabels() throws {
        let corpus = try TestCorpus.path()
        for lesson in try Catalog(directory: BeatCheckTests.lessons).all() {
            var options = RunOptions()
            options.corpusPath = corpus
            options.ratings.synthetic = true
            options.ratings.syntheticConfig = .small()
            let real = try Replay.record(lesson: lesson, options: options, batch: 4, level: .summary)
            func labels(_ events: [TraceEvent]) -> Set<String> { Set(events.map { "\($0.phase.rawValue) \(Lesson.withoutSizes($0.label))" }) }
            XCTAssertEqual(labels(try Replay.miniatureStep(lesson)), labels(real.events), lesson.id)
        }
    }

    func testSizesAreTheOnlyNumbersLeftOut() {
        XCTAssertEqual(Lesson.withoutSizes("reshape(h8, [1, 512, 256])"), "reshape(h8, [#, #, #])")
        XCTAssertEqual(Lesson.withoutSizes("sigmoid(outp(x))*4.5"), "sigmoid(outp(x))*#")
        for kept in ["ih7+rnn.hh(h6)", "bns.0.running_mean*0.9", "σ²(conts)+1e-05", "l_in(e(c1))"] where !kept.contains("*0.9") {
            XCTAssertEqual(Lesson.withoutSizes(kept), kept)
        }
        XCTAssertEqual(Lesson.withoutSizes("bns.0.running_mean*0.9"), "bns.0.running_mean*#")
    }

    func testAMisspeltBeatIsRefusedWhenTheLessonIsLoaded() throws {
        let dir = NSTemporaryDirectory() + "unrolled-beats-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = try String(contentsOfFile: BeatCheckTests.lessons + "/05-char-rnn.yaml", encoding: .utf8)
        XCTAssertTrue(good.contains("  - at: loss\n"))
        let path = dir + "/bad.yaml"
        try good.replacingOccurrences(of: "  - at: loss\n", with: "  - at: losss\n").write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Catalog(directory: dir).lesson(path)) { error in
            XCTAssertEqual((error as? InputError)?.message,
                           "lesson \(path): beats[\(self.index(of: "losss", in: path))].at 'losss' is not the label of any forward op of char-rnn's step (did you mean 'loss'?)")
        }
        XCTAssertNoThrow(try Catalog(directory: BeatCheckTests.lessons).lesson("char-rnn"))
    }

    func index(of at: String, in path: String) -> Int {
        (try? Lesson.load(path: path).beats.firstIndex { $0.at == at }) .flatMap { $0 } ?? -1
    }
}
