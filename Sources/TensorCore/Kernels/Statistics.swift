// Statistics taken while a kernel writes its result, for `summary` tracing.
//
// Why: a summary is a second pass over every tensor. For a pointwise or copy kernel that pass
// can ride along with the kernel itself: each chunk of 2,048 values is fed to the statistics
// right after it is written, while it is still in L1, and the section loop is the one
// `Kernels.moments` runs, so the statistics are bit-identical to `moments(result)` (tests
// compare them). The caller asks for them (`measuring: true`, an op whose runtime traces at
// `summary`) and gets them back with the values; the op hands them to the tracer.

/// A kernel's result and, when the caller asked for them, the statistics taken as it was written.
public struct Measured {
    public let values: [Float]
    /// Nil when not asked for, or for a buffer smaller than `Kernels.measuredMinimum`.
    public var moments: Kernels.Moments? { box?.moments }
    /// Boxed: gradients travel in arrays of these, and 57 bytes inline made every copy an
    /// outlined call (+1.2% instructions per untraced lesson-1 step).
    private let box: Box?

    public init(_ values: [Float], moments: Kernels.Moments? = nil) {
        self.values = values
        self.box = moments.map(Box.init)
    }

    private final class Box {
        let moments: Kernels.Moments
        init(_ moments: Kernels.Moments) { self.moments = moments }
    }
}

extension Kernels {
    /// Smaller buffers are summarised directly when described (`TraceRecorder.moments`).
    static let measuredMinimum = 1024

    /// A new buffer of `n` values written by `body(out, range)` over flat ranges, split across
    /// threads like any pointwise kernel; `measuring`, its statistics taken chunk by chunk as it
    /// is written (see the top of this file).
    @inline(__always)
    static func makeMeasured(_ n: Int, measuring: Bool,
                             _ body: (UnsafeMutablePointer<Float>, Range<Int>) -> Void) -> Measured {
        guard measuring && n >= measuredMinimum else {
            return Measured(make(n) { out in Parallel.forRanges(n) { r in body(out, r) } })
        }
        var moments = Moments()
        let values = make(n) { out in
            let whole = n & ~7
            let total = sectionMoments(UnsafeRawPointer(out), whole: whole) { chunk in body(out, chunk) }
            if whole < n { body(out, whole..<n) }
            moments = finishMoments(UnsafeBufferPointer(start: out, count: n), whole: whole, total: total)
        }
        return Measured(values, moments: moments)
    }
}
