import LessonEngine
import XCTest
@testable import unrolled_dev

/// A few hundred mutated lesson files: every one is accepted or rejected with one clean line.
/// (`unrolled-dev fuzz` runs 10,000 and argument vectors too.)
final class FuzzTests: XCTestCase {
    func testMutatedLessonsFailCleanly() throws {
        let seeds = try Catalog(directory: ArgumentFuzzerTests.lessons).files().map { try String(contentsOfFile: $0, encoding: .utf8) }
        XCTAssertEqual(seeds.count, 9)
        let report = LessonFuzzer(seeds: seeds, seed: 11).run(count: 300)
        XCTAssertEqual(report.cases, 300)
        XCTAssertEqual(report.failures.map(\.description), [])
        XCTAssertLessThan(report.slowest, 2, "one case took \(report.slowest) s")
    }
}

/// The checkpoint fuzzer's own mutations must all be writable: a NaN value put into the JSON
/// tree made JSONSerialization throw and ended `unrolled-dev fuzz --files 1000` with no report.
final class CheckpointFuzzTests: XCTestCase {
    func testAThousandMutatedCheckpointsFailCleanly() throws {
        let report = try FileFuzzer(seed: 1).checkpoints(count: 1000)
        XCTAssertEqual(report.cases, 1000)
        XCTAssertEqual(report.failures, [])
    }
}
