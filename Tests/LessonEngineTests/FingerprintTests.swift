import Foundation
import XCTest
@testable import LessonEngine
import Models

/// The regression guard: one recorded training step per lesson (seed 42, batch 4), its
/// statistics to 6 significant digits, compared with the committed fingerprint. A change in any
/// op, model or optimizer shows up here as the first line that moved. Re-record deliberately
/// with UNROLLED_RECORD_SNAPSHOTS=1.
final class FingerprintTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func check(_ id: String, needsCorpus: Bool = true) throws {
        let corpus = FingerprintTests.root.deletingLastPathComponent().appendingPathComponent("shared/data/nietzsche.txt").path
        if needsCorpus && !FileManager.default.fileExists(atPath: corpus) {
            if ProcessInfo.processInfo.environment["UNROLLED_REQUIRE_CORPUS"] != nil { XCTFail("corpus missing at \(corpus)") }
            throw XCTSkip("corpus not found at \(corpus)")
        }
        let lesson = try Catalog(directory: FingerprintTests.root.appendingPathComponent("lessons").path).lesson(id)
        var options = RunOptions()
        options.corpusPath = corpus
        let replay = try Replay.record(lesson: lesson, options: options, batch: 4, level: .summary)
        let text = replay.fingerprint()
        let url = FingerprintTests.root.appendingPathComponent("Tests/LessonEngineTests/Fingerprints/\(id).txt")
        if ProcessInfo.processInfo.environment["UNROLLED_RECORD_SNAPSHOTS"] != nil {
            try text.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        let (a, b) = (text.split(separator: "\n"), expected.split(separator: "\n"))
        if let i = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            XCTFail("\(id): first change at event \(i + 1):\n  now:      \(a[i])\n  recorded: \(b[i])")
        }
        XCTAssertEqual(a.count, b.count, "\(id): number of events changed")
    }

    func testLinearSGD() throws { try check("linear-sgd", needsCorpus: false) }
    func testChar3() throws { try check("char3") }
    func testCharLoop() throws { try check("char-loop") }
    func testCharLoopConcat() throws { try check("char-loop-concat") }
    func testCharRnn() throws { try check("char-rnn") }
    func testCharSeqRnn() throws { try check("char-seq-rnn") }
}
