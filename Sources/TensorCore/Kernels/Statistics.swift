// Statistics taken while a kernel writes its result, for `summary` tracing.
//
// Why: a summary is a second pass over every tensor. For a pointwise or copy kernel that pass
// can ride along with the kernel itself: each chunk of 2,048 values is fed to the statistics
// right after it is written, while it is still in L1, and the section loop is the one
// `Kernels.moments` runs, so the statistics are bit-identical to `moments(result)` (tests
// compare them). The tracer picks them up when it describes the result
// (`Kernels.Statistics.take`).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Kernels {
    /// Statistics kernels took of results not yet described, held by a runtime's recorder.
    public struct Statistics {
        /// Smaller buffers are summarised directly (`TraceRecorder.moments(of:cache:)`).
        static let minimumCount = 1024

        /// Held arrays keep their storage alive and unchanged, so an address identifies the
        /// values; a result nobody describes (an intermediate inside a backward rule) is pushed
        /// out by newer ones.
        var made = RecentBuffers<Moments>(limit: 4)

        /// Statistics handed over so far (tests check that the kernels' were used).
        public private(set) var taken = 0

        /// The statistics taken while `values` was written, if it was, once.
        mutating func take(_ values: [Float]) -> Moments? {
            guard let m = made.take(values) else { return nil }
            taken += 1
            return m
        }

        mutating func forget() { made.removeAll() }
    }

    /// A new buffer of `n` values written by `body(out, range)` over flat ranges, split across
    /// threads like any pointwise kernel. When the calling thread's runtime traces at `summary`,
    /// statistics are taken chunk by chunk as the buffer is written (see the top of this file)
    /// and kept for its recorder.
    @inline(__always)
    static func makeMeasured(_ n: Int, _ body: (UnsafeMutablePointer<Float>, Range<Int>) -> Void) -> [Float] {
        #if UNROLLED_NO_TRACE
        let measuring = false
        #else
        let measuring = n >= Statistics.minimumCount && Runtime.withCurrent { $0.recorder.level == .summary }
        #endif
        guard measuring else {
            return make(n) { out in Parallel.forRanges(n) { r in body(out, r) } }
        }
        var moments = Moments()
        let result = make(n) { out in
            let whole = n & ~7
            let total = sectionMoments(UnsafeRawPointer(out), whole: whole) { chunk in body(out, chunk) }
            if whole < n { body(out, whole..<n) }
            moments = finishMoments(UnsafeBufferPointer(start: out, count: n), whole: whole, total: total)
        }
        Runtime.withCurrent { $0.recorder.kernelStatistics.made.remember(result, moments) }
        return result
    }
}
