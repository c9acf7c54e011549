import Foundation
import Crypto
import TensorCore
#if canImport(Glibc)
import Glibc
#endif

/// Character indices in the narrowest type that holds the vocabulary: one byte each when it has
/// at most 256 characters (every English text), four otherwise. A 200 MB corpus is 200 MB of
/// indices, not 1.6 GB of `Int`.
public struct CharIndices: RandomAccessCollection, Sendable, Equatable {
    enum Storage: Sendable, Equatable {
        case bytes([UInt8])
        case words([UInt32])
    }
    let storage: Storage

    public var startIndex: Int { 0 }
    public var endIndex: Int {
        switch storage {
        case .bytes(let a): return a.count
        case .words(let a): return a.count
        }
    }

    @inline(__always)
    public subscript(i: Int) -> Int {
        switch storage {
        case .bytes(let a): return Int(a[i])
        case .words(let a): return Int(a[i])
        }
    }

    /// Bytes per index (1 or 4).
    public var width: Int {
        if case .bytes = storage { return 1 }
        return 4
    }
}

/// A text corpus as the seed reads it: `chars = sorted(set(text))`, "\0" inserted at index 0,
/// `idx = [char_indices[c] for c in text]`. Characters are Unicode scalars, as Python's str
/// iterates them (not Swift's grapheme clusters, which would merge "\r\n").
public struct Corpus: Sendable {
    public let source: String
    public let chars: [Unicode.Scalar]
    public let idx: CharIndices
    let index: [Unicode.Scalar: Int]
    /// The file's size in bytes and SHA-256 (hex): what a checkpoint records to know its data.
    public let byteCount: Int
    public let sha256: String

    public var vocabSize: Int { chars.count }
    public var length: Int { idx.count }

    public init(text: String, source: String = "text") {
        // Text from Swift is valid UTF-8 without NULs checked here (tests and prompts).
        self = (try? Corpus(utf8: Array(text.utf8), source: source)) ?? Corpus(empty: source)
    }

    private init(empty source: String) {
        self.source = source; chars = ["\0"]; idx = CharIndices(storage: .bytes([])); index = ["\0": 0]
        byteCount = 0; sha256 = SHA256.hash(data: [UInt8]()).hex
    }

    /// Decode UTF-8 bytes straight into indices, without a String or an array of scalars in
    /// between (each would be 1–4× the file again): one pass finds the characters, a second
    /// writes their indices. Throws `firstInvalidUTF8`'s offset as an `InputError` for bad bytes.
    init(utf8 bytes: [UInt8], source: String) throws {
        self.source = source
        byteCount = bytes.count
        var hasher = SHA256()
        try Corpus.inChunks(bytes) { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)); return true }
        sha256 = hasher.finalize().hex
        // One slot per possible scalar value; marks which occur, then holds their index.
        var slot = [Int32](repeating: -1, count: 0x110000)
        let valid = try Corpus.inChunks(bytes) { chunk in Corpus.decodeScalars(chunk) { v in slot[Int(v)] = 0 } }
        guard valid else {
            throw InputError("corpus \(source): not valid UTF-8 (first bad byte at offset \(Corpus.firstInvalidUTF8(Data(bytes)))), expected UTF-8 text")
        }
        var chars: [Unicode.Scalar] = ["\0"]
        for v in 1..<0x110000 where slot[v] == 0 { chars.append(Unicode.Scalar(UInt32(v))!) }
        var index: [Unicode.Scalar: Int] = [:]
        for (i, c) in chars.enumerated() {
            index[c] = i
            slot[Int(c.value)] = Int32(i)
        }
        self.chars = chars
        self.index = index
        var count = 0
        _ = try Corpus.inChunks(bytes) { chunk in Corpus.decodeScalars(chunk) { _ in count += 1 } }
        func fill<T: FixedWidthInteger>(_ type: T.Type) throws -> [T] {
            try [T](unsafeUninitializedCapacity: count) { out, written in
                var k = 0
                defer { written = k }
                _ = try Corpus.inChunks(bytes) { chunk in
                    Corpus.decodeScalars(chunk) { v in out[k] = T(truncatingIfNeeded: slot[Int(v)]); k += 1 }
                }
            }
        }
        idx = CharIndices(storage: chars.count <= 256 ? .bytes(try fill(UInt8.self)) : .words(try fill(UInt32.self)))
    }

    /// Bytes per chunk of a pass over the corpus; Ctrl-C is checked between chunks.
    static let chunkBytes = 4 << 20

    /// `body` on consecutive chunks of `bytes`, each ending before a byte that starts a
    /// character (so no UTF-8 sequence is cut), checking for Ctrl-C between them; false as soon
    /// as `body` returns false.
    static func inChunks(_ bytes: [UInt8], _ body: (UnsafeBufferPointer<UInt8>) -> Bool) throws -> Bool {
        try bytes.withUnsafeBufferPointer { buffer in
            var start = 0
            while start < buffer.count {
                if start > 0 { try Interruption.check(while: "reading the corpus") }
                var end = Swift.min(start + chunkBytes, buffer.count)
                while end < buffer.count && buffer[end] & 0xC0 == 0x80 { end += 1 }
                guard body(UnsafeBufferPointer(rebasing: buffer[start..<end])) else { return false }
                start = end
            }
            return true
        }
    }

    /// Call `body` with every scalar value of UTF-8 `bytes`; false at the first invalid byte.
    @inline(__always)
    static func decodeScalars(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (UInt32) -> Void) -> Bool {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 { body(UInt32(b)); i += 1; continue }
            var iterator = bytes[i..<Swift.min(i + 4, n)].makeIterator()
            var decoder = UTF8()
            guard case .scalarValue(let s) = decoder.decode(&iterator) else { return false }
            body(s.value)
            i += UTF8.width(s)
        }
        return true
    }

    /// Load and check a corpus file: one clear error for missing, special (a pipe or device),
    /// unreadable, empty, binary or non-UTF-8 files. The file is read once, into one buffer.
    public static func load(path: String) throws -> Corpus {
        if let problem = InputFile.problem(path) {
            throw InputError(problem == "no such file"
                ? "corpus \(path): no such file (pass --corpus FILE, or fetch the lesson's with `unrolled corpus download`)"
                : "corpus \(path): \(problem)\(problem.hasPrefix("is a directory") ? "" : ", expected a UTF-8 text file")")
        }
        let bytes: [UInt8]
        do { bytes = try readAll(path) } catch let e as InputError { throw e }
        if bytes.isEmpty { throw InputError("corpus \(path): file is empty, expected UTF-8 text") }
        if let nul = bytes.firstIndex(of: 0) {
            throw InputError("corpus \(path): binary data (NUL byte at offset \(nul)), expected UTF-8 text")
        }
        return try Corpus(utf8: bytes, source: path)
    }

    /// The whole file with read(2), sized by fstat: one allocation of exactly its bytes.
    static func readAll(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw InputError("corpus \(path): cannot read (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw InputError("corpus \(path): cannot read (\(String(cString: strerror(errno))))") }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var done = 0
        var failure: String?
        try bytes.withUnsafeMutableBytes { raw in
            while done < raw.count {
                if done > 0 { try Interruption.check(while: "reading the corpus") }
                let n = read(fd, raw.baseAddress! + done, Swift.min(raw.count - done, chunkBytes))
                if n < 0 { if errno == EINTR { continue }; failure = String(cString: strerror(errno)); return }
                if n == 0 { break }
                done += n
            }
        }
        if let failure { throw InputError("corpus \(path): cannot read (\(failure))") }
        // A file that shrank while being read.
        if done < bytes.count { bytes.removeSubrange(done...) }
        return bytes
    }

    /// Offset of the first byte that breaks UTF-8 decoding, for the error message.
    static func firstInvalidUTF8(_ data: Data) -> Int {
        var decoder = UTF8()
        var iterator = data.makeIterator()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let s): offset += UTF8.width(s)
            case .emptyInput: return offset
            case .error: return offset
            }
        }
    }

    /// Indices of `text`'s characters, or a clear error naming the first one not in the vocab.
    public func encode(_ text: String, what: String = "prompt") throws -> [Int] {
        try text.unicodeScalars.map { c in
            guard let i = index[c] else {
                let shown = c.properties.isWhitespace || c.value < 32 ? String(format: "U+%04X", c.value) : "'\(c)' (U+\(String(c.value, radix: 16, uppercase: true)))"
                throw InputError("\(what) character \(shown) is not in the corpus vocabulary (\(vocabSize) characters from \(source))")
            }
            return i
        }
    }

    public func decode<C: Sequence>(_ indices: C) -> String where C.Element == Int {
        var s = String.UnicodeScalarView()
        for i in indices { s.append(chars[i]) }
        return String(s)
    }
}

extension SHA256.Digest {
    /// Lower-case hex, as sha256sum prints it.
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}
