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

    /// NOTE: the function a kernel applies is a type (`PointwiseUnary`, `PointwiseBinary`), not a closure. A
    /// kernel split across threads (`Parallel`) hands its loop to libgomp as a stored closure,
    /// and a closure `f` captured by that loop was called once per value, never inlined: a
    /// CharLoop slice's elementwise time doubled. A type parameter is specialised into the loop.
    @inline(__always)
    static func map<F: PointwiseUnary>(_ x: [Float], _ f: F, measuring: Bool = false) -> Measured {
        x.withUnsafeBufferPointer { xp in
            // Unwrapped out here: with `x![i]` in the loop it stayed scalar (lesson 1's a·x and +b
            // took ~5× as long).
            guard let x = xp.baseAddress else { return Measured([]) }
            return makeMeasured(xp.count, measuring: measuring) { out, r in for i in r { out[i] = f(x[i]) } }
        }
    }

    @inline(__always)
    static func zipSame<F: PointwiseBinary>(_ a: [Float], _ b: [Float], _ f: F, measuring: Bool = false) -> Measured {
        precondition(a.count == b.count)
        return a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                guard let a = ap.baseAddress, let b = bp.baseAddress else { return Measured([]) }
                return makeMeasured(ap.count, measuring: measuring) { out, r in for i in r { out[i] = f(a[i], b[i]) } }
            }
        }
    }

    // MARK: unary forward
    // A kernel that can measure what it writes returns `Measured`: its values, and the
    // statistics taken as they were written when `measuring` (Kernels/Statistics.swift).

    public static func neg(_ x: [Float], measuring: Bool = false) -> Measured { map(x, Neg(), measuring: measuring) }
    public static func exp(_ x: [Float], measuring: Bool = false) -> Measured { map(x, Exp(), measuring: measuring) }
    public static func log(_ x: [Float], measuring: Bool = false) -> Measured { map(x, Log(), measuring: measuring) }
    public static func relu(_ x: [Float], measuring: Bool = false) -> Measured { map(x, Relu(), measuring: measuring) }
    public static func sigmoid(_ x: [Float], measuring: Bool = false) -> Measured { map(x, Sigmoid(), measuring: measuring) }
    public static func sqrt(_ x: [Float], measuring: Bool = false) -> Measured { map(x, Sqrt(), measuring: measuring) }
    public static func scale(_ x: [Float], _ s: Float) -> [Float] { map(x, Scale(s: s)).values }
    /// (a − b) · s in one pass (mse's gradient), rounded as scale(sub(a, b), s).
    public static func scaledDifference(_ a: [Float], _ b: [Float], _ s: Float, measuring: Bool = false) -> Measured {
        zipSame(a, b, ScaledDifference(s: s), measuring: measuring)
    }

    // MARK: unary backward (grad, result or input → grad_in)

    /// tanh′ from the saved result: grad · (1 − result²). No second tanh.
    public static func tanhBackward(grad: [Float], result: [Float], measuring: Bool = false) -> Measured {
        zipSame(grad, result, TanhBackward(), measuring: measuring)
    }
    /// relu′ from the saved result: the gradient passes where the output was positive.
    public static func reluBackward(grad: [Float], result: [Float], measuring: Bool = false) -> Measured {
        zipSame(grad, result, ReluBackward(), measuring: measuring)
    }
    public static func sigmoidBackward(grad: [Float], result: [Float], measuring: Bool = false) -> Measured {
        zipSame(grad, result, SigmoidBackward(), measuring: measuring)
    }
    /// sqrt′ from the saved result: grad / (2 · result).
    public static func sqrtBackward(grad: [Float], result: [Float], measuring: Bool = false) -> Measured {
        zipSame(grad, result, SqrtBackward(), measuring: measuring)
    }
    /// x · mask · scale (inverted dropout, and its gradient: the same with grad for x), as
    /// PyTorch rounds it: the mask is scaled first (0 or 1/(1−p)), then multiplied.
    public static func maskedScale(_ x: [Float], mask: [Float], scale: Float, measuring: Bool = false) -> Measured {
        zipSame(x, mask, MaskedScale(s: scale), measuring: measuring)
    }
    public static func mul(_ a: [Float], _ b: [Float], measuring: Bool = false) -> Measured {
        zipSame(a, b, Mul(), measuring: measuring)
    }
    public static func div(_ a: [Float], _ b: [Float], measuring: Bool = false) -> Measured {
        zipSame(a, b, Div(), measuring: measuring)
    }
    public static func add(_ a: [Float], _ b: [Float]) -> [Float] { zipSame(a, b, Add()).values }
    public static func sub(_ a: [Float], _ b: [Float]) -> [Float] { zipSame(a, b, Sub()).values }

    /// acc += x, in place (gradient accumulation when a tensor is used more than once).
    public static func accumulate(_ acc: inout [Float], _ x: [Float]) {
        precondition(acc.count == x.count)
        acc.withUnsafeMutableBufferPointer { ap in
            x.withUnsafeBufferPointer { xp in
                guard let a = ap.baseAddress, let x = xp.baseAddress else { return }
                add(x, into: a, count: xp.count)
            }
        }
    }

    /// dst[i] += src[i] for `count` values, split across threads.
    static func add(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forRanges(count) { r in for i in r { dst[i] += src[i] } }
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
    static func broadcastZip<F: PointwiseBinary>(_ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int],
                                        _ outShape: [Int], _ f: F, measuring: Bool) -> Measured {
        if aShape == bShape { return zipSame(a, b, f, measuring: measuring) }
        // A single value against a whole tensor (lesson 1's a·x and +b): one flat loop, without
        // the stride tables and row walk below.
        if a.count == 1 && bShape == outShape { return map(b, WithLeft(f: f, a: a[0]), measuring: measuring) }
        if b.count == 1 && aShape == outShape { return map(a, WithRight(f: f, b: b[0]), measuring: measuring) }
        let n = outShape.product
        if n == 0 { return Measured([]) }
        // One row against every row (a bias [n] added to [m, n]): rows split across threads.
        if aShape == outShape, let width = repeatedRow(bShape, in: outShape) {
            return rowZip(a, b, rows: n / width, width: width, f, measuring: measuring)
        }
        if bShape == outShape, let width = repeatedRow(aShape, in: outShape) {
            return rowZip(b, a, rows: n / width, width: width, Swapped(f: f), measuring: measuring)
        }
        let r = outShape.count
        let sa = Shapes.broadcastStrides(aShape, to: outShape)
        let sb = Shapes.broadcastStrides(bShape, to: outShape)
        let inner = r == 0 ? 1 : outShape[r - 1]
        let ia = r == 0 ? 0 : sa[r - 1], ib = r == 0 ? 0 : sb[r - 1]
        let rows = n / max(inner, 1)
        return Measured(a.withUnsafeBufferPointer { ap in
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
        })
    }

    /// The row length when `shape` (leading 1s aside) is a trailing block of `outShape`, so a
    /// tensor of that shape repeats as one row of the output; nil otherwise.
    static func repeatedRow(_ shape: [Int], in outShape: [Int]) -> Int? {
        let row = Array(shape.drop { $0 == 1 })
        guard row.count < outShape.count, Array(outShape.suffix(row.count)) == row else { return nil }
        let width = row.product
        return width > 0 ? width : nil
    }

    /// out[r, i] = f(x[r, i], row[i]) for `rows` rows of `width` values. Walked as flat ranges
    /// (threads' chunks, or the statistics' chunks), each as pieces of rows: row pointers, since
    /// checked index arithmetic kept the loop scalar.
    @inline(__always)
    static func rowZip<F: PointwiseBinary>(_ x: [Float], _ row: [Float], rows: Int, width: Int, _ f: F,
                                           measuring: Bool) -> Measured {
        x.withUnsafeBufferPointer { xp in
            row.withUnsafeBufferPointer { rp in
                let x = xp.baseAddress!, b = rp.baseAddress!
                return makeMeasured(rows * width, measuring: measuring) { out, range in
                    var i = range.lowerBound, column = i % width
                    while i < range.upperBound {
                        let piece = Swift.min(width - column, range.upperBound - i)
                        let o = out + i, a = x + i, c = b + column
                        for k in 0..<piece { o[k] = f(a[k], c[k]) }
                        i += piece
                        column = 0
                    }
                }
            }
        }
    }

    public static func add(_ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int], out: [Int],
                           measuring: Bool = false) -> Measured {
        broadcastZip(a, aShape, b, bShape, out, Add(), measuring: measuring)
    }
    public static func sub(_ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int], out: [Int],
                           measuring: Bool = false) -> Measured {
        broadcastZip(a, aShape, b, bShape, out, Sub(), measuring: measuring)
    }
    public static func mul(_ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int], out: [Int],
                           measuring: Bool = false) -> Measured {
        broadcastZip(a, aShape, b, bShape, out, Mul(), measuring: measuring)
    }
    public static func div(_ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int], out: [Int],
                           measuring: Bool = false) -> Measured {
        broadcastZip(a, aShape, b, bShape, out, Div(), measuring: measuring)
    }

    /// sumToShape(grad · other): the gradient of one factor of a broadcast product. When that
    /// factor is a single value (lesson 1's a·x) it is one dot product, with no [N] buffer.
    public static func mulSumToShape(_ grad: [Float], _ other: [Float], _ otherShape: [Int],
                                     from: [Int], to: [Int], measuring: Bool = false) -> Measured {
        if to.product == 1 && otherShape == from {
            // A literal, not `[Float](repeating:count:)`: see `Shapes.broadcast`'s note.
            return Measured([Float(dot(grad, other))])
        }
        let product = mul(grad, from, other, otherShape, out: from, measuring: measuring && from == to)
        return from == to ? product : Measured(sumToShape(product.values, from: from, to: to))
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

// MARK: pointwise functions, as types the kernels specialise on

protocol PointwiseUnary { func callAsFunction(_ x: Float) -> Float }
protocol PointwiseBinary { func callAsFunction(_ a: Float, _ b: Float) -> Float }

extension Kernels {
    struct Neg: PointwiseUnary { @inline(__always) func callAsFunction(_ x: Float) -> Float { -x } }
    struct Exp: PointwiseUnary { @inline(__always) func callAsFunction(_ x: Float) -> Float { expf(x) } }
    struct Log: PointwiseUnary { @inline(__always) func callAsFunction(_ x: Float) -> Float { logf(x) } }
    struct Relu: PointwiseUnary { @inline(__always) func callAsFunction(_ x: Float) -> Float { x > 0 ? x : 0 } }
    /// NOTE: 1/(1+e^-x) for x ≥ 0 and e^x/(1+e^x) for x < 0, so neither branch overflows expf.
    struct Sigmoid: PointwiseUnary {
        @inline(__always) func callAsFunction(_ x: Float) -> Float {
            if x >= 0 { return 1 / (1 + expf(-x)) }
            let e = expf(x)
            return e / (1 + e)
        }
    }
    struct Scale: PointwiseUnary { let s: Float; @inline(__always) func callAsFunction(_ x: Float) -> Float { x * s } }

    struct Add: PointwiseBinary { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b } }
    struct Sub: PointwiseBinary { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b } }
    struct Mul: PointwiseBinary { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b } }
    struct Div: PointwiseBinary { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b } }
    struct ScaledDifference: PointwiseBinary {
        let s: Float
        @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { (a - b) * s }
    }
    /// grad, result → grad · (1 − result²)
    struct TanhBackward: PointwiseBinary {
        @inline(__always) func callAsFunction(_ g: Float, _ y: Float) -> Float { g * (1 - y * y) }
    }
    struct ReluBackward: PointwiseBinary {
        @inline(__always) func callAsFunction(_ g: Float, _ y: Float) -> Float { y > 0 ? g : 0 }
    }
    struct SigmoidBackward: PointwiseBinary {
        @inline(__always) func callAsFunction(_ g: Float, _ y: Float) -> Float { g * y * (1 - y) }
    }
    struct Sqrt: PointwiseUnary { @inline(__always) func callAsFunction(_ x: Float) -> Float { x.squareRoot() } }
    struct SqrtBackward: PointwiseBinary {
        @inline(__always) func callAsFunction(_ g: Float, _ y: Float) -> Float { g / (2 * y) }
    }
    struct MaskedScale: PointwiseBinary {
        let s: Float
        @inline(__always) func callAsFunction(_ x: Float, _ m: Float) -> Float { x * (m * s) }
    }

    /// f(a, x): a binary function with its left operand fixed (a scalar broadcast).
    struct WithLeft<F: PointwiseBinary>: PointwiseUnary {
        let f: F, a: Float
        @inline(__always) func callAsFunction(_ x: Float) -> Float { f(a, x) }
    }
    /// f(x, b): a binary function with its right operand fixed.
    struct WithRight<F: PointwiseBinary>: PointwiseUnary {
        let f: F, b: Float
        @inline(__always) func callAsFunction(_ x: Float) -> Float { f(x, b) }
    }
    /// f(b, a): the operands exchanged (a row broadcast on the left).
    struct Swapped<F: PointwiseBinary>: PointwiseBinary {
        let f: F
        @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { f(b, a) }
    }
}
