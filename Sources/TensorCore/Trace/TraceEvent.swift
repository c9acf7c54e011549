// The trace is data. Every executed op emits one event in forward; every backward rule emits
// one in backward; optimizers emit one per parameter in update. The lesson engine, the CLI and
// the renderer consume these events; the tensor core does not know who listens.

public enum TracePhase: String, Codable, CaseIterable, Sendable {
    case forward, backward, update
}

/// How much of each tensor an event carries.
public enum TraceLevel: String, Codable, CaseIterable, Sendable {
    /// No events at all; the cost is one branch per op.
    case off
    /// Statistics of every value (count, mean, std, min, max, L2 norm, NaN and Inf counts).
    case summary
    /// Every value.
    case full
}

/// Statistics of a buffer, accumulated in Double.
public struct ValueSummary: Codable, Equatable, Sendable {
    public var count: Int
    public var mean: Double
    public var std: Double
    public var min: Double
    public var max: Double
    public var l2: Double
    public var nan: Int
    public var inf: Int

    public init(_ x: [Float]) {
        let m = Kernels.moments(x)
        let finite = Double(m.finite)
        count = x.count
        nan = m.nan
        inf = m.inf
        mean = m.finite > 0 ? m.sum / finite : .nan
        // Population std over the finite values (what a learner reads as "spread").
        std = m.finite > 0 ? Swift.max(0, m.sumOfSquares / finite - mean * mean).squareRoot() : .nan
        min = m.finite > 0 ? m.min : .nan
        max = m.finite > 0 ? m.max : .nan
        l2 = m.sumOfSquares.squareRoot()
    }

    public var hasNonFinite: Bool { nan > 0 || inf > 0 }
}

/// One tensor as an event sees it: an input, an output, or a gradient.
public struct TracedTensor: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable {
        /// A forward value (or a parameter's new value in update).
        case value
        /// A gradient: in backward, `grad` of the op's result (input) or one contribution to an
        /// input's gradient (output); in update, the gradient the optimizer used.
        case grad
    }
    public var id: Int
    public var label: String
    public var shape: [Int]
    public var kind: Kind
    public var summary: ValueSummary?
    public var values: [Float]?

    public init(id: Int, label: String, shape: [Int], kind: Kind = .value,
                summary: ValueSummary? = nil, values: [Float]? = nil) {
        self.id = id; self.label = label; self.shape = shape; self.kind = kind
        self.summary = summary; self.values = values
    }
}

public struct TraceEvent: Codable, Equatable, Sendable {
    /// Position in the trace, from 1.
    public var seq: Int
    public var phase: TracePhase
    /// The primitive (`matmul`, `tanh`, …) or the optimizer (`sgd`, `adam`).
    public var op: String
    /// The lesson's name for what this op computes: `l_hidden(h+in1)`, `in1`, `l_in.weight`.
    public var label: String
    /// Op parameters that change its meaning (`axis=1`, `transB`), empty when none.
    public var attributes: String
    /// When the model named the result (`in1`), the expression it was built as
    /// (`relu(l_in(e(c1)))`); empty otherwise.
    public var expression: String
    public var inputs: [TracedTensor]
    public var outputs: [TracedTensor]

    public init(seq: Int, phase: TracePhase, op: String, label: String, attributes: String = "",
                expression: String = "", inputs: [TracedTensor], outputs: [TracedTensor]) {
        self.seq = seq; self.phase = phase; self.op = op; self.label = label
        self.attributes = attributes; self.expression = expression; self.inputs = inputs; self.outputs = outputs
    }
}
