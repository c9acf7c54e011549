// Kernels that work "along an axis". Every one splits the shape into (outer, n, inner) so the
// axis becomes the middle of three loops and the innermost loop runs over contiguous memory.

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

    /// Sums, extremes and non-finite counts of a buffer, for trace summaries.
    public struct Moments {
        public var finite = 0, nan = 0, inf = 0
        /// Σx and Σx² over the finite values, in Double.
        public var sum = 0.0, sumOfSquares = 0.0
        /// Extremes of the finite values (±infinity when there are none).
        public var min = Double.infinity, max = -Double.infinity
    }

    /// One pass of statistics. The common case (every value finite) runs in SIMD lanes with no
    /// branches: a summary of every tensor is what `summary` tracing costs, so this loop decides
    /// whether tracing a training step is affordable. A NaN or infinity anywhere (detected as a
    /// non-finite lane sum; x − x ≠ 0 in the short tail) reruns the buffer through the exact,
    /// branching loop that skips and counts them.
    ///
    /// The buffer is cut into sections of `momentSection` values at fixed places. Each section's
    /// partial sums are computed the same way on whichever thread runs it, and the partials are
    /// added in order afterwards: the statistics are bit-identical on one thread or two.
    public static func moments(_ x: [Float]) -> Moments {
        x.withUnsafeBufferPointer { p in
            let whole = p.count & ~7
            let total = whole == 0 ? MomentsPartial()
                                   : sectionMoments(UnsafeRawPointer(p.baseAddress!), whole: whole) { _ in }
            return finishMoments(p, whole: whole, total: total)
        }
    }

    /// The partials of values 0..<whole (a multiple of 8), section by section on the team, each
    /// section in blocks of 128, added in order. `prepare(range)` runs just before each chunk of
    /// blocks is measured: nothing for a buffer that exists (`moments`), writing it for a kernel
    /// that measures as it writes (`makeMeasured`), so both run the very same sums.
    @inline(__always)
    static func sectionMoments(_ raw: UnsafeRawPointer, whole: Int,
                               prepare: (Range<Int>) -> Void) -> MomentsPartial {
        let sections = (whole + momentSection - 1) / momentSection
        return withUnsafeTemporaryAllocation(of: MomentsPartial.self, capacity: sections) { parts in
            let partials = parts.baseAddress!
            Parallel.forRanges(sections, width: momentSection) { range in
                for j in range {
                    let end = Swift.min(whole, (j + 1) * momentSection)
                    var acc = MomentsAccumulator()
                    var i = j * momentSection
                    while i < end {
                        // NOTE: `prepare` once per 16 blocks, not per block: the indirect call
                        // made the compiler spill the accumulators around it and a 512×256
                        // summary ran at 0.20 ns per value. 8 KB written is still in L1.
                        let chunkEnd = Swift.min(end, i + momentChunk)
                        prepare(i..<chunkEnd)
                        while i < chunkEnd {
                            let blockEnd = Swift.min(chunkEnd, i + 128)
                            acc.add(raw, from: i, to: blockEnd)
                            i = blockEnd
                        }
                    }
                    (partials + j).initialize(to: acc.partial)
                }
            }
            if sections == 1 { return partials[0] }
            var total = MomentsPartial()
            for j in 0..<sections { total.add(partials[j]) }
            return total
        }
    }

    /// The statistics of `p` from its sections' partials added in order (`total`, covering
    /// 0..<whole): the scalar tail added, and when anything was not finite, the exact loop.
    static func finishMoments(_ p: UnsafeBufferPointer<Float>, whole: Int, total: MomentsPartial) -> Moments {
        let n = p.count
        var m = Moments()
        var tail = (sum: 0.0, squares: 0.0, lo: Float.infinity, hi: -Float.infinity, poison: Float(0))
        for i in whole..<n {
            let v = p[i]
            tail.poison += v - v
            tail.lo = Swift.min(tail.lo, v); tail.hi = Swift.max(tail.hi, v)
            tail.sum += Double(v); tail.squares += Double(v) * Double(v)
        }
        // Lanes are reduced only when there were blocks: lesson 1 summarises a, b, the loss and
        // their gradients (fewer than 8 values, no blocks) about 12 times per step. Without
        // blocks the sums are zero and the extremes ±infinity, as the reductions would give.
        let blocks = whole > 0
        let blockSum = blocks ? total.s.sum() : 0, blockSquares = blocks ? total.q.sum() : 0
        // A NaN or infinity anywhere makes the Float block sums non-finite (so does a sum of
        // squares past 3e38, which the exact loop then handles in Double).
        if (blockSum + blockSquares).isFinite && tail.poison == 0 {
            m.finite = n
            m.sum = blockSum + tail.sum
            m.sumOfSquares = blockSquares + tail.squares
            if n > 0 {
                m.min = Double(blocks ? Swift.min(total.lo.min(), tail.lo) : tail.lo)
                m.max = Double(blocks ? Swift.max(total.hi.max(), tail.hi) : tail.hi)
            }
            return m
        }
        for i in 0..<n {
            let v = p[i]
            if v.isNaN { m.nan += 1; continue }
            if v.isInfinite { m.inf += 1; continue }
            let d = Double(v)
            m.finite += 1
            m.sum += d; m.sumOfSquares += d * d
            if d < m.min { m.min = d }
            if d > m.max { m.max = d }
        }
        return m
    }

    /// Values per section of `moments` (a multiple of its 128-value blocks). 16,384 floats are
    /// 64 KB: a 512×256 activation is 8 sections, 4 per thread.
    static let momentSection = 1 << 14

    /// Values a measuring kernel writes before they are measured (16 blocks, 8 KB).
    static let momentChunk = 1 << 11

    /// Sums of one section in Double lanes, and its extremes in Float lanes.
    struct MomentsPartial {
        var s = SIMD8<Double>(), q = SIMD8<Double>()
        var lo = SIMD8<Float>(repeating: .infinity), hi = SIMD8<Float>(repeating: -.infinity)

        mutating func add(_ o: MomentsPartial) {
            s += o.s; q += o.q
            lo.replace(with: o.lo, where: o.lo .< lo)
            hi.replace(with: o.hi, where: o.hi .> hi)
        }
    }

    /// A section's partial, fed one block at a time (`sectionMoments`). NOTE: sums run in Float
    /// lanes over blocks of 128 values (16 terms per lane, relative error ≤ 16 ulp, typically
    /// ~1), and each block's lanes are added into Double: converting every value to Double made
    /// a summary cost as much as the op it describes.
    struct MomentsAccumulator {
        var r = MomentsPartial()
        var lo1 = SIMD8<Float>(repeating: .infinity), hi1 = SIMD8<Float>(repeating: -.infinity)

        /// One block: start..<end, at most 128 values, a multiple of 8. NOTE: two vectors per
        /// step in separate accumulators, so that each add waits on the one two steps back, not
        /// on the previous one (one chain of 4-cycle adds measured 0.24 ns/float).
        @inline(__always)
        mutating func add(_ raw: UnsafeRawPointer, from start: Int, to end: Int) {
            var i = start
            var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), q0 = SIMD8<Float>(), q1 = SIMD8<Float>()
            while i + 16 <= end {
                let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
                let w = raw.loadUnaligned(fromByteOffset: i &* 4 &+ 32, as: SIMD8<Float>.self)
                // Not pointwiseMin/Max: those stay generic calls (measured 4× slower here).
                r.lo.replace(with: v, where: v .< r.lo)
                r.hi.replace(with: v, where: v .> r.hi)
                lo1.replace(with: w, where: w .< lo1)
                hi1.replace(with: w, where: w .> hi1)
                s0 += v; s1 += w
                q0 = fma(v, v, q0); q1 = fma(w, w, q1)
                i &+= 16
            }
            if i < end {
                let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
                r.lo.replace(with: v, where: v .< r.lo)
                r.hi.replace(with: v, where: v .> r.hi)
                s0 += v
                q0 = fma(v, v, q0)
            }
            let bs = s0 + s1, bq = q0 + q1
            // NOTE: eight Double lanes, one per Float lane. Folding the halves first
            // (SIMD4(bs.lowHalf) + SIMD4(bs.highHalf)) compiled to scalar converts and
            // shuffles once inlined here: 0.12 against 0.09 ns per value.
            r.s += SIMD8<Double>(bs)
            r.q += SIMD8<Double>(bq)
        }

        var partial: MomentsPartial {
            var p = r
            p.lo.replace(with: lo1, where: lo1 .< p.lo)
            p.hi.replace(with: hi1, where: hi1 .> p.hi)
            return p
        }
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

    // MARK: moving blocks

    /// x[..., index, ...] along the middle axis.
    public static func select(_ x: [Float], outer: Int, n: Int, inner: Int, index: Int) -> [Float] {
        slice(x, outer: outer, n: n, inner: inner, start: index, length: 1)
    }

    /// x[..., start..<start+length, ...] along the middle axis. Written by flat ranges of the
    /// result (`makeMeasured`), so at `summary` the copy is measured as it is made: CharRnn's
    /// eight time-step selects and their gradients were each read a second time for statistics.
    public static func slice(_ x: [Float], outer: Int, n: Int, inner: Int, start: Int, length: Int) -> [Float] {
        let block = length * inner
        return x.withUnsafeBufferPointer { p in
            let source = p.baseAddress!
            return makeMeasured(outer * block) { out, range in
                copyRows(out, range, width: block) { a in source + (a * n + start) * inner }
            }
        }
    }

    /// The adjoint of `slice`: `g` written into zeros at start..<start+length.
    public static func unslice(_ g: [Float], outer: Int, n: Int, inner: Int, start: Int, length: Int) -> [Float] {
        var out = zeros(outer * n * inner)
        out.withUnsafeMutableBufferPointer { o in
            g.withUnsafeBufferPointer { gp in
                let block = length * inner
                for a in 0..<outer {
                    copy(o.baseAddress! + (a * n + start) * inner, gp.baseAddress! + a * block, block)
                }
            }
        }
        return out
    }

    /// Concatenate blocks along the middle axis; `parts[j]` has `ns[j]` entries on that axis.
    /// Written by flat ranges of the result like `slice`, so it is measured as it is made.
    public static func concat(_ parts: [[Float]], ns: [Int], outer: Int, inner: Int) -> [Float] {
        // withBaseAddresses nests one closure per part; past a few hundred parts, concatenate
        // groups first so the stack depth stays bounded whatever the input length.
        if parts.count > maxNestedParts {
            var groups: [[Float]] = [], groupNs: [Int] = []
            for lo in stride(from: 0, to: parts.count, by: maxNestedParts) {
                let hi = Swift.min(lo + maxNestedParts, parts.count)
                groups.append(concat(Array(parts[lo..<hi]), ns: Array(ns[lo..<hi]), outer: outer, inner: inner))
                groupNs.append(ns[lo..<hi].reduce(0, +))
            }
            return concat(groups, ns: groupNs, outer: outer, inner: inner)
        }
        let runs = ns.map { $0 * inner }
        let row = runs.reduce(0, +)
        return withBaseAddresses(parts) { sources in
            makeMeasured(outer * row) { out, range in
                var i = range.lowerBound
                var a = i / row, within = i - a * row
                // The part that `within` falls in, and where that part starts in a result row.
                var j = 0, partStart = 0
                while within >= partStart + runs[j] { partStart += runs[j]; j += 1 }
                while i < range.upperBound {
                    let offset = within - partStart
                    let run = Swift.min(runs[j] - offset, range.upperBound - i)
                    (out + i).update(from: sources[j] + a * runs[j] + offset, count: run)
                    i += run; within += run
                    // Next part, skipping empty ones; past the last, the next row's first.
                    while i < range.upperBound && within >= partStart + runs[j] {
                        partStart += runs[j]; j += 1
                        if j == runs.count { j = 0; partStart = 0; within = 0; a += 1 }
                    }
                }
            }
        }
    }

    static let maxNestedParts = 256

    /// The base address of every array at once (an empty one's is never read). Recursive, one
    /// level per array: callers pass at most `maxNestedParts`.
    static func withBaseAddresses<R>(_ arrays: [[Float]], _ body: ([UnsafePointer<Float>]) -> R) -> R {
        var pointers: [UnsafePointer<Float>] = []
        pointers.reserveCapacity(arrays.count)
        func nest(_ k: Int) -> R {
            if k == arrays.count { return body(pointers) }
            return arrays[k].withUnsafeBufferPointer { p in
                pointers.append(p.baseAddress ?? UnsafePointer(bitPattern: MemoryLayout<Float>.alignment)!)
                return nest(k + 1)
            }
        }
        return nest(0)
    }

    /// Values `range` of a result made of rows of `width` values, row r copied from
    /// `rowStart(r)`: whole rows where the range covers them, pieces at its ends.
    @inline(__always)
    static func copyRows(_ out: UnsafeMutablePointer<Float>, _ range: Range<Int>, width: Int,
                         from rowStart: (Int) -> UnsafePointer<Float>) {
        var i = range.lowerBound
        while i < range.upperBound {
            let r = i / width, offset = i - r * width
            let run = Swift.min(width - offset, range.upperBound - i)
            (out + i).update(from: rowStart(r) + offset, count: run)
            i += run
        }
    }

    /// `count` values from `src` to `dst` (not overlapping); a large copy is split across threads.
    @inline(__always)
    static func copy(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ count: Int) {
        Parallel.forRanges(count) { r in (dst + r.lowerBound).update(from: src + r.lowerBound, count: r.count) }
    }

    /// `n` zeros, written on both threads when large (a gradient that blocks are added into).
    public static func zeros(_ n: Int) -> [Float] {
        make(n) { out in
            Parallel.forRanges(n) { r in (out + r.lowerBound).initialize(repeating: 0, count: r.count) }
        }
    }

    /// General axis permutation (transpose materialises; matmul never needs it).
    public static func permute(_ x: [Float], shape: [Int], perm: [Int]) -> [Float] {
        let r = shape.count
        let outShape = perm.map { shape[$0] }
        let inStrides = Shapes.strides(shape)
        let st = perm.map { inStrides[$0] }  // input stride for each output dim
        let n = shape.product
        if n == 0 { return [] }
        return x.withUnsafeBufferPointer { p in
            make(n) { out in
                var index = [Int](repeating: 0, count: r)
                var off = 0
                for k in 0..<n {
                    out[k] = p[off]
                    var d = r - 1
                    while d >= 0 {
                        index[d] += 1; off += st[d]
                        if index[d] < outShape[d] { break }
                        off -= st[d] * index[d]; index[d] = 0
                        d -= 1
                    }
                }
            }
        }
    }

    // MARK: gather / scatter (embedding)

    /// Rows of `table` ([rows, width]) picked by `indices`: out[i] = table[indices[i]]. Written
    /// by flat ranges like `slice`, so it is measured as it is made.
    public static func gatherRows(_ table: [Float], width: Int, indices: [Int]) -> [Float] {
        table.withUnsafeBufferPointer { t in
            indices.withUnsafeBufferPointer { rows in
                makeMeasured(indices.count * width) { out, range in
                    copyRows(out, range, width: width) { i in t.baseAddress! + rows[i] * width }
                }
            }
        }
    }

    /// The adjoint of `gatherRows`: add each gradient row into the row it came from. Rows picked
    /// twice get both contributions.
    public static func scatterAddRows(_ grad: [Float], width: Int, indices: [Int], rows: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows * width)
        out.withUnsafeMutableBufferPointer { o in
            grad.withUnsafeBufferPointer { g in
                for (i, r) in indices.enumerated() {
                    let ob = r * width, gb = i * width
                    for j in 0..<width { o[ob + j] += g[gb + j] }
                }
            }
        }
        return out
    }
}
