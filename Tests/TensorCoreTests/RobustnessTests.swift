import Foundation
import XCTest
@testable import Formats
@testable import TensorCore
#if canImport(Glibc)
import Glibc
#endif

/// Issue #24 at the tensor core's depth: what a write replaces, what a read refuses, headers
/// with repeated keys, sizes that overflowed, inputs whose length set the stack depth.
final class RobustnessTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "robustness-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    // MARK: writing

    func testAWriteThroughASymlinkReplacesTheTargetAndKeepsTheLink() throws {
        try "old".write(toFile: dir + "/target", atomically: true, encoding: .utf8)
        XCTAssertEqual(symlink("target", dir + "/link"), 0)
        try AtomicFile.write(Array("new".utf8), to: dir + "/link")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/link"), "target")
        XCTAssertEqual(try String(contentsOfFile: dir + "/target", encoding: .utf8), "new")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["link", "target"])
    }

    func testSpecialDestinationsAreRefused() throws {
        XCTAssertEqual(symlink("/nonexistent/file", dir + "/dangling"), 0)
        XCTAssertThrowsError(try AtomicFile.checkDestination(dir + "/dangling")) { error in
            XCTAssertTrue("\(error)".contains("refusing to replace the link"), "\(error)")
        }
        XCTAssertEqual(mkfifo(dir + "/fifo", 0o600), 0)
        XCTAssertThrowsError(try AtomicFile.checkDestination(dir + "/fifo")) { error in
            XCTAssertTrue("\(error)".contains("not a regular file"), "\(error)")
        }
        XCTAssertThrowsError(try AtomicFile.checkDestination(dir)) { error in
            XCTAssertTrue("\(error)".contains("is a directory"), "\(error)")
        }
        XCTAssertThrowsError(try AtomicFile.checkDestination(dir + "/" + String(repeating: "n", count: 250)))
    }

    func testAnInputIsNeverAnOutputEvenUnderAnotherName() throws {
        try "corpus".write(toFile: dir + "/corpus.txt", atomically: true, encoding: .utf8)
        XCTAssertEqual(symlink(dir + "/corpus.txt", dir + "/alias"), 0)
        XCTAssertEqual(link(dir + "/corpus.txt", dir + "/hardlink"), 0)
        for name in ["corpus.txt", "alias", "hardlink"] {
            XCTAssertThrowsError(try AtomicFile.checkDestination(dir + "/" + name, notOverwriting: [("corpus", dir + "/corpus.txt")]), name) { error in
                XCTAssertTrue("\(error)".contains("is the corpus this command reads"), "\(error)")
            }
        }
        XCTAssertNoThrow(try AtomicFile.checkDestination(dir + "/other", notOverwriting: [("corpus", dir + "/corpus.txt")]))
    }

    func testATraceSinkRemembersItsTemporaryUntilClosed() throws {
        let before = TemporaryFiles.count
        let sink = try JSONLSink(path: dir + "/t.jsonl")
        XCTAssertEqual(TemporaryFiles.count, before + 1)
        try sink.close()
        XCTAssertEqual(TemporaryFiles.count, before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["t.jsonl"])
    }

    // MARK: reading

    func testInputsThatAreNotRegularFilesAreNamed() throws {
        XCTAssertEqual(mkfifo(dir + "/fifo", 0o600), 0)
        XCTAssertEqual(InputFile.problem(dir + "/fifo"), "not a regular file (a named pipe); reading it could wait for ever")
        XCTAssertEqual(InputFile.problem("/dev/null"), "not a regular file (a device)")
        XCTAssertEqual(InputFile.problem(dir), "is a directory, expected a file")
        XCTAssertEqual(InputFile.problem(dir + "/missing"), "no such file")
        // A FIFO given as weights fails at once instead of blocking in open(2).
        XCTAssertThrowsError(try SafeTensors.readFile(URL(fileURLWithPath: dir + "/fifo")))
    }

    func testADuplicateKeyInASafetensorsHeaderIsAnError() throws {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let meta = #"{"__metadata__":{"k":"1","k":"2"}}"#
        for json in [header, meta] {
            let bytes = (0..<8).map { UInt8(truncatingIfNeeded: json.utf8.count >> (8 * $0)) } + Array(json.utf8) + (json == header ? [0, 0, 128, 63] : [])
            XCTAssertThrowsError(try SafeTensors.decode(bytes)) { error in
                XCTAssertTrue("\(error)".contains("appears twice in one object"), "\(error)")
            }
        }
        // The same key in two different objects is fine, and an escaped spelling is the same key.
        XCTAssertNil(SafeTensors.duplicateKey(in: ArraySlice(Array(#"{"a":{"x":1},"b":{"x":2}}"#.utf8))))
        XCTAssertEqual(SafeTensors.duplicateKey(in: ArraySlice(Array(#"{"a":1,"\u0061":2}"#.utf8))), "a")
    }

    func testAShapeWhoseByteCountOverflowsIsAnError() throws {
        let big = Int.max / 2
        let json = #"{"a":{"dtype":"F32","shape":[\#(big)],"data_offsets":[0,4]}}"#
        let bytes = (0..<8).map { UInt8(truncatingIfNeeded: json.utf8.count >> (8 * $0)) } + Array(json.utf8) + [0, 0, 0, 0]
        XCTAssertThrowsError(try SafeTensors.decode(bytes)) { error in
            XCTAssertTrue("\(error)".contains("needs too many bytes"), "\(error)")
        }
    }

    // MARK: sizes

    /// 80,000 one-value parts (a prompt that long) once nested 80,000 closures deep.
    func testConcatOfManyPartsDoesNotDependOnTheStack() {
        let n = 80_000
        let parts = (0..<n).map { [Float($0)] }
        let out = Kernels.concat(parts, ns: [Int](repeating: 1, count: n), outer: 1, inner: 1).values
        XCTAssertEqual(out.count, n)
        XCTAssertEqual(out.prefix(3), [0, 1, 2])
        XCTAssertEqual(out.last, Float(n - 1))
        // Grouped parts keep rows apart: two rows of [part j] each.
        let two = Kernels.concat((0..<600).map { [Float($0), Float(1000 + $0)] }, ns: [Int](repeating: 1, count: 600), outer: 2, inner: 1).values
        XCTAssertEqual(Array(two[598..<602]), [598, 599, 1000, 1001])
    }

    func testPermutation32DrawsThePermutation() {
        let a = SeededGenerator(seed: 9).permutation(10_007)
        let b = SeededGenerator(seed: 9).permutation32(10_007)
        XCTAssertEqual(a, b.map(Int.init))
    }
}
