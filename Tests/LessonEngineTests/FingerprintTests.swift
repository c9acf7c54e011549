import Foundation
import XCTest
@testable import LessonEngine
import Models
import SnapshotTesting
import UnrolledTestSupport

/// The regression guard: one recorded training step per lesson (seed 42, batch 4), its
/// statistics to 6 significant digits, compared with the committed fingerprint. A change in any
/// op, model or optimizer shows up here as the first line that moved. The recorded fingerprints
/// live in __Snapshots__/FingerprintTests/; re-record deliberately with SNAPSHOT_TESTING_RECORD=all
/// (or =failed: only those outside the tolerance).
///
/// The text is compared line by line: op, phase, labels and shapes exactly, the four statistics
/// numerically, since BLIS rounds differently with its AVX-512 and AVX2 kernels.
final class FingerprintTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func record(_ id: String, needsCorpus: Bool) throws -> (Lesson, Replay) {
        let lesson = try Catalog(directory: FingerprintTests.root.appendingPathComponent("lessons").path).lesson(id)
        var options = RunOptions()
        if needsCorpus { options.corpusPath = try TestCorpus.path() }
        // The collab lesson on the SYNTHETIC set, at test size (no MovieLens download in tests).
        options.ratings.synthetic = true
        options.ratings.syntheticConfig = .small()
        return (lesson, try Replay.record(lesson: lesson, options: options, batch: 4, level: .summary))
    }

    func check(_ id: String, needsCorpus: Bool = true, testName: String = #function) throws {
        let (lesson, replay) = try record(id, needsCorpus: needsCorpus)
        let text = replay.fingerprint()
        var worst: Double?
        // A plain run never writes a snapshot (a missing one fails); only SNAPSHOT_TESTING_RECORD records.
        withSnapshotTesting(record: ProcessInfo.processInfo.environment["SNAPSHOT_TESTING_RECORD"] == nil ? .never : nil) {
            assertSnapshot(of: text, as: .fingerprint { worst = $0 }, named: id, testName: testName)
        }
        if let worst {
            print("fingerprint \(id): \(text.split(separator: "\n").count) events, worst statistic off by \(worst) of its tensor's max|value|")
        }
        // Every narration beat anchored at a label must name an op of this step: a renamed
        // label would otherwise drop its beat silently.
        for beat in lesson.beats {
            guard let at = beat.at else { continue }
            XCTAssertNotNil(beat.anchor(in: replay.events),
                            "\(id): narration beat at '\(at)' (\(beat.phase ?? "forward")) names no op of the recorded step")
        }
    }

    func testLinearSGD() throws { try check("linear-sgd", needsCorpus: false) }
    func testChar3() throws { try check("char3") }
    func testCharLoop() throws { try check("char-loop") }
    func testCharLoopConcat() throws { try check("char-loop-concat") }
    func testCharRnn() throws { try check("char-rnn") }
    func testCharSeqRnn() throws { try check("char-seq-rnn") }
    func testCollab() throws { try check("collab", needsCorpus: false) }
    func testEmbeddingNet() throws { try check("embedding-net", needsCorpus: false) }
    func testMixedInput() throws { try check("mixed-input", needsCorpus: false) }

    func testTheLineComparisonCatchesWhatItMust() {
        let line = "3 forward add l_in(e(c1)): l_in(e(c1)) [4,256] mean -0.0400237 std 0.524172 min -1.68526 max 1.81361"
        guard case .same = FingerprintLine.compare(line, line) else { return XCTFail("a line must equal itself") }
        // Rounding in the last digits passes; a 1e-3 move of a statistic, a new shape or label does not.
        guard case .same = FingerprintLine.compare(line.replacingOccurrences(of: "0.524172", with: "0.524173"), line) else {
            return XCTFail("last-digit rounding must pass")
        }
        for changed in [line.replacingOccurrences(of: "0.524172", with: "0.526172"),
                        line.replacingOccurrences(of: "[4,256]", with: "[4,255]"),
                        line.replacingOccurrences(of: "forward add", with: "forward mul"),
                        line.replacingOccurrences(of: "max 1.81361", with: "max 1.80361")] {
            guard case .different = FingerprintLine.compare(changed, line) else { return XCTFail("not caught: \(changed)") }
        }
    }

    func testTheSnapshotStrategyComparesLineByLine() {
        let recorded = "1 forward mul a*x: a*x [4] mean -0.379196 std 0.231827 min -0.678358 max -0.0615221\n2 forward mse loss: loss [] mean 80.3837 std 0 min 80.3837 max 80.3837\n"
        var worst: Double?
        let diff = Snapshotting<String, String>.fingerprint { worst = $0 }.diffing.diffV2
        // Last-digit rounding passes and reports its deviation: 1e-6 of max|value| 0.678358.
        XCTAssertNil(diff(recorded, recorded.replacingOccurrences(of: "0.231827", with: "0.231828")))
        XCTAssertEqual(worst ?? 0, 1e-6 / 0.678358, accuracy: 1e-9)
        let moved = diff(recorded, recorded.replacingOccurrences(of: "80.3837 std", with: "80.3937 std"))?.0 ?? ""
        XCTAssertTrue(moved.hasPrefix("first change at event 2 (a statistic moved by"), moved)
        let longer = diff(recorded, recorded + "3 backward mul a*x: a*x [4] mean 0 std 0 min 0 max 0\n")?.0 ?? ""
        XCTAssertEqual(longer, "number of events changed: 3 now, 2 recorded")
    }
}

/// One fingerprint line: everything but the numbers must match exactly; each statistic within
/// `tolerance` of its tensor's max|value| (max(|min|, |max|) of the recorded line).
///
/// Measured between BLIS's skx, haswell and zen3 kernels (docs/golden.md): the worst statistic
/// moved by 8.7e-6 of its tensor's max|value| (CharLoopConcat), 11× inside the bound.
enum FingerprintLine {
    static let tolerance = 1e-4

    enum Verdict { case same(deviation: Double), different(String) }

    /// The line with every statistic replaced by `#`, and the statistics in order per output.
    static func parse(_ line: String) -> (shape: String, stats: [[Double]]) {
        var shape: [String] = []
        var stats: [[Double]] = []
        for output in line.components(separatedBy: "; ") {
            var words = output.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            var values: [Double] = []
            var i = 0
            while i < words.count {
                // A statistic's name followed by its value; the `mean` op's name is followed by its label.
                if ["mean", "std", "min", "max"].contains(words[i]), i + 1 < words.count,
                   let value = words[i + 1] == "~0" ? 0 : Double(words[i + 1]) {
                    values.append(value)
                    words[i + 1] = "#"
                    i += 2
                } else { i += 1 }
            }
            shape.append(words.joined(separator: " "))
            stats.append(values)
        }
        return (shape.joined(separator: "; "), stats)
    }

    static func compare(_ now: String, _ recorded: String) -> Verdict {
        let (a, b) = (parse(now), parse(recorded))
        guard a.shape == b.shape else { return .different("op, label or shape") }
        var worst = 0.0
        for (x, y) in zip(a.stats, b.stats) {
            // mean, std, min, max: the scale is the recorded tensor's max|value|.
            let scale = y.count == 4 ? max(abs(y[2]), abs(y[3])) : 0
            for (u, v) in zip(x, y) {
                if u == v { continue }
                guard u.isFinite, v.isFinite else { return .different("a statistic is not a number") }
                let deviation = scale > 0 ? abs(u - v) / scale : .infinity
                if deviation > tolerance { return .different("a statistic moved by \(deviation) of max|value|") }
                worst = max(worst, deviation)
            }
        }
        return .same(deviation: worst)
    }
}

extension Snapshotting where Value == String, Format == String {
    /// A fingerprint as text, compared line by line with `FingerprintLine.compare`; `worstDeviation`
    /// receives the largest statistic deviation of a comparison that passed.
    static func fingerprint(worstDeviation: @escaping (Double) -> Void = { _ in }) -> Snapshotting {
        var diffing = Diffing<String>.lines
        diffing.diffV2 = { recorded, now in
            let (nowLines, recordedLines) = (now.split(separator: "\n").map(String.init), recorded.split(separator: "\n").map(String.init))
            var worst = 0.0
            for (i, (a, b)) in zip(nowLines, recordedLines).enumerated() {
                switch FingerprintLine.compare(a, b) {
                case .same(let deviation): worst = max(worst, deviation)
                case .different(let why):
                    return ("first change at event \(i + 1) (\(why)):\n  now:      \(a)\n  recorded: \(b)", [])
                }
            }
            guard nowLines.count == recordedLines.count else {
                return ("number of events changed: \(nowLines.count) now, \(recordedLines.count) recorded", [])
            }
            worstDeviation(worst)
            return nil
        }
        return Snapshotting(pathExtension: "txt", diffing: diffing)
    }
}
