import Foundation
import XCTest
@testable import Models

/// The corpus as one array of narrow indices, layouts as arithmetic over it (issue #24).
final class CorpusIndicesTests: XCTestCase {
    func testIndicesTakeOneByteUpTo256CharactersAndFourBeyond() throws {
        let small = Corpus(text: "abcab\r\n")
        XCTAssertEqual(small.idx.width, 1)
        XCTAssertEqual(Array(small.idx), [3, 4, 5, 3, 4, 2, 1])  // "\0", "\n", "\r", a, b, c
        // 300 distinct characters: CJK scalars, 3 bytes of UTF-8 each.
        let wide = String(String.UnicodeScalarView((0..<300).map { Unicode.Scalar(0x4E00 + $0)! })) + "a"
        let corpus = Corpus(text: wide)
        XCTAssertEqual(corpus.vocabSize, 302)
        XCTAssertEqual(corpus.idx.width, 4)
        XCTAssertEqual(corpus.idx[0], 2)
        XCTAssertEqual(corpus.idx[300], 1)
        XCTAssertEqual(corpus.decode(Array(corpus.idx)), wide)
    }

    func testTheFileIsDecodedAsPythonReadsIt() throws {
        let path = NSTemporaryDirectory() + "corpus-\(UUID().uuidString).txt"
        defer { unlink(path) }
        try Data("né\r\n🙂x".utf8).write(to: URL(fileURLWithPath: path))
        let c = try Corpus.load(path: path)
        XCTAssertEqual(c.length, 6)  // n, é, \r, \n, 🙂, x: scalars, not grapheme clusters
        XCTAssertEqual(c.byteCount, 10)
        XCTAssertEqual(c.sha256.count, 64)
        XCTAssertEqual(c.decode(Array(c.idx)), "né\r\n🙂x")
    }

    func testLayoutsAreArithmeticOverTheIndices() {
        let c = Corpus(text: "abcdefghijklmnopqrstuvwxyz")
        let w = CharDataset(idx: c.idx, layout: .windows, seqLength: 8)
        XCTAssertEqual(w.rows, 26 - 8 - 1)
        XCTAssertEqual((0..<8).map { w.x(2, $0) }, Array(c.idx[2..<10]))
        XCTAssertEqual(w.y(2), c.idx[10])
        let (x, y) = w.batch([2, 0])
        XCTAssertEqual(x.shape, [2, 8])
        XCTAssertEqual(Array(x.data[0..<8]).map(Int.init), Array(c.idx[2..<10]))
        XCTAssertEqual(y.data.map(Int.init), [c.idx[10], c.idx[8]])
        let s = CharDataset(idx: c.idx, layout: .sequences, seqLength: 8)
        XCTAssertEqual(s.rows, 3)  // starts 0, 8, 16 < 26-8-1
        XCTAssertEqual((0..<8).map { s.y(1, $0) }, Array(c.idx[9..<17]))
    }
}

final class RowListTests: XCTestCase {
    /// Training rows as the complement of the validation rows, found by rank and select, list
    /// the same rows in the same order as filtering would.
    func testUnmarkedRowsAreTheComplementInOrder() {
        for rows in [1, 63, 64, 65, 200, 1000] {
            let valid = Set(stride(from: 0, to: rows, by: 3)).union([rows - 1])
            var marked = [UInt64](repeating: 0, count: (rows + 63) / 64 + 1)
            for v in valid { marked[v >> 6] |= 1 << UInt64(v & 63) }
            let list = RowList(UnmarkedRows(marked: marked, rows: rows))
            XCTAssertEqual(Array(list), (0..<rows).filter { !valid.contains($0) }, "rows \(rows)")
        }
        let split = Split.cv(rows: 1000, n: 1000)
        XCTAssertEqual(split.train.count + split.valid.count, 1000)
        XCTAssertTrue(Set(split.train).isDisjoint(with: Set(split.valid)))
    }
}
