// Printing tensors the way the seed's notebook shows them: a shared scale factor line
// (`1.00000e-02 *`) when values are small or large, rows with ellipses past a few items, and
// the type/size footer.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Tensor: CustomStringConvertible {
    public var description: String { Tensor.format(data, shape: shape) }

    /// PyTorch-0.3-style preview of `values` with `shape`; `edge` items shown at each end.
    public static func format(_ values: [Float], shape: [Int], edge: Int = 3) -> String {
        let finite = values.filter { $0.isFinite }.map { abs($0) }
        let maxAbs = finite.max() ?? 0
        // A shared power of ten, as PyTorch 0.3 printed it, when every value is < 0.1 or ≥ 1000.
        var scale: Float = 1
        var header = ""
        if maxAbs > 0 && (maxAbs < 0.1 || maxAbs >= 1000) {
            let e = Int(floorf(log10f(maxAbs)))
            scale = powf(10, Float(e))
            header = String(formatScale(e)) + " *\n"
        }
        func num(_ v: Float) -> String { formatNumber(v / scale) }
        var lines: [String] = []
        func row(_ start: Int, _ n: Int) -> String {
            let idx: [Int?] = n > 2 * edge ? Array(0..<edge) + [nil] + Array((n - edge)..<n) : Array(0..<n)
            return idx.map { $0.map { num(values[start + $0]) } ?? "..." }.joined(separator: " ")
        }
        switch shape.count {
        case 0: lines.append(values.first.map(num) ?? "")
        case 1: lines.append(row(0, shape[0]))
        default:
            let cols = shape.last!
            let rows = values.count / Swift.max(cols, 1)
            let idx: [Int?] = rows > 2 * edge ? Array(0..<edge) + [nil] + Array((rows - edge)..<rows) : Array(0..<rows)
            for r in idx { lines.append(r.map { row($0 * cols, cols) } ?? "... ⋱ ...") }
        }
        let size = shape.isEmpty ? "scalar" : "size " + shape.map(String.init).joined(separator: "x")
        return header + lines.joined(separator: "\n") + "\n[Tensor of \(size)]"
    }

    static func formatScale(_ e: Int) -> String {
        let sign = e < 0 ? "-" : "+"
        let mag = abs(e)
        return "1.00000e\(sign)\(mag < 10 ? "0" : "")\(mag)"
    }

    /// Four decimals, right-aligned to a common width, like the seed's `-4.5326`.
    static func formatNumber(_ v: Float) -> String {
        if v.isNaN { return "    nan" }
        if v.isInfinite { return v > 0 ? "    inf" : "   -inf" }
        let r = (Double(v) * 10000).rounded() / 10000
        var s = String(format4(r))
        while s.count < 7 { s = " " + s }
        return s
    }

    private static func format4(_ x: Double) -> String {
        let neg = x < 0
        let a = abs(x)
        let whole = Int(a)
        var frac = Int(((a - Double(whole)) * 10000).rounded())
        var w = whole
        if frac == 10000 { frac = 0; w += 1 }
        let f = String(frac)
        return (neg && (w != 0 || frac != 0) ? "-" : "") + "\(w)." + String(repeating: "0", count: 4 - f.count) + f
    }
}
