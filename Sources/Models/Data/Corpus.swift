import Foundation

/// A text corpus as the seed reads it: `chars = sorted(set(text))`, "\0" inserted at index 0,
/// `idx = [char_indices[c] for c in text]`. Characters are Unicode scalars, as Python's str
/// iterates them (not Swift's grapheme clusters, which would merge "\r\n").
public struct Corpus: Sendable {
    public let source: String
    public let chars: [Unicode.Scalar]
    public let idx: [Int]
    let index: [Unicode.Scalar: Int]

    public var vocabSize: Int { chars.count }
    public var length: Int { idx.count }

    public init(text: String, source: String = "text") {
        self.source = source
        // One table slot per scalar value up to the largest in the text, instead of hashing
        // each of nietzsche.txt's 600,893 characters twice (Set, then Dictionary): that was
        // 0.1 s of every command that loads the corpus.
        let scalars = Array(text.unicodeScalars)
        let top = Int(scalars.lazy.map(\.value).max() ?? 0)
        var slot = [Int](repeating: -1, count: top + 1)
        for c in scalars { slot[Int(c.value)] = 0 }
        var chars: [Unicode.Scalar] = ["\0"]
        for v in 1..<max(top + 1, 1) where slot[v] == 0 { chars.append(Unicode.Scalar(UInt32(v))!) }
        var index: [Unicode.Scalar: Int] = [:]
        for (i, c) in chars.enumerated() {
            index[c] = i
            slot[Int(c.value)] = i
        }
        self.chars = chars
        self.index = index
        idx = scalars.map { slot[Int($0.value)] }
    }

    /// Load and check a corpus file: one clear error for missing, unreadable, empty, binary or
    /// non-UTF-8 files.
    public static func load(path: String) throws -> Corpus {
        let url = URL(fileURLWithPath: path)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw InputError("corpus \(path): no such file (pass --corpus FILE, or fetch the lesson's with `unrolled corpus download`)")
        }
        if isDir.boolValue { throw InputError("corpus \(path): is a directory, expected a text file") }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw InputError("corpus \(path): cannot read (\(error.localizedDescription))")
        }
        if data.isEmpty { throw InputError("corpus \(path): file is empty, expected UTF-8 text") }
        if let nul = data.firstIndex(of: 0) {
            throw InputError("corpus \(path): binary data (NUL byte at offset \(nul)), expected UTF-8 text")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputError("corpus \(path): not valid UTF-8 (first bad byte at offset \(firstInvalidUTF8(data))), expected UTF-8 text")
        }
        return Corpus(text: text, source: path)
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

    public func decode(_ indices: [Int]) -> String {
        var s = String.UnicodeScalarView()
        for i in indices { s.append(chars[i]) }
        return String(s)
    }
}
