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

    /// From the statistics of a block's `blockCount` values, those of the whole tensor of
    /// `count` values, zero outside the block (a `select` or `slice` gradient), without writing
    /// the zeros out.
    @inlinable public init(moments block: Moments, zerosAroundTo count: Int, blockCount: Int) {
        var m = block
        let zeros = count - blockCount
        if zeros > 0 {
            m.finite += zeros
            m.min = Swift.min(m.min, 0)
            m.max = Swift.max(m.max, 0)
        }
        self.init(moments: m, count: count)
    }

    /// The summary of `count` described values: the whole tensor's, or with `block`, a tensor of
    /// `shape` that is zero outside them.
    @inlinable public init(moments m: Moments, count: Int, block: TensorBlock?, shape: [Int]) {
        if block == nil {
            self.init(moments: m, count: count)
        } else {
            self.init(moments: m, zerosAroundTo: shape.reduce(1, *), blockCount: count)
        }
    }

    @inlinable public init(moments m: Moments, count: Int) {
        let finite = Double(m.finite)
        self.count = count
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
    /// The values as stored: every value, or only those inside `block`.
    public var storedValues: [Float]?
    /// Set when this is a gradient that is zero outside one block (from `select` or `slice`):
    /// `storedValues` hold the block only. A CharSeqRnn step's full trace was 545 MB, most of it
    /// zeros written out for its 8 per-time-step selects.
    public var block: TensorBlock?

    /// Every value, in row-major order (a block gradient is expanded with its zeros).
    public var values: [Float]? {
        get {
            guard let block, let stored = storedValues else { return storedValues }
            return block.expand(stored)
        }
        set { storedValues = newValue; block = nil }
    }

    /// Only in a JSON Lines file: these values are the ones written earlier at this place (a
    /// gradient that a rule passed through unchanged, or the one contribution that became a
    /// tensor's whole gradient). `[TraceEvent].resolvingValueReferences()` copies them in.
    public var valuesFrom: ValuesReference?

    @inlinable public init(id: Int, label: String, shape: [Int], kind: Kind = .value,
                summary: ValueSummary? = nil, values: [Float]? = nil, block: TensorBlock? = nil) {
        self.id = id; self.label = label; self.shape = shape; self.kind = kind
        self.summary = summary; self.storedValues = values; self.block = block
    }

    enum CodingKeys: String, CodingKey {
        case id, label, shape, kind, summary, storedValues = "values", block, valuesFrom = "values_from"
    }
}

/// Where in a trace file a tensor's values were first written: event `seq`, its `inputs` or
/// `outputs`, position `index`; from `offset` on when they are a run inside a larger tensor's
/// values (`ih[t]` inside `rnn.ih(e(cs))`, one time step's part of a `stack` gradient), as many
/// as the tensor holds.
public struct ValuesReference: Codable, Equatable, Sendable {
    public enum Side: String, Codable, Sendable { case inputs, outputs }
    public var seq: Int
    public var side: Side
    public var index: Int
    public var offset: Int

    public init(seq: Int, side: Side, index: Int, offset: Int = 0) {
        self.seq = seq; self.side = side; self.index = index; self.offset = offset
    }

    enum CodingKeys: String, CodingKey { case seq, side, index, offset }

    // `offset` is written only when it is not 0, as the trace file does.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        seq = try c.decode(Int.self, forKey: .seq)
        side = try c.decode(Side.self, forKey: .side)
        index = try c.decode(Int.self, forKey: .index)
        offset = try c.decodeIfPresent(Int.self, forKey: .offset) ?? 0
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seq, forKey: .seq)
        try c.encode(side, forKey: .side)
        try c.encode(index, forKey: .index)
        if offset != 0 { try c.encode(offset, forKey: .offset) }
    }
}

extension Array where Element == TraceEvent {
    /// Events read from a JSON Lines trace with every `values_from` replaced by the values it
    /// points at (what the sink was sent).
    public func resolvingValueReferences() -> [TraceEvent] {
        var position: [Int: Int] = [:]
        for (i, e) in enumerated() { position[e.seq] = i }
        var out = self
        for i in out.indices {
            for side in [ValuesReference.Side.inputs, .outputs] {
                let count = side == .inputs ? out[i].inputs.count : out[i].outputs.count
                for k in 0..<count {
                    let t = side == .inputs ? out[i].inputs[k] : out[i].outputs[k]
                    guard let ref = t.valuesFrom, let j = position[ref.seq] else { continue }
                    let source = ref.side == .inputs ? out[j].inputs : out[j].outputs
                    guard ref.index < source.count, let values = source[ref.index].storedValues else { continue }
                    var resolved = t
                    let count = t.block?.count ?? t.shape.reduce(1, *)
                    if ref.offset == 0 && values.count == count {
                        resolved.storedValues = values
                    } else {
                        guard ref.offset >= 0, ref.offset + count <= values.count else { continue }
                        resolved.storedValues = [Float](values[ref.offset..<ref.offset + count])
                    }
                    resolved.valuesFrom = nil
                    if side == .inputs { out[i].inputs[k] = resolved } else { out[i].outputs[k] = resolved }
                }
            }
        }
        return out
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

    @inlinable public init(seq: Int, phase: TracePhase, op: String, label: String, attributes: String = "",
                expression: String = "", inputs: [TracedTensor], outputs: [TracedTensor]) {
        self.seq = seq; self.phase = phase; self.op = op; self.label = label
        self.attributes = attributes; self.expression = expression; self.inputs = inputs; self.outputs = outputs
    }

    /// True while some tensor still holds values for the queue to summarise or write.
    @inlinable public var carriesValues: Bool {
        inputs.contains { $0.storedValues != nil } || outputs.contains { $0.storedValues != nil }
    }
}
