// The page's value buffers. Every tensor is carried whole (explain needs any element), each
// distinct buffer once. Carried values go into one stream, byte planes apart (every value's
// first byte, then every second byte, …: signs and exponents repeat, mantissas do not) and
// deflated; the page inflates it with the browser's own DecompressionStream. A buffer that other buffers determine — a weight's gradient from the
// batch's gradient and input, a sum of contributions, Adam's new weight and moments — is carried
// as its rule plus the values where the rule's float arithmetic differs from the trace ("fixes"),
// so the page rebuilds the trace's exact values. book.js's `derive` is the same arithmetic.

import Foundation
import ZIPFoundation

/// How a buffer follows from earlier buffers of the table.
enum Derivation {
    /// x·Wᵀ's weight gradient: out[j,k] = Σ_i g[i,j]·x[i,k] over the batch's `rows`.
    case weightGradient(gradient: Int, input: Int, rows: Int, n: Int, k: Int)
    /// An embedding's gradient: each looked-up row's gradient added into the table row it read.
    case scatterAdd(gradient: Int, indices: Int, width: Int)
    /// Element-wise float sum, in order (a shared weight's contributions).
    case sum([Int])
    /// One Adam step (Kernels.adamStep): the new parameter, m or v.
    case adam(param: Int, grad: Int, m: Int, v: Int, constants: AdamConstants, part: String)
}

/// Kernels.adamStep's constants for one step, as float32 bits.
struct AdamConstants {
    var stepSize: Float, bc2Sqrt: Float, w1: Float, w2: Float, beta2: Float, eps: Float, wd: Float

    /// PyTorch's defaults (β1 0.9, β2 0.999, ε 1e-8), as Models.Adam uses them; bias corrections in Double.
    init(lr: Float, step: Int, wd: Float, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8) {
        let bc1 = 1 - Foundation.pow(Double(beta1), Double(step))
        let bc2 = 1 - Foundation.pow(Double(beta2), Double(step))
        stepSize = Float(Double(lr) / bc1)
        bc2Sqrt = Float(bc2.squareRoot())
        w1 = 1 - beta1; w2 = 1 - beta2
        self.beta2 = beta2; self.eps = eps; self.wd = wd
    }
    var bits: [UInt32] { [stepSize, bc2Sqrt, w1, w2, beta2, eps, wd].map(\.bitPattern) }
}

/// One buffer as the page carries it: `count` values from `at` in the packed stream, or a rule.
enum PageBuffer: Encodable {
    case packed(at: Int, count: Int)
    case derived(DerivedBuffer)

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case let .packed(at, count): try c.encode([at, count])
        case .derived(let d): try c.encode(d)
        }
    }
}

struct DerivedBuffer: Encodable {
    /// zeros, weightGradient, scatterAdd, sum, adam
    var rule: String
    var count: Int
    var from: [Int] = []
    /// weightGradient: [rows, n, k]; scatterAdd: [width]
    var dims: [Int]?
    /// weightGradient: how the products are accumulated (fma, float, double); adam: param, m or v.
    var mode: String?
    /// adam: AdamConstants.bits
    var constants: [UInt32]?
    /// (flat index, float32 bits) pairs as little-endian UInt32s in base64, where the rule's
    /// value is not the trace's.
    var fixes: String?
}

/// Collects distinct value buffers.
struct BufferTable {
    private(set) var entries: [PageBuffer] = []
    /// The carried values' float32 bits, one buffer after another.
    private var packed: [UInt32] = []
    private var decoded: [[Float]] = []
    private var index: [[UInt32]: Int] = [:]
    /// Buffers carried as rules, and the values they had to fix (for the commit log's figures).
    private(set) var derivedCount = 0, fixCount = 0

    mutating func add(_ values: [Float], derivation: Derivation? = nil) -> Int {
        let bits = values.map(\.bitPattern)
        if let i = index[bits] { return i }
        let entry: PageBuffer
        if !values.isEmpty && bits.allSatisfy({ $0 == 0 }) {
            entry = .derived(DerivedBuffer(rule: "zeros", count: values.count))
        } else if let derivation, let d = derived(derivation, values) {
            entry = .derived(d)
        } else {
            entry = .packed(at: packed.count, count: bits.count)
            packed += bits
        }
        entries.append(entry)
        decoded.append(values)
        index[bits] = entries.count - 1
        return entries.count - 1
    }

    /// The packed stream as the page holds it: byte planes, deflated (raw), in base 85, and the
    /// deflated stream's length in bytes.
    func packedText() throws -> (text: String, bytes: Int) {
        let n = packed.count
        var planes = [UInt8](repeating: 0, count: n * 4)
        for (i, w) in packed.enumerated() {
            for k in 0..<4 { planes[k * n + i] = UInt8((w >> (8 * UInt32(k))) & 0xFF) }
        }
        let data = Data(planes)
        var out = Data()
        _ = try Data.compress(size: Int64(data.count), bufferSize: 1 << 16,
                              provider: { at, size in data.subdata(in: Int(at)..<min(data.count, Int(at) + size)) },
                              consumer: { out.append($0) })
        return (Self.base85([UInt8](out)), out.count)
    }

    /// Base 85: every 4 bytes (big-endian, zero-padded at the end) as 5 characters of
    /// `base85Digits`, a sixth smaller than base 64 (the values are most of a page's weight).
    /// The digits leave out `"`, `\`, `<`, `>`, `&` and `'`, so the text sits in a JSON string
    /// inside <script> as it is.
    static func base85(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 3) / 4 * 5)
        var i = 0
        while i < bytes.count {
            var word: UInt32 = 0
            for k in 0..<4 { word = word << 8 | UInt32(i + k < bytes.count ? bytes[i + k] : 0) }
            var digits = [UInt8](repeating: 0, count: 5)
            for k in stride(from: 4, through: 0, by: -1) { digits[k] = base85Digits[Int(word % 85)]; word /= 85 }
            out += digits
            i += 4
        }
        return String(decoding: out, as: UTF8.self)
    }

    static let base85Digits = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?()[]{}@%$#|~_".utf8)

    static func base64(_ words: [UInt32]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(words.count * 4)
        for b in words { bytes += [UInt8(b & 0xFF), UInt8((b >> 8) & 0xFF), UInt8((b >> 16) & 0xFF), UInt8(b >> 24)] }
        return Data(bytes).base64EncodedString()
    }

    /// The rule with the fewest fixes, or nil when carrying the values is smaller.
    mutating func derived(_ derivation: Derivation, _ values: [Float]) -> DerivedBuffer? {
        var candidates: [DerivedBuffer] = []
        var predictions: [[Float]] = []
        switch derivation {
        case let .weightGradient(g, x, rows, n, k):
            guard decoded[g].count == rows * n, decoded[x].count == rows * k, values.count == n * k else { return nil }
            for mode in ["fma", "float", "double"] {
                candidates.append(DerivedBuffer(rule: "weightGradient", count: values.count, from: [g, x], dims: [rows, n, k], mode: mode))
                predictions.append(Self.weightGradient(decoded[g], decoded[x], rows: rows, n: n, k: k, mode: mode))
            }
        case let .scatterAdd(g, indices, width):
            guard width > 0, decoded[g].count == decoded[indices].count * width, values.count % width == 0,
                  decoded[indices].allSatisfy({ $0 >= 0 && Int($0) * width < values.count }) else { return nil }
            candidates.append(DerivedBuffer(rule: "scatterAdd", count: values.count, from: [g, indices], dims: [width]))
            predictions.append(Self.scatterAdd(decoded[g], decoded[indices], width: width, count: values.count))
        case let .sum(parts):
            guard !parts.isEmpty, parts.allSatisfy({ decoded[$0].count == values.count }) else { return nil }
            candidates.append(DerivedBuffer(rule: "sum", count: values.count, from: parts))
            predictions.append(Self.sum(parts.map { decoded[$0] }))
        case let .adam(p, g, m, v, constants, part):
            guard [p, g, m, v].allSatisfy({ decoded[$0].count == values.count }) else { return nil }
            candidates.append(DerivedBuffer(rule: "adam", count: values.count, from: [p, g, m, v], mode: part, constants: constants.bits))
            predictions.append(Self.adam(decoded[p], decoded[g], decoded[m], decoded[v], constants, part: part))
        }
        var best: (DerivedBuffer, [UInt32])?
        for (c, prediction) in zip(candidates, predictions) {
            var fixes: [UInt32] = []
            for i in values.indices where prediction[i].bitPattern != values[i].bitPattern {
                fixes += [UInt32(i), values[i].bitPattern]
            }
            if best == nil || fixes.count < best!.1.count { best = (c, fixes) }
        }
        // A fix costs two words, a carried value one: past half the values, carry them.
        guard var (chosen, fixes) = best, fixes.count < values.count else { return nil }
        if !fixes.isEmpty { chosen.fixes = Self.base64(fixes) }
        derivedCount += 1
        fixCount += fixes.count / 2
        return chosen
    }

    // The same float arithmetic as book.js's derive, step by step.

    static func weightGradient(_ g: [Float], _ x: [Float], rows: Int, n: Int, k: Int, mode: String) -> [Float] {
        var out = [Float](repeating: 0, count: n * k)
        for j in 0..<n {
            for kk in 0..<k {
                switch mode {
                case "fma":
                    // A fused multiply-add per row (the product is exact in Double).
                    var acc: Float = 0
                    for i in 0..<rows { acc = Float(Double(acc) + Double(g[i * n + j]) * Double(x[i * k + kk])) }
                    out[j * k + kk] = acc
                case "float":
                    var acc: Float = 0
                    for i in 0..<rows { acc = acc + g[i * n + j] * x[i * k + kk] }
                    out[j * k + kk] = acc
                default:
                    var acc = 0.0
                    for i in 0..<rows { acc += Double(g[i * n + j]) * Double(x[i * k + kk]) }
                    out[j * k + kk] = Float(acc)
                }
            }
        }
        return out
    }

    static func scatterAdd(_ g: [Float], _ indices: [Float], width: Int, count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        for (r, c) in indices.enumerated() {
            for col in 0..<width { out[Int(c) * width + col] = out[Int(c) * width + col] + g[r * width + col] }
        }
        return out
    }

    static func sum(_ parts: [[Float]]) -> [Float] {
        var out = parts[0]
        for p in parts.dropFirst() { for i in out.indices { out[i] = out[i] + p[i] } }
        return out
    }

    static func adam(_ p: [Float], _ g: [Float], _ m: [Float], _ v: [Float], _ c: AdamConstants, part: String) -> [Float] {
        var out = [Float](repeating: 0, count: p.count)
        for i in p.indices {
            let gi = c.wd == 0 ? g[i] : g[i] + c.wd * p[i]
            let m1 = m[i] + c.w1 * (gi - m[i])
            let v1 = v[i] * c.beta2 + c.w2 * gi * gi
            let denom = v1.squareRoot() / c.bc2Sqrt + c.eps
            out[i] = part == "m" ? m1 : part == "v" ? v1 : p[i] - c.stepSize * (m1 / denom)
        }
        return out
    }
}
