import Foundation
import XCTest
import UnrolledTestSupport

/// `corpus download` through its real code path, fed local files (no network in tests): the
/// lesson's nietzsche.txt is kept and verified, anything else is refused and leaves nothing.
extension CLITests {
    func testCorpusDownloadKeepsOnlyTheLessonsFile() throws {
        let corpus = try TestCorpus.path()
        let good = try run(["corpus", "download", "--from", URL(fileURLWithPath: corpus).absoluteString, "--to", "cache/n.txt"])
        XCTAssertEqual(good.status, 0, good.stderr)
        XCTAssertTrue(good.stdout.contains("(sha256 verified)"), good.stdout)
        XCTAssertEqual(FileManager.default.contents(atPath: scratch + "/cache/n.txt"), FileManager.default.contents(atPath: corpus))

        try "not nietzsche".write(toFile: scratch + "/other.txt", atomically: true, encoding: .utf8)
        let bad = try run(["corpus", "download", "--from", URL(fileURLWithPath: scratch + "/other.txt").absoluteString, "--to", "cache/m.txt"])
        XCTAssertEqual(bad.status, 1, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("not the lesson's 23cf69874ab6"), bad.stderr)
        XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch + "/cache")
        XCTAssertEqual(left, ["n.txt"], "a refused download left files behind")

        let missing = try run(["corpus", "download", "--from", "file:///nonexistent/x.txt", "--to", "cache/m.txt"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/x.txt: cannot read file"), missing.stderr)
    }
}
