// Sums: whole buffers (in Double, four SIMD lanes of partial sums) and along an axis; the
// adjoint of a sum (expand); max and argmax.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Kernels {
    // MARK: reductions

    public static func sumAll(_ x: [Float]) -> Float { Float(dot(x, nil)) }

    /// Σ x·y (or Σ x when `y` is nil; Σ x² when `y` is `x`), accumulated in Double across
    /// blocks so a 131k-element mean does not drift in the 5th digit.
    public static func dot(_ x: [Float], _ y: [Float]?) -> Double {
        precondition(y == nil || y!.count == x.count)
        return x.withUnsafeBufferPointer { xp in
            guard let xb = xp.baseAddress, xp.count > 0 else { return 0 }
            guard let y else { return dot(xb, nil, xp.count) }
            return y.withUnsafeBufferPointer { yp in dot(xb, yp.baseAddress!, xp.count) }
        }
    }

    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>?, _ n: Int) -> Double {
        if let y { return blockSum(Product(x: x, y: y), n) }
        return blockSum(Plain(x: x), n)
    }

    /// Σ (a − b)², the forward of mse without a buffer of differences.
    static func squaredDistance(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count)
        return a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                guard let a = ap.baseAddress, let b = bp.baseAddress, ap.count > 0 else { return 0 }
                return blockSum(SquaredDifference(a: a, b: b), ap.count)
            }
        }
    }

    /// The terms of a sum: eight starting at a byte offset, or one at an index (the tail).
    /// Structs rather than closures: a two-statement closure was left as a call per vector.
    protocol SumTerms {
        func vector(_ byteOffset: Int) -> SIMD8<Float>
        func scalar(_ i: Int) -> Float
    }
    struct Plain: SumTerms {
        let x: UnsafePointer<Float>
        @inline(__always) func vector(_ o: Int) -> SIMD8<Float> {
            UnsafeRawPointer(x).loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
        }
        @inline(__always) func scalar(_ i: Int) -> Float { x[i] }
    }
    struct Product: SumTerms {
        let x: UnsafePointer<Float>, y: UnsafePointer<Float>
        @inline(__always) func vector(_ o: Int) -> SIMD8<Float> {
            UnsafeRawPointer(x).loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                * UnsafeRawPointer(y).loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
        }
        @inline(__always) func scalar(_ i: Int) -> Float { x[i] * y[i] }
    }
    struct SquaredDifference: SumTerms {
        let a: UnsafePointer<Float>, b: UnsafePointer<Float>
        @inline(__always) func vector(_ o: Int) -> SIMD8<Float> {
            let d = UnsafeRawPointer(a).loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                - UnsafeRawPointer(b).loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            return d * d
        }
        @inline(__always) func scalar(_ i: Int) -> Float { let d = a[i] - b[i]; return d * d }
    }

    /// Σ of n terms. NOTE: four SIMD8 accumulators, each taking 16 vectors per block of 512
    /// values (16 terms per lane, as with one accumulator over blocks of 128), and each block's
    /// lanes added into Double, so long sums keep their 5th digit. One accumulator was a chain
    /// of dependent adds; four leave the loop bound by loads.
    @inline(__always)
    static func blockSum<T: SumTerms>(_ t: T, _ n: Int) -> Double {
        var s0 = SIMD4<Double>(), s1 = SIMD4<Double>()
        var i = 0
        while i + 32 <= n {
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            let end = Swift.min(n &- 31, i &+ 512)
            while i < end {
                let o = i &* 4
                a0 += t.vector(o)
                a1 += t.vector(o &+ 32)
                a2 += t.vector(o &+ 64)
                a3 += t.vector(o &+ 96)
                i &+= 32
            }
            s0 += SIMD4<Double>(a0.lowHalf) + SIMD4<Double>(a1.lowHalf)
                + SIMD4<Double>(a2.lowHalf) + SIMD4<Double>(a3.lowHalf)
            s1 += SIMD4<Double>(a0.highHalf) + SIMD4<Double>(a1.highHalf)
                + SIMD4<Double>(a2.highHalf) + SIMD4<Double>(a3.highHalf)
        }
        var a = SIMD8<Float>()
        while i + 8 <= n {
            a += t.vector(i &* 4)
            i &+= 8
        }
        s0 += SIMD4<Double>(a.lowHalf); s1 += SIMD4<Double>(a.highHalf)
        var tail = 0.0
        while i < n {
            tail += Double(t.scalar(i))
            i &+= 1
        }
        return (s0 + s1).sum() + tail
    }

    /// Sum over `axis` of a tensor split as (outer, n, inner); result has outer·inner values.
    public static func sum(_ x: [Float], outer: Int, n: Int, inner: Int) -> [Float] {
        x.withUnsafeBufferPointer { p in
            make(outer * inner) { out in
                if outer == 1 {
                    // A bias gradient: blocks of 32 columns split across threads. Each column is
                    // still added top to bottom by one thread, so the sums do not change.
                    let x = p.baseAddress!
                    Parallel.forRanges((inner + 31) / 32, width: 32 * n) { range in
                        let first = range.lowerBound * 32, last = Swift.min(inner, range.upperBound * 32)
                        columnSums(x + first, rows: n, columns: last - first, stride: inner, into: out + first)
                    }
                    return
                }
                for a in 0..<outer {
                    columnSums(p.baseAddress! + a * n * inner, rows: n, columns: inner, into: out + a * inner)
                }
            }
        }
    }

    /// out[j] = Σ_r x[r·columns + j] for a row-major [rows, columns] block, each column added
    /// top to bottom (the order of a plain row-by-row loop, so values are unchanged from it).
    /// NOTE: 32 columns at a time stay in four registers down all the rows, then are stored
    /// once. The row-by-row loop read and wrote the whole output for every row: a bias gradient
    /// ([512, 256] → [256]) measured 1.2 ns/value that way, 0.1 ns like this.
    static func columnSums(_ x: UnsafePointer<Float>, rows: Int, columns: Int, stride: Int? = nil,
                           into out: UnsafeMutablePointer<Float>) {
        let xr = UnsafeRawPointer(x), orr = UnsafeMutableRawPointer(out)
        let stride = stride ?? columns
        let rowBytes = stride &* 4
        var j = 0
        while j + 32 <= columns {
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            var o = j &* 4
            for _ in 0..<rows {
                a0 += xr.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                a1 += xr.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD8<Float>.self)
                a2 += xr.loadUnaligned(fromByteOffset: o &+ 64, as: SIMD8<Float>.self)
                a3 += xr.loadUnaligned(fromByteOffset: o &+ 96, as: SIMD8<Float>.self)
                o &+= rowBytes
            }
            orr.storeBytes(of: a0, toByteOffset: j &* 4, as: SIMD8<Float>.self)
            orr.storeBytes(of: a1, toByteOffset: j &* 4 &+ 32, as: SIMD8<Float>.self)
            orr.storeBytes(of: a2, toByteOffset: j &* 4 &+ 64, as: SIMD8<Float>.self)
            orr.storeBytes(of: a3, toByteOffset: j &* 4 &+ 96, as: SIMD8<Float>.self)
            j &+= 32
        }
        while j + 8 <= columns {
            var a0 = SIMD8<Float>()
            var o = j &* 4
            for _ in 0..<rows {
                a0 += xr.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                o &+= rowBytes
            }
            orr.storeBytes(of: a0, toByteOffset: j &* 4, as: SIMD8<Float>.self)
            j &+= 8
        }
        while j < columns {
            var s: Float = 0
            var k = j
            for _ in 0..<rows { s += x[k]; k &+= stride }
            out[j] = s
            j &+= 1
        }
    }

    /// Repeat `g` (outer·inner values) n times along the middle axis: the adjoint of `sum`.
    public static func expand(_ g: [Float], outer: Int, n: Int, inner: Int, scale: Float = 1) -> [Float] {
        g.withUnsafeBufferPointer { gp in
            make(outer * n * inner) { out in
                for a in 0..<outer {
                    for k in 0..<n {
                        let ob = (a * n + k) * inner
                        for i in 0..<inner { out[ob + i] = gp[a * inner + i] * scale }
                    }
                }
            }
        }
    }

    /// Max and argmax along the middle axis (first index wins ties, like PyTorch).
    public static func maxArgmax(_ x: [Float], outer: Int, n: Int, inner: Int) -> ([Float], [Int]) {
        var best = [Float](repeating: -.infinity, count: outer * inner)
        var arg = [Int](repeating: 0, count: outer * inner)
        x.withUnsafeBufferPointer { p in
            for a in 0..<outer {
                for k in 0..<n {
                    let xb = (a * n + k) * inner
                    for i in 0..<inner where p[xb + i] > best[a * inner + i] || (k == 0) {
                        best[a * inner + i] = p[xb + i]
                        arg[a * inner + i] = k
                    }
                }
            }
        }
        return (best, arg)
    }
}
