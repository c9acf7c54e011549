// The trace's statistics engine: sums, extremes and non-finite counts of a buffer, in fixed
// sections so the result does not depend on how many threads computed it.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Kernels {
    public typealias Moments = Trace.Moments

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
}
