// Moving blocks of values: select, slice and its adjoint, concat, permute.
// Kernels that work "along an axis" split the shape into (outer, n, inner) so the axis becomes
// the middle of three loops and the innermost loop runs over contiguous memory.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Kernels {
    // MARK: moving blocks

    /// x[..., index, ...] along the middle axis.
    public static func select(_ x: [Float], outer: Int, n: Int, inner: Int, index: Int,
                              measuring: Bool = false) -> Measured {
        slice(x, outer: outer, n: n, inner: inner, start: index, length: 1, measuring: measuring)
    }

    /// x[..., start..<start+length, ...] along the middle axis. Written by flat ranges of the
    /// result (`makeMeasured`), so when asked the copy is measured as it is made: CharRnn's
    /// eight time-step selects and their gradients were each read a second time for statistics.
    public static func slice(_ x: [Float], outer: Int, n: Int, inner: Int, start: Int, length: Int,
                             measuring: Bool = false) -> Measured {
        let block = length * inner
        return x.withUnsafeBufferPointer { p in
            let source = p.baseAddress!
            return makeMeasured(outer * block, measuring: measuring) { out, range in
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
    public static func concat(_ parts: [[Float]], ns: [Int], outer: Int, inner: Int,
                              measuring: Bool = false) -> Measured {
        // withBaseAddresses nests one closure per part; past a few hundred parts, concatenate
        // groups first so the stack depth stays bounded whatever the input length.
        if parts.count > maxNestedParts {
            var groups: [[Float]] = [], groupNs: [Int] = []
            for lo in stride(from: 0, to: parts.count, by: maxNestedParts) {
                let hi = Swift.min(lo + maxNestedParts, parts.count)
                groups.append(concat(Array(parts[lo..<hi]), ns: Array(ns[lo..<hi]), outer: outer, inner: inner).values)
                groupNs.append(ns[lo..<hi].reduce(0, +))
            }
            return concat(groups, ns: groupNs, outer: outer, inner: inner, measuring: measuring)
        }
        let runs = ns.map { $0 * inner }
        let row = runs.reduce(0, +)
        return withBaseAddresses(parts) { sources in
            makeMeasured(outer * row, measuring: measuring) { out, range in
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
}
