import Foundation
import XCTest
import Formats
@testable import TensorCore

final class SafeTensorsTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    // MARK: round trip

    func testRoundTripPreservesShapesAndBits() throws {
        let tensors: [String: Tensor] = [
            "scalar": .scalar(-0.0),
            "empty": Tensor(shape: [2, 0], data: []),
            "param.l_in.weight": Tensor(shape: [2, 3], data: [1, -2.5, .pi, .infinity, -.infinity, .nan]),
            "fwd.l_hidden(h+in1)": Tensor(shape: [4], data: [Float.leastNonzeroMagnitude, .greatestFiniteMagnitude, 1e-30, 7]),
        ]
        let url = dir.appendingPathComponent("round.safetensors")
        try SafeTensors.write(tensors, to: url, metadata: ["golden": "{\"x\": 1}"])
        let file = try SafeTensors.readFile(url)
        XCTAssertEqual(file.metadata, ["golden": "{\"x\": 1}"])
        XCTAssertEqual(Set(file.tensors.keys), Set(tensors.keys))
        for (name, t) in tensors {
            let back = try XCTUnwrap(file.tensors[name])
            XCTAssertEqual(back.shape, t.shape, name)
            XCTAssertEqual(back.data.map(\.bitPattern), t.data.map(\.bitPattern), name)
        }
    }

    func testWritingIsDeterministicSortedAndAtomic() throws {
        let tensors: [String: Tensor] = ["b": Tensor([1, 2]), "a": Tensor([3]), "c": .scalar(4)]
        let url = dir.appendingPathComponent("det.safetensors")
        try SafeTensors.write(tensors, to: url)
        let first = try Data(contentsOf: url)
        try SafeTensors.write(tensors, to: url)  // overwrite in place
        XCTAssertEqual(try Data(contentsOf: url), first)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["det.safetensors"],
                       "no temporary file left behind")

        let bytes = [UInt8](first)
        let n = Int(bytes[0]) | Int(bytes[1]) << 8
        XCTAssertEqual((8 + n) % 8, 0, "data starts 8-byte aligned")
        let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        XCTAssertEqual(header.trimmingCharacters(in: .whitespaces),
                       #"{"a":{"data_offsets":[0,4],"dtype":"F32","shape":[1]},"#
                       + #""b":{"data_offsets":[4,12],"dtype":"F32","shape":[2]},"#
                       + #""c":{"data_offsets":[12,16],"dtype":"F32","shape":[]}}"#)
    }

    func testWriteIntoMissingDirectoryFailsClearly() {
        let url = dir.appendingPathComponent("no/such/dir/x.safetensors")
        XCTAssertThrowsError(try SafeTensors.write(["a": Tensor([1])], to: url)) { error in
            XCTAssertEqual((error as? SafeTensorsError)?.problem, .unwritable)
            XCTAssertTrue("\(error)".hasPrefix(url.path), "\(error)")
        }
    }

    // MARK: integers

    func testIntegerDTypesBecomeFloats() throws {
        let i64: [Int64] = [0, 84, -3, 1 << 24]
        let i32: [Int32] = [40, 42]
        let bytes = Self.file(#"{"i":{"dtype":"I64","shape":[2,2],"data_offsets":[0,32]},"j":{"dtype":"I32","shape":[2],"data_offsets":[32,40]}}"#,
                              data: Self.le(i64) + Self.le(i32))
        let t = try SafeTensors.decode(bytes).tensors
        XCTAssertEqual(t["i"]?.shape, [2, 2])
        XCTAssertEqual(t["i"]?.data, [0, 84, -3, 16_777_216])
        XCTAssertEqual(t["j"]?.data, [40, 42])
    }

    func testIntegerNotExactlyRepresentableIsAnError() {
        let bytes = Self.file(#"{"i":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, data: Self.le([Int64(1 << 24 + 1)]))
        assertProblem(bytes, .notRepresentable, contains: "16777217")
    }

    // MARK: corrupt files: each problem, named in one line with the file

    func testTruncatedBeforeLength() {
        assertProblem([1, 0, 0], .truncated, contains: "3 bytes")
    }

    func testTruncatedHeader() {
        var bytes = Self.file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 128, 63])
        bytes.removeLast(bytes.count - 20)
        assertProblem(bytes, .truncated, contains: "header needs")
    }

    func testTruncatedData() {
        var bytes = Self.file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8))
        bytes.removeLast(2)
        assertProblem(bytes, .offsetsOutOfRange, contains: "data region is 6 bytes")
    }

    func testHeaderTooLarge() {
        var bytes: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 1]  // 2⁵⁶ bytes of header
        bytes += [UInt8](repeating: 0, count: 16)
        assertProblem(bytes, .headerTooLarge, contains: "header too large")
    }

    func testBadJSON() {
        assertProblem(Self.file(#"{"a": {"dtype": "F32", "shape": [1], "#, data: []), .badJSON, contains: "bad JSON")
        assertProblem(Self.file(#"{"a":{"dtype":"F32","shape":[1]}}"#, data: [0, 0, 0, 0]), .badJSON,
                      contains: "missing 'data_offsets' at a")
        assertProblem(Self.file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, data: [0, 0, 0, 0]), .badJSON,
                      contains: "[begin, end]")
        assertProblem(Self.file(#"[1, 2]"#, data: []), .badJSON, contains: "bad JSON")
    }

    func testUnknownDType() {
        assertProblem(Self.file(#"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
                      .unknownDType, contains: "unknown dtype F16 for tensor 'h'")
    }

    func testOffsetsOutOfRange() {
        assertProblem(Self.file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: [0, 0, 0, 0]),
                      .offsetsOutOfRange, contains: "[4, 8]")
        assertProblem(Self.file(#"{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}"#, data: [0, 0, 0, 0]),
                      .offsetsOutOfRange, contains: "[4, 0]")
        // Two tensors claiming the same bytes.
        assertProblem(Self.file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
                                data: [0, 0, 0, 0]),
                      .offsetsOutOfRange, contains: "gap or overlap")
        // Bytes no tensor owns.
        assertProblem(Self.file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [UInt8](repeating: 0, count: 8)),
                      .offsetsOutOfRange, contains: "cover 4 bytes of a 8-byte")
    }

    func testShapeOffsetMismatch() {
        assertProblem(Self.file(#"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#, data: [UInt8](repeating: 0, count: 20)),
                      .shapeMismatch, contains: "shape/offset mismatch: tensor 'w' of shape [2, 3] and dtype F32 needs 24 bytes")
    }

    func testMissingFile() {
        let url = dir.appendingPathComponent("absent.safetensors")
        XCTAssertThrowsError(try SafeTensors.read(url)) { error in
            XCTAssertEqual((error as? SafeTensorsError)?.problem, .unreadable)
            XCTAssertTrue("\(error)".hasPrefix(url.path))
        }
    }

    // MARK: files written by Python's safetensors

    func testReadsFileWrittenByPythonSafetensors() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "ops", withExtension: "safetensors", subdirectory: "Fixtures"))
        let file = try SafeTensors.readFile(url)
        XCTAssertNotNil(file.metadata["golden"])
        // embedding_repeats.in1 holds the indices; matmul_NN.in0 is [3, 4].
        XCTAssertEqual(file.tensors["matmul_NN.in0"]?.shape, [3, 4])
        XCTAssertEqual(file.tensors["add_scalar.in1"]?.shape, [])
        let idx = try XCTUnwrap(file.tensors["embedding_repeats.in1"]?.data)
        XCTAssertEqual(idx.first, idx.last, "the script repeats the first index last")

        // A model fixture from the ModelsTests target: the lesson's first Char3 rows.
        let char3 = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../ModelsTests/Fixtures/golden/char3.safetensors").standardizedFileURL
        let t = try SafeTensors.read(char3)
        XCTAssertEqual(t["input.x"]?.shape, [8, 3])
        XCTAssertEqual(Array(t["input.x"]!.data.prefix(6)), [40, 42, 29, 30, 25, 27])
        XCTAssertEqual(Array(t["input.y"]!.data.prefix(4)), [30, 29, 1, 40])
        XCTAssertEqual(t["param.e.weight"]?.shape, [85, 42])
        XCTAssertEqual(t["param.l_in.weight"]?.shape, [256, 42])
    }

    // MARK: helpers

    private func assertProblem(_ bytes: [UInt8], _ problem: SafeTensorsError.Problem, contains text: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensors.decode(bytes, file: "bad.safetensors"), file: file, line: line) { error in
            guard let e = error as? SafeTensorsError else {
                return XCTFail("not a SafeTensorsError: \(error)", file: file, line: line)
            }
            XCTAssertEqual(e.problem, problem, "\(e)", file: file, line: line)
            let message = "\(e)"
            XCTAssertTrue(message.hasPrefix("bad.safetensors: "), message, file: file, line: line)
            XCTAssertTrue(message.contains(text), "\(message) does not mention \(text)", file: file, line: line)
            XCTAssertFalse(message.contains("\n"), "one line: \(message)", file: file, line: line)
        }
    }

    /// A safetensors file from a header string and raw data bytes.
    private static func file(_ header: String, data: [UInt8]) -> [UInt8] {
        let h = Array(header.utf8)
        return (0..<8).map { UInt8(truncatingIfNeeded: h.count >> (8 * $0)) } + h + data
    }

    private static func le<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { v in (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    }
}
