/// Part of a tensor along one axis: the shape read as [outer, n, inner], indices
/// `start..<start+length` of the middle axis. Outside the block a block gradient is zero.
public struct TensorBlock: Codable, Equatable, Sendable {
    public var outer: Int, n: Int, inner: Int, start: Int, length: Int

    @inlinable public init(outer: Int, n: Int, inner: Int, start: Int, length: Int) {
        self.outer = outer; self.n = n; self.inner = inner; self.start = start; self.length = length
    }

    /// Values inside the block.
    public var count: Int { outer * length * inner }
    /// Values of the whole tensor.
    public var fullCount: Int { outer * n * inner }

    /// The whole tensor: `values` (the block's) in place, zeros elsewhere.
    public func expand(_ values: [Float]) -> [Float] {
        precondition(values.count == count, "expand: \(values.count) values for a block of \(count)")
        var out = [Float](repeating: 0, count: fullCount)
        let run = length * inner
        for a in 0..<outer {
            let to = (a * n + start) * inner
            out.replaceSubrange(to..<(to + run), with: values[(a * run)..<((a + 1) * run)])
        }
        return out
    }
}

