/// Sums, extremes and non-finite counts of a buffer: what a trace summary is made from
/// (`Kernels.moments` in TensorCore computes them).
public struct Moments: Equatable, Sendable {
    public var finite = 0, nan = 0, inf = 0
    /// Σx and Σx² over the finite values, in Double.
    public var sum = 0.0, sumOfSquares = 0.0
    /// Extremes of the finite values (±infinity when there are none).
    public var min = Double.infinity, max = -Double.infinity
    @inlinable public init() {}
}
