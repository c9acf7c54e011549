import Foundation
import Synchronization
import XCTest
@testable import Models
import UnrolledTestSupport

/// The lesson's corpus, found as the CLI finds it (TestCorpus).
func lessonCorpus(file: StaticString = #filePath, line: UInt = #line) throws -> Corpus {
    try Corpus.load(path: try TestCorpus.path(file: file, line: line))
}

final class CorpusTests: XCTestCase {
    static let cached = Mutex<Corpus?>(nil)
    func corpus() throws -> Corpus {
        if let c = Self.cached.withLock({ $0 }) { return c }
        let c = try lessonCorpus()
        Self.cached.withLock { $0 = c }
        return c
    }

    func testVocabularyAndIndicesMatchTheSeed() throws {
        let c = try corpus()
        XCTAssertEqual(c.length, 600_893)          // "corpus length: 600893"
        XCTAssertEqual(c.vocabSize, 85)            // "total chars: 85"
        XCTAssertEqual(Array(c.idx[..<10]), [40, 42, 29, 30, 25, 27, 29, 1, 1, 1])
        XCTAssertEqual(c.chars[0], "\0")
        // ''.join(chars[1:-6]) from the seed
        XCTAssertEqual(String(String.UnicodeScalarView(c.chars[1..<(c.chars.count - 6)])),
                       "\n !\"'(),-.0123456789:;=?ABCDEFGHIJKLMNOPQRSTUVWXYZ[]_abcdefghijklmnopqrstuvwxy")
        XCTAssertEqual(c.decode(Array(c.idx[..<70])),
                       "PREFACE\n\n\nSUPPOSING that Truth is a woman--what then? Is there not gro")
    }

    func testChar3LayoutShapesAndFirstRows() throws {
        let d = CharDataset(idx: try corpus().idx, layout: .char3)
        XCTAssertEqual(d.rows, 200_295)
        XCTAssertEqual(d.width, 3)
        // x1[:4], x2[:4], x3[:4] = [40, 30, 29, 1], [42, 25, 1, 43], [29, 27, 1, 45]; y[:4] = [30, 29, 1, 40]
        let cols = (0..<3).map { j in (0..<4).map { d.x($0, j) } }
        XCTAssertEqual(cols, [[40, 30, 29, 1], [42, 25, 1, 43], [29, 27, 1, 45]])
        XCTAssertEqual((0..<4).map { d.y($0) }, [30, 29, 1, 40])
    }

    func testOverlappingWindows() throws {
        let d = CharDataset(idx: try corpus().idx, layout: .windows)
        XCTAssertEqual(d.rows, 600_884)
        XCTAssertEqual((0..<8).map { d.x(0, $0) }, [40, 42, 29, 30, 25, 27, 29, 1])
        XCTAssertEqual((0..<8).map { d.x(7, $0) }, [1, 1, 1, 43, 45, 40, 40, 39])  // xs[7]
        XCTAssertEqual((0..<8).map { d.y($0) }, [1, 1, 43, 45, 40, 40, 39, 43])
    }

    func testNonOverlappingSequences() throws {
        let d = CharDataset(idx: try corpus().idx, layout: .sequences)
        XCTAssertEqual(d.rows, 75_111)
        XCTAssertEqual(d.targetWidth, 8)
        XCTAssertEqual((0..<8).map { d.x(1, $0) }, [1, 1, 43, 45, 40, 40, 39, 43])   // second row in the seed
        XCTAssertEqual((0..<8).map { d.y(0, $0) }, [42, 29, 30, 25, 27, 29, 1, 1])      // shifted by one
    }

    func testSplitsFollowTheSeed() throws {
        let cv = Split.cv(rows: 600_884, n: 600_884)
        XCTAssertEqual(cv.valid.count, 120_176)
        XCTAssertEqual(cv.train.count + cv.valid.count, 600_884)
        XCTAssertTrue(Set(cv.train).isDisjoint(with: cv.valid))
        let last = Split.lastRow(rows: 200_295)
        XCTAssertEqual(last.valid, [200_294])
        XCTAssertEqual(last.train.count, 200_294)
    }

    func testBatchShapes() throws {
        let d = CharDataset(idx: try corpus().idx, layout: .sequences)
        let (x, y) = d.batch([0, 1, 2][...])
        XCTAssertEqual(x.shape, [3, 8])
        XCTAssertEqual(y.shape, [3, 8])
    }
}

final class CorpusErrorTests: XCTestCase {
    func write(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "unrolled-corpus-\(UUID().uuidString).txt"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func message(_ body: () throws -> Corpus) -> String {
        do { _ = try body(); return "no error" } catch { return "\(error)" }
    }

    func testMissingEmptyBinaryAndNonUTF8() throws {
        XCTAssertTrue(message { try Corpus.load(path: "/nonexistent/x.txt") }.contains("no such file"))
        let empty = try write([])
        XCTAssertEqual(message { try Corpus.load(path: empty) }, "corpus \(empty): file is empty, expected UTF-8 text")
        let binary = try write([0x41, 0x00, 0x42])
        XCTAssertEqual(message { try Corpus.load(path: binary) }, "corpus \(binary): binary data (NUL byte at offset 1), expected UTF-8 text")
        let latin1 = try write([0x61, 0x62, 0xE9, 0x63])  // "abéc" in Latin-1
        XCTAssertEqual(message { try Corpus.load(path: latin1) }, "corpus \(latin1): not valid UTF-8 (first bad byte at offset 2), expected UTF-8 text")
    }

    func testPromptOutsideVocabulary() {
        let c = Corpus(text: "abc abc")
        XCTAssertEqual(try c.encode("ab"), [2, 3])
        XCTAssertThrowsError(try c.encode("abz")) { error in
            XCTAssertEqual("\(error)", "prompt character 'z' (U+7A) is not in the corpus vocabulary (5 characters from text)")
        }
    }

    func testScalarsNotGraphemes() {
        // Python iterates code points: "\r\n" is two characters, "é" as e + combining accent is two.
        let c = Corpus(text: "a\r\nb")
        XCTAssertEqual(c.length, 4)
        XCTAssertEqual(c.vocabSize, 5)
    }
}
