// Elementwise kernels: the only loops over raw buffers for pointwise maths. Each is one tight
// loop over a contiguous buffer, so the compiler can vectorise it; no per-element dispatch or
// allocation. Ops call these and never touch pointers themselves.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum Kernels {}

extension Kernels {
    /// A new buffer of `n` values written by `body` (no zero-fill first).
    @inline(__always)
    static func make(_ n: Int, _ body: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        [Float](unsafeUninitializedCapacity: n) { buf, initialized in
            if n > 0 { body(buf.baseAddress!) }
            initialized = n
        }
    }

    @inline(__always)
    static func map(_ x: [Float], _ f: (Float) -> Float) -> [Float] {
        x.withUnsafeBufferPointer { xp in
            make(xp.count) { out in for i in 0..<xp.count { out[i] = f(xp[i]) } }
        }
    }

    @inline(__always)
    static func zipSame(_ a: [Float], _ b: [Float], _ f: (Float, Float) -> Float) -> [Float] {
        precondition(a.count == b.count)
        return a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                make(ap.count) { out in for i in 0..<ap.count { out[i] = f(ap[i], bp[i]) } }
            }
        }
    }

    // MARK: unary forward

    public static func neg(_ x: [Float]) -> [Float] { map(x) { -$0 } }
    public static func exp(_ x: [Float]) -> [Float] { map(x) { expf($0) } }
    public static func log(_ x: [Float]) -> [Float] { map(x) { logf($0) } }
    public static func relu(_ x: [Float]) -> [Float] { map(x) { $0 > 0 ? $0 : 0 } }
    /// NOTE: written as 1/(1+e^-x) for x ≥ 0 and e^x/(1+e^x) for x < 0, so neither branch
    /// overflows expf.
    public static func sigmoid(_ x: [Float]) -> [Float] {
        map(x) { v in
            if v >= 0 { return 1 / (1 + expf(-v)) }
            let e = expf(v)
            return e / (1 + e)
        }
    }
    public static func scale(_ x: [Float], _ s: Float) -> [Float] { map(x) { $0 * s } }
    /// (a − b) · s in one pass (mse's gradient), rounded as scale(sub(a, b), s).
    public static func scaledDifference(_ a: [Float], _ b: [Float], _ s: Float) -> [Float] {
        zipSame(a, b) { ($0 - $1) * s }
    }

    // MARK: unary backward (grad, result or input → grad_in)

    /// tanh′ from the saved result: grad · (1 − result²). No second tanh.
    public static func tanhBackward(grad: [Float], result: [Float]) -> [Float] {
        zipSame(grad, result) { g, y in g * (1 - y * y) }
    }
    /// relu′ from the saved result: the gradient passes where the output was positive.
    public static func reluBackward(grad: [Float], result: [Float]) -> [Float] {
        zipSame(grad, result) { g, y in y > 0 ? g : 0 }
    }
    public static func sigmoidBackward(grad: [Float], result: [Float]) -> [Float] {
        zipSame(grad, result) { g, y in g * y * (1 - y) }
    }
    public static func mul(_ a: [Float], _ b: [Float]) -> [Float] { zipSame(a, b, *) }
    public static func div(_ a: [Float], _ b: [Float]) -> [Float] { zipSame(a, b, /) }
    public static func add(_ a: [Float], _ b: [Float]) -> [Float] { zipSame(a, b, +) }
    public static func sub(_ a: [Float], _ b: [Float]) -> [Float] { zipSame(a, b, -) }

    /// acc += x, in place (gradient accumulation when a tensor is used more than once).
    public static func accumulate(_ acc: inout [Float], _ x: [Float]) {
        precondition(acc.count == x.count)
        acc.withUnsafeMutableBufferPointer { ap in
            x.withUnsafeBufferPointer { xp in for i in 0..<xp.count { ap[i] += xp[i] } }
        }
    }

    /// y += alpha · x, in place (optimizer steps).
    public static func axpy(_ alpha: Float, _ x: [Float], _ y: inout [Float]) {
        precondition(x.count == y.count)
        y.withUnsafeMutableBufferPointer { yp in
            x.withUnsafeBufferPointer { xp in for i in 0..<xp.count { yp[i] += alpha * xp[i] } }
        }
    }
}

// MARK: broadcasting binary kernels

extension Kernels {
    /// out = f(a, b) with NumPy broadcasting. Same shapes take one flat loop; otherwise an
    /// odometer walks the outer dimensions and the innermost dimension runs as a strided loop.
    @inline(__always)
    static func broadcastZip(_ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int],
                             _ outShape: [Int], _ f: (Float, Float) -> Float) -> [Float] {
        if aShape == bShape { return zipSame(a, b, f) }
        // A single value against a whole tensor (lesson 1's a·x and +b): one flat loop, without
        // the stride tables and row walk below.
        if a.count == 1 && bShape == outShape { let av = a[0]; return map(b) { f(av, $0) } }
        if b.count == 1 && aShape == outShape { let bv = b[0]; return map(a) { f($0, bv) } }
        let n = outShape.product
        if n == 0 { return [] }
        let r = outShape.count
        let sa = Shapes.broadcastStrides(aShape, to: outShape)
        let sb = Shapes.broadcastStrides(bShape, to: outShape)
        let inner = r == 0 ? 1 : outShape[r - 1]
        let ia = r == 0 ? 0 : sa[r - 1], ib = r == 0 ? 0 : sb[r - 1]
        let rows = n / max(inner, 1)
        return a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                make(n) { out in
                    var index = [Int](repeating: 0, count: max(r - 1, 0))
                    var offA = 0, offB = 0
                    for row in 0..<rows {
                        // Row pointers, not `ap[offA + i]`: checked index arithmetic in the
                        // loop kept it scalar (measured: a bias add cost as much as tanh).
                        let o = out + row * inner
                        let pa = ap.baseAddress! + offA, pb = bp.baseAddress! + offB
                        if ia == 1 && ib == 1 {
                            for i in 0..<inner { o[i] = f(pa[i], pb[i]) }
                        } else if ia == 1 && ib == 0 {
                            let bv = pb[0]
                            for i in 0..<inner { o[i] = f(pa[i], bv) }
                        } else if ia == 0 && ib == 1 {
                            let av = pa[0]
                            for i in 0..<inner { o[i] = f(av, pb[i]) }
                        } else {
                            for i in 0..<inner { o[i] = f(pa[i &* ia], pb[i &* ib]) }
                        }
                        // Advance the odometer over dims 0..<r-1.
                        var d = r - 2
                        while d >= 0 {
                            index[d] += 1
                            offA += sa[d]; offB += sb[d]
                            if index[d] < outShape[d] { break }
                            offA -= sa[d] * index[d]; offB -= sb[d] * index[d]
                            index[d] = 0
                            d -= 1
                        }
                    }
                }
            }
        }
    }

    public static func add(_ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int], out: [Int]) -> [Float] {
        broadcastZip(a, aShape, b, bShape, out, +)
    }
    public static func sub(_ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int], out: [Int]) -> [Float] {
        broadcastZip(a, aShape, b, bShape, out, -)
    }
    public static func mul(_ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int], out: [Int]) -> [Float] {
        broadcastZip(a, aShape, b, bShape, out, *)
    }
    public static func div(_ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int], out: [Int]) -> [Float] {
        broadcastZip(a, aShape, b, bShape, out, /)
    }

    /// sumToShape(grad · other): the gradient of one factor of a broadcast product. When that
    /// factor is a single value (lesson 1's a·x) it is one dot product, with no [N] buffer.
    public static func mulSumToShape(_ grad: [Float], _ other: [Float], _ otherShape: [Int],
                                     from: [Int], to: [Int]) -> [Float] {
        if to.product == 1 && otherShape == from {
            return [Float](repeating: Float(dot(grad, other)), count: 1)
        }
        return sumToShape(mul(grad, from, other, otherShape, out: from), from: from, to: to)
    }

    /// The adjoint of broadcasting: sum `grad` (shaped `from`) down to `to` by adding over every
    /// dimension that `to` broadcast. A bias row `[n]` against `[m, n]` gets column sums.
    public static func sumToShape(_ grad: [Float], from: [Int], to: [Int]) -> [Float] {
        if from == to { return grad }
        let n = to.product
        let total = from.product
        if total == 0 { return [Float](repeating: 0, count: n) }
        // A full reduction (a scalar broadcast over everything): accumulate in Double so
        // 10,000 per-point terms do not lose the 5th digit.
        if n == 1 { return [Float(dot(grad, nil))] }
        // `to` is a trailing block of `from` (bias rows): column sums.
        if n > 0, total % n == 0, Array(from.suffix(to.count)) == to {
            return sum(grad, outer: 1, n: total / n, inner: n)
        }
        var out = [Float](repeating: 0, count: n)
        // General case: walk `from` and add each value into its broadcast source.
        let st = Shapes.broadcastStrides(to, to: from)
        let r = from.count
        var index = [Int](repeating: 0, count: r)
        var off = 0
        out.withUnsafeMutableBufferPointer { o in
            grad.withUnsafeBufferPointer { g in
                for k in 0..<total {
                    o[off] += g[k]
                    var d = r - 1
                    while d >= 0 {
                        index[d] += 1; off += st[d]
                        if index[d] < from[d] { break }
                        off -= st[d] * index[d]; index[d] = 0
                        d -= 1
                    }
                }
            }
        }
        return out
    }
}
