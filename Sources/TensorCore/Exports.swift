// TensorCore's users get the trace's data types and the file helpers with it: a tensor's
// events and the files they are written to are part of what the core hands out.
@_exported import Files
@_exported import Trace

extension ValueSummary {
    /// The summary of a buffer, computed here (Trace only holds the numbers).
    public init(_ x: [Float]) { self.init(moments: Kernels.moments(x), count: x.count) }
}
