// The safetensors format (https://github.com/huggingface/safetensors), the one file format for
// numbers that cross between PyTorch and Unrolled: golden fixtures in, checkpoints out.
//
//   [8 bytes: header length N, little-endian u64]
//   [N bytes: JSON {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}]
//   [data: raw little-endian values; offsets are relative to the end of the header]
//
// The header is decoded by Foundation's JSONDecoder, never by hand. Every problem is a
// `SafeTensorsError` naming the file and what is wrong with it, in one line.

import Files
import TensorCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
    public enum Problem: String, Sendable {
        case unreadable, truncated, headerTooLarge, badJSON, unknownDType, offsetsOutOfRange,
             shapeMismatch, notRepresentable, unwritable
    }

    public let file: String
    public let problem: Problem
    public let detail: String

    public var description: String { "\(file): \(detail)" }
}

/// The tensors of one safetensors file and its free-form string metadata.
public struct SafeTensorsFile {
    public var tensors: [String: Tensor]
    public var metadata: [String: String]

    public init(tensors: [String: Tensor], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }
}

public enum SafeTensors {
    /// The reference implementation refuses headers above 100 MB; so do we, before allocating.
    public static let maxHeaderBytes = 100_000_000

    // MARK: reading

    /// Every tensor in the file at `url`, by name, with its shape. F32 is read as is; I64 and
    /// I32 (indices) become Float, and a value a Float cannot hold exactly is an error.
    public static func read(_ url: URL) throws -> [String: Tensor] {
        try readFile(url).tensors
    }

    /// Tensors and metadata of the file at `url`.
    public static func readFile(_ url: URL) throws -> SafeTensorsFile {
        if let problem = InputFile.problem(url.path) {
            throw SafeTensorsError(file: url.path, problem: .unreadable, detail: "cannot read file (\(problem))")
        }
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: url))
        } catch {
            throw SafeTensorsError(file: url.path, problem: .unreadable, detail: "cannot read file (\(readProblem(url.path)))")
        }
        return try decode(bytes, file: url.path)
    }

    /// Parse a whole file already in memory; `file` names it in errors.
    public static func decode(_ bytes: [UInt8], file: String = "<memory>") throws -> SafeTensorsFile {
        func fail(_ problem: SafeTensorsError.Problem, _ detail: String) -> SafeTensorsError {
            SafeTensorsError(file: file, problem: problem, detail: detail)
        }
        guard bytes.count >= 8 else {
            throw fail(.truncated, "truncated file: \(bytes.count) bytes, shorter than the 8-byte header length")
        }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length <= UInt64(maxHeaderBytes) else {
            throw fail(.headerTooLarge, "header too large: \(length) bytes (limit \(maxHeaderBytes))")
        }
        let headerEnd = 8 + Int(length)
        guard headerEnd <= bytes.count else {
            throw fail(.truncated, "truncated file: header needs \(length) bytes, only \(bytes.count - 8) follow the length")
        }

        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[8..<headerEnd]))
        } catch let error as SafeTensorsError {
            throw SafeTensorsError(file: file, problem: error.problem, detail: error.detail)
        } catch {
            throw fail(.badJSON, "bad JSON header: \(oneLine(error))")
        }

        // JSONDecoder keeps one of two equal keys and drops the other without a word.
        if let key = duplicateKey(in: bytes[8..<headerEnd]) {
            throw fail(.badJSON, "bad JSON header: key '\(key)' appears twice in one object")
        }

        let dataCount = bytes.count - headerEnd
        var tensors: [String: Tensor] = [:]
        // Entries in file order, to check that they tile the data region with no gap or overlap.
        let entries = header.entries.sorted { ($0.value.begin, $0.key) < ($1.value.begin, $1.key) }
        var expectedBegin = 0
        for (name, info) in entries {
            guard let width = info.dtype.byteWidth else {
                throw fail(.unknownDType, "unknown dtype \(info.dtype.name) for tensor '\(name)' (reads F32, I64, I32)")
            }
            guard info.shape.allSatisfy({ $0 >= 0 }) else {
                throw fail(.shapeMismatch, "tensor '\(name)' has a negative dimension in shape \(info.shape)")
            }
            guard info.begin >= 0, info.begin <= info.end, info.end <= dataCount else {
                throw fail(.offsetsOutOfRange,
                           "offsets out of range: tensor '\(name)' has data_offsets [\(info.begin), \(info.end)], data region is \(dataCount) bytes")
            }
            guard info.begin == expectedBegin else {
                throw fail(.offsetsOutOfRange,
                           "offsets out of range: tensor '\(name)' starts at byte \(info.begin), expected \(expectedBegin) (gap or overlap)")
            }
            let (count, overflow) = info.shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            let bytesNeeded = count.multipliedReportingOverflow(by: width)
            guard !overflow, bytesNeeded == (info.end - info.begin, false) else {
                throw fail(.shapeMismatch,
                           "shape/offset mismatch: tensor '\(name)' of shape \(info.shape) and dtype \(info.dtype.name) needs \(overflow || bytesNeeded.overflow ? "too many" : String(bytesNeeded.partialValue)) bytes, data_offsets span \(info.end - info.begin)")
            }
            let slice = bytes[(headerEnd + info.begin)..<(headerEnd + info.end)]
            let values: [Float]
            switch info.dtype {
            case .f32: values = littleEndianFloats(slice, count: count)
            case .i64, .i32:
                let ints = littleEndianIntegers(slice, width: width, count: count)
                if let bad = ints.firstIndex(where: { Float(exactly: $0) == nil }) {
                    throw fail(.notRepresentable,
                               "tensor '\(name)' (\(info.dtype.name)) value \(ints[bad]) at index \(bad) is not exactly representable as Float")
                }
                values = ints.map { Float($0) }
            case .other: fatalError("unreachable: unknown dtypes are rejected above")
            }
            tensors[name] = Tensor(shape: info.shape, data: values, label: name)
            expectedBegin = info.end
        }
        guard expectedBegin == dataCount else {
            throw fail(.offsetsOutOfRange,
                       "offsets out of range: tensors cover \(expectedBegin) bytes of a \(dataCount)-byte data region")
        }
        return SafeTensorsFile(tensors: tensors, metadata: header.metadata)
    }

    /// The first object key that repeats within its object, in JSON text the decoder has
    /// already accepted (so only strings, nesting and `:` need following). Keys are compared as
    /// written; one spelled with escapes is decoded first.
    static func duplicateKey(in json: ArraySlice<UInt8>) -> String? {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        var seen: [Set<[UInt8]>?] = []  // per open bracket: nil for an array
        var i = json.startIndex
        var lastString: [UInt8]?
        while i < json.endIndex {
            let b = json[i]
            if b == quote {
                var j = i + 1, escaped = false
                while j < json.endIndex && json[j] != quote {
                    if json[j] == backslash { escaped = true; j += 1 }
                    j += 1
                }
                let end = min(j, json.endIndex)
                var text = Array(json[(i + 1)..<end])
                if escaped, let decoded = try? JSONDecoder().decode(String.self, from: Data(json[i..<min(end + 1, json.endIndex)])) {
                    text = Array(decoded.utf8)
                }
                lastString = text
                i = j + 1
                continue
            }
            switch b {
            case UInt8(ascii: "{"): seen.append(Set())
            case UInt8(ascii: "["): seen.append(nil)
            case UInt8(ascii: "}"), UInt8(ascii: "]"): if !seen.isEmpty { seen.removeLast() }
            case UInt8(ascii: ":"):
                if let key = lastString, let top = seen.indices.last, seen[top] != nil {
                    if seen[top]!.insert(key).inserted == false {
                        return String(decoding: key, as: UTF8.self)
                    }
                }
            default: break
            }
            if b > 32 { lastString = nil }
            i += 1
        }
        return nil
    }

    // MARK: writing

    /// The bytes of a safetensors file holding `tensors` as F32: keys sorted, data in key
    /// order, header padded with spaces to a multiple of 8 (as the reference writer does).
    /// The same tensors always give the same bytes.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) throws -> [UInt8] {
        let names = tensors.keys.sorted()
        var infos: [String: TensorInfo] = [:]
        var offset = 0
        for name in names {
            let t = tensors[name]!
            infos[name] = TensorInfo(dtype: .f32, shape: t.shape, begin: offset, end: offset + 4 * t.count)
            offset += 4 * t.count
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var header = [UInt8](try encoder.encode(Header(entries: infos, metadata: metadata)))
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }

        var out = [UInt8]()
        out.reserveCapacity(8 + header.count + offset)
        let length = UInt64(header.count)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: length >> (8 * UInt64(i)))) }
        out += header
        for name in names {
            for v in tensors[name]!.data {
                let bits = v.bitPattern
                out.append(UInt8(truncatingIfNeeded: bits))
                out.append(UInt8(truncatingIfNeeded: bits >> 8))
                out.append(UInt8(truncatingIfNeeded: bits >> 16))
                out.append(UInt8(truncatingIfNeeded: bits >> 24))
            }
        }
        return out
    }

    /// Write `tensors` to `url` atomically: a temporary file beside it, then rename(2), so a
    /// reader never sees half a file and a failed write leaves the old file in place.
    public static func write(_ tensors: [String: Tensor], to url: URL, metadata: [String: String] = [:]) throws {
        let bytes = try encode(tensors, metadata: metadata)
        do {
            try AtomicFile.write(bytes, to: url.path)
        } catch let e as FileWriteError {
            throw SafeTensorsError(file: url.path, problem: .unwritable, detail: e.reason)
        }
    }

    /// Why a file cannot be read, as strerror says it (Foundation's NSError text spans a paragraph).
    static func readProblem(_ path: String) -> String {
        var st = stat()
        if stat(path, &st) != 0 { return String(cString: strerror(errno)) }
        if st.st_mode & S_IFMT == S_IFDIR { return "is a directory" }
        let fd = open(path, O_RDONLY)
        if fd < 0 { return String(cString: strerror(errno)) }
        close(fd)
        return "read failed"
    }

    // MARK: bytes

    private static func littleEndianFloats(_ bytes: ArraySlice<UInt8>, count: Int) -> [Float] {
        bytes.withUnsafeBytes { raw in
            (0..<count).map { i in Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        }
    }

    private static func littleEndianIntegers(_ bytes: ArraySlice<UInt8>, width: Int, count: Int) -> [Int64] {
        bytes.withUnsafeBytes { raw in
            (0..<count).map { i in
                width == 8
                    ? Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
                    : Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
            }
        }
    }

    /// DecodingError descriptions span lines; an error message here is one line.
    private static func oneLine(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c):
            return "\(c.debugDescription)\(c.underlyingError.map { " (\($0))" } ?? "")"
        case DecodingError.keyNotFound(let key, let c):
            return "missing '\(key.stringValue)' at \(path(c))"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "\(c.debugDescription) at \(path(c))"
        default:
            return String(describing: error).split(separator: "\n").joined(separator: " ")
        }
    }

    private static func path(_ c: DecodingError.Context) -> String {
        c.codingPath.isEmpty ? "top level" : c.codingPath.map(\.stringValue).joined(separator: ".")
    }
}

// MARK: header

private enum DType: Equatable {
    case f32, i64, i32
    case other(String)

    init(_ name: String) {
        switch name {
        case "F32": self = .f32
        case "I64": self = .i64
        case "I32": self = .i32
        default: self = .other(name)
        }
    }

    var name: String {
        switch self {
        case .f32: return "F32"
        case .i64: return "I64"
        case .i32: return "I32"
        case .other(let s): return s
        }
    }

    var byteWidth: Int? {
        switch self {
        case .f32, .i32: return 4
        case .i64: return 8
        case .other: return nil
        }
    }
}

private struct TensorInfo: Codable {
    var dtype: DType
    var shape: [Int]
    var begin: Int
    var end: Int

    enum CodingKeys: String, CodingKey { case dtype, shape, data_offsets }

    init(dtype: DType, shape: [Int], begin: Int, end: Int) {
        self.dtype = dtype; self.shape = shape; self.begin = begin; self.end = end
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dtype = DType(try c.decode(String.self, forKey: .dtype))
        shape = try c.decode([Int].self, forKey: .shape)
        let offsets = try c.decode([Int].self, forKey: .data_offsets)
        guard offsets.count == 2 else {
            throw DecodingError.dataCorruptedError(forKey: .data_offsets, in: c,
                                                   debugDescription: "data_offsets must be [begin, end], got \(offsets)")
        }
        (begin, end) = (offsets[0], offsets[1])
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dtype.name, forKey: .dtype)
        try c.encode(shape, forKey: .shape)
        try c.encode([begin, end], forKey: .data_offsets)
    }
}

/// The header object: tensor entries keyed by name, plus the optional "__metadata__".
private struct Header: Codable {
    var entries: [String: TensorInfo]
    var metadata: [String: String]

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
    static let metadataKey = "__metadata__"

    init(entries: [String: TensorInfo], metadata: [String: String]) {
        self.entries = entries; self.metadata = metadata
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        entries = [:]
        metadata = [:]
        for key in c.allKeys {
            if key.stringValue == Header.metadataKey {
                metadata = try c.decode([String: String].self, forKey: key)
            } else {
                entries[key.stringValue] = try c.decode(TensorInfo.self, forKey: key)
            }
        }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        if !metadata.isEmpty { try c.encode(metadata, forKey: Key(stringValue: Header.metadataKey)) }
        for (name, info) in entries { try c.encode(info, forKey: Key(stringValue: name)) }
    }
}
