@testable import Book
import Foundation
import TensorCore
import XCTest
import ZIPFoundation

/// The page's buffers: a rule plus the values it misses rebuilds the trace's values exactly;
/// book.js's `derive` is the same arithmetic, proven in the browser test.
final class BufferTableTests: XCTestCase {
    func words(_ base64: String) throws -> [UInt32] {
        let data = try XCTUnwrap(Data(base64Encoded: base64))
        var out: [UInt32] = []
        for i in stride(from: 0, to: data.count, by: 4) {
            var word: UInt32 = 0
            for b in 0..<4 { word |= UInt32(data[i + b]) << UInt32(8 * b) }
            out.append(word)
        }
        return out
    }

    func testAWeightGradientCarriesOnlyTheValuesItsRuleMisses() throws {
        var table = BufferTable()
        let g: [Float] = [1, 2, 3, 4, 5, 6]       // 2 rows × 3
        let x: [Float] = [0.5, -1, 2, 0.25]       // 2 rows × 2
        let gi = table.add(g), xi = table.add(x)
        var w = BufferTable.weightGradient(g, x, rows: 2, n: 3, k: 2, mode: "fma")
        // out[j,k] = Σ_i g[i,j]·x[i,k]: 1·0.5 + 4·2, 1·(−1) + 4·0.25, …
        let expected: [Float] = [8.5, 0, 11, -0.75, 13.5, -1.5]
        XCTAssertEqual(w, expected)
        w[5] = w[5].nextUp   // the trace's value differs from the rule's in one element
        let wi = table.add(w, derivation: .weightGradient(gradient: gi, input: xi, rows: 2, n: 3, k: 2))
        guard case .derived(let d) = table.entries[wi] else { return XCTFail("carried instead of derived") }
        XCTAssertEqual(d.rule, "weightGradient")
        XCTAssertEqual(try words(try XCTUnwrap(d.fixes)), [5, w[5].bitPattern])
        // Zeros need no values at all.
        let zi = table.add([0, 0, 0])
        guard case .derived(let zeros) = table.entries[zi] else { return XCTFail("zeros carried") }
        XCTAssertEqual(zeros.rule, "zeros")
    }

    func testARuleThatMissesMostValuesIsNotUsed() {
        var table = BufferTable()
        let a = table.add([1, 2, 3]), b = table.add([4, 5, 6])
        let i = table.add([7, 8, 10], derivation: .sum([a, b]))
        guard case .packed = table.entries[i] else { return XCTFail("a rule with more fixes than values was kept") }
    }

    /// The Adam rule is Kernels.adamStep's arithmetic: no fixes for the new weight, m or v.
    func testTheAdamRuleIsTheKernel() {
        let rng = SeededGenerator(seed: 7)
        let n = 1000
        let p0 = (0..<n).map { _ in rng.normal() }, g = (0..<n).map { _ in rng.normal() * 0.01 }
        let m0 = (0..<n).map { _ in rng.normal() * 0.001 }, v0 = (0..<n).map { _ in abs(rng.normal()) * 1e-6 }
        for (step, wd) in [(1, Float(0)), (7, Float(1e-4))] {
            var (p, m, v) = (p0, m0, v0)
            Kernels.adamStep(param: &p, grad: g, m: &m, v: &v, lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: step, weightDecay: wd)
            let c = AdamConstants(lr: 0.01, step: step, wd: wd)
            XCTAssertEqual(BufferTable.adam(p0, g, m0, v0, c, part: "param").map(\.bitPattern), p.map(\.bitPattern), "step \(step)")
            XCTAssertEqual(BufferTable.adam(p0, g, m0, v0, c, part: "m").map(\.bitPattern), m.map(\.bitPattern))
            XCTAssertEqual(BufferTable.adam(p0, g, m0, v0, c, part: "v").map(\.bitPattern), v.map(\.bitPattern))
        }
    }

    /// The packed stream is byte planes, deflated: inflating and interleaving gives the values back.
    func testThePackedStreamInflatesToTheValues() throws {
        var table = BufferTable()
        let a: [Float] = [1.5, -2, .pi], b: [Float] = [1e-7, -3e5]
        _ = table.add(a); _ = table.add(b)
        let (text, length) = try table.packedText()
        // Base 85 by hand: 5 digits → a big-endian UInt32.
        let digits = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?()[]{}@%$#|~_")
        XCTAssertEqual(digits.count, 85)
        XCTAssertFalse(text.contains { "\"\\<>&'".contains($0) }, "a digit that would need escaping in the page")
        var bytes: [UInt8] = []
        let chars = Array(text)
        XCTAssertEqual(chars.count % 5, 0)
        for start in stride(from: 0, to: chars.count, by: 5) {
            var word: UInt64 = 0
            for c in chars[start..<start + 5] { word = word * 85 + UInt64(try XCTUnwrap(digits.firstIndex(of: c))) }
            bytes += [UInt8(word >> 24 & 255), UInt8(word >> 16 & 255), UInt8(word >> 8 & 255), UInt8(word & 255)]
        }
        let deflated = Data(bytes.prefix(length))
        var planes = Data()
        _ = try Data.decompress(size: Int64(deflated.count), bufferSize: 1 << 16, skipCRC32: true,
                                provider: { at, size in deflated.subdata(in: Int(at)..<min(deflated.count, Int(at) + size)) },
                                consumer: { planes.append($0) })
        let n = planes.count / 4
        var values: [Float] = []
        for i in 0..<n {
            var word: UInt32 = 0
            for b in 0..<4 { word |= UInt32(planes[b * n + i]) << UInt32(8 * b) }
            values.append(Float(bitPattern: word))
        }
        XCTAssertEqual(values, a + b)
    }
}
