import Foundation
import Models
import XCTest

/// The lesson corpus for tests, found as the CLI finds it (CorpusLocator: `UNROLLED_CORPUS`, the
/// download cache, `../shared/data/nietzsche.txt` from the package root, where `swift test`
/// runs). Absent: the test skips, unless UNROLLED_REQUIRE_CORPUS is set (CI sets it), where
/// absence is a failure.
public enum TestCorpus {
    public static func path(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        if let path = CorpusLocator.existing(nil) { return URL(fileURLWithPath: path).standardizedFileURL.path }
        let looked = "UNROLLED_CORPUS, \(CorpusLocator.cachePath), ../shared/data/nietzsche.txt"
        if ProcessInfo.processInfo.environment["UNROLLED_REQUIRE_CORPUS"] != nil {
            XCTFail("corpus not found (looked at \(looked)) and UNROLLED_REQUIRE_CORPUS is set", file: file, line: line)
        }
        throw XCTSkip("corpus not found (looked at \(looked)); corpus tests skipped")
    }
}
