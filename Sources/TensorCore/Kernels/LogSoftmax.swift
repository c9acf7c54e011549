// log_softmax along an axis and its backward rule, with SIMD rows for the vocabulary axis.
// Kernels that work "along an axis" split the shape into (outer, n, inner) so the axis becomes
// the middle of three loops and the innermost loop runs over contiguous memory.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Kernels {
    // MARK: log-softmax

    /// log_softmax along the middle axis. NOTE: subtracts the max before exponentiating, and
    /// returns (x − max) − log Σ exp(x − max), so no exp overflows and no log sees a zero.
    /// The brackets matter: x − (max + log Σ) rounds max + log Σ at max's magnitude and loses
    /// digits for large logits (log_softmax([1000, 1000]) came out −0.69318, not −0.69315).
    public static func logSoftmax(_ x: [Float], outer: Int, n: Int, inner: Int) -> [Float] {
        if inner == 1 { return logSoftmaxRows(x, rows: outer, n: n) }
        return x.withUnsafeBufferPointer { p in
            make(outer * n * inner) { out in
                var m = [Float](repeating: 0, count: inner)
                var s = [Float](repeating: 0, count: inner)
                for a in 0..<outer {
                    let base = a * n * inner
                    for i in 0..<inner { m[i] = -.infinity; s[i] = 0 }
                    for k in 0..<n {
                        let b = base + k * inner
                        for i in 0..<inner { m[i] = max(m[i], p[b + i]) }
                    }
                    for k in 0..<n {
                        let b = base + k * inner
                        for i in 0..<inner { s[i] += expf(p[b + i] - m[i]) }
                    }
                    for i in 0..<inner { s[i] = logf(s[i]) }
                    for k in 0..<n {
                        let b = base + k * inner
                        for i in 0..<inner { out[b + i] = (p[b + i] - m[i]) - s[i] }
                    }
                }
            }
        }
    }

    /// grad_in = grad − exp(result) · Σ_axis grad.
    public static func logSoftmaxBackward(grad: [Float], result: [Float], outer: Int, n: Int, inner: Int) -> [Float] {
        if inner == 1 { return logSoftmaxRowsBackward(grad: grad, result: result, rows: outer, n: n) }
        return grad.withUnsafeBufferPointer { g in
            result.withUnsafeBufferPointer { y in
                make(outer * n * inner) { out in
                    var s = [Float](repeating: 0, count: inner)
                    for a in 0..<outer {
                        let base = a * n * inner
                        for i in 0..<inner { s[i] = 0 }
                        for k in 0..<n {
                            let b = base + k * inner
                            for i in 0..<inner { s[i] += g[b + i] }
                        }
                        for k in 0..<n {
                            let b = base + k * inner
                            for i in 0..<inner { out[b + i] = g[b + i] - expf(y[b + i]) * s[i] }
                        }
                    }
                }
            }
        }
    }

    /// log_softmax over the last axis (contiguous rows of `n`), eight lanes at a time; the
    /// same brackets as above. NOTE: the max and the row's last n mod 8 values run in lanes
    /// too (a partial vector): a scalar max chain and five expf calls per row of 85 made this
    /// 4.2 ns/value.
    static func logSoftmaxRows(_ x: [Float], rows: Int, n: Int) -> [Float] {
        x.withUnsafeBufferPointer { xp in
            make(rows * n) { out in
                let whole = n & ~7, rest = n - whole
                Parallel.forRanges(rows, width: n) { range in for row in range {
                    let p = xp.baseAddress! + row * n, o = out + row * n
                    let raw = UnsafeRawPointer(p)
                    var m8 = SIMD8<Float>(repeating: -.infinity)
                    var i = 0
                    while i < whole {
                        let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
                        m8.replace(with: v, where: v .> m8)
                        i &+= 8
                    }
                    var m = m8.max()
                    for j in whole..<n { m = max(m, p[j]) }
                    var lanes = SIMD8<Float>()
                    i = 0
                    while i < whole {
                        let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
                        lanes += expNonPositive8(v - m)
                        i &+= 8
                    }
                    if rest > 0 {
                        // Padding lanes hold m (e⁰ = 1) and are masked out of the sum.
                        let e = expNonPositive8(partial(p + whole, rest, pad: m) - m)
                        lanes += e.replacing(with: 0, where: lanesFrom(rest))
                    }
                    let logS = logf(lanes.sum())
                    for j in 0..<n { o[j] = (p[j] - m) - logS }
                } }
            }
        }
    }

    /// grad − exp(result) · Σ grad, per row of `n`.
    static func logSoftmaxRowsBackward(grad: [Float], result: [Float], rows: Int, n: Int) -> [Float] {
        grad.withUnsafeBufferPointer { gp in
            result.withUnsafeBufferPointer { yp in
                make(rows * n) { out in
                    let whole = n & ~7, rest = n - whole
                    Parallel.forRanges(rows, width: n) { range in for row in range {
                        let g = gp.baseAddress! + row * n, y = yp.baseAddress! + row * n
                        let gr = UnsafeRawPointer(g), yr = UnsafeRawPointer(y)
                        let o = UnsafeMutableRawPointer(out + row * n)
                        var lanes = SIMD8<Float>()
                        var i = 0
                        while i < whole {
                            lanes += gr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
                            i &+= 8
                        }
                        if rest > 0 { lanes += partial(g + whole, rest, pad: 0) }
                        let s = lanes.sum()
                        i = 0
                        while i < whole {
                            let gv = gr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
                            let yv = yr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
                            o.storeBytes(of: gv - expNonPositive8(yv) * s, toByteOffset: i &* 4, as: SIMD8<Float>.self)
                            i &+= 8
                        }
                        if rest > 0 {
                            let v = partial(g + whole, rest, pad: 0) - expNonPositive8(partial(y + whole, rest, pad: 0)) * s
                            for j in 0..<rest { out[row * n + whole + j] = v[j] }
                        }
                    } }
                }
            }
        }
    }

    /// The first `count` (< 8) values at `p` in lanes 0..<count, `pad` in the others.
    @inline(__always)
    static func partial(_ p: UnsafePointer<Float>, _ count: Int, pad: Float) -> SIMD8<Float> {
        var v = SIMD8<Float>(repeating: pad)
        for j in 0..<count { v[j] = p[j] }
        return v
    }

    /// Lanes count..<8 set.
    @inline(__always)
    static func lanesFrom(_ count: Int) -> SIMDMask<SIMD8<Int32>> {
        SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) .>= SIMD8<Int32>(repeating: Int32(count))
    }
}
