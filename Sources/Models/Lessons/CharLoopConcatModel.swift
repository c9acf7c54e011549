import TensorCore

/// CharLoop, but the hidden state and the character are concatenated instead of added, so
/// neither can drown the other: `l_in` sees n_hidden + n_fac inputs.
public final class CharLoopConcatModel: CharModel {
    public let config: CharModelConfig
    public let kind = "CharLoopConcatModel"
    public let e: Embedding
    public let l_in: Linear, l_hidden: Linear, l_out: Linear

    public init(_ config: CharModelConfig, rng: SeededGenerator = .shared) {
        self.config = config
        e = Embedding(name: "e", count: config.vocabSize, dim: config.nFac, rng: rng)
        l_in = Linear(name: "l_in", inputs: config.nFac + config.nHidden, outputs: config.nHidden, rng: rng)
        l_hidden = Linear(name: "l_hidden", inputs: config.nHidden, outputs: config.nHidden, rng: rng)
        l_out = Linear(name: "l_out", inputs: config.nHidden, outputs: config.vocabSize, rng: rng)
    }

    public var parameters: [(name: String, tensor: Tensor)] {
        e.parameters + l_in.parameters + l_hidden.parameters + l_out.parameters
    }

    public func forward(_ x: Tensor) -> Tensor {
        var h = zeroState(batch: x.shape[0], hidden: config.nHidden)
        for (t, c) in columns(x).enumerated() {
            let ec = e(c)
            let cat = Tensor.concat([h, ec], axis: 1).named("cat(\(h.label), \(ec.label))")
            let inp = l_in(cat).relu().named("inp\(t + 1)")
            h = l_hidden(inp).tanh().named("h\(t + 1)")
        }
        let out = l_out(h)
        return out.logSoftmax(axis: 1).named("log_softmax(\(out.label))")
    }
}
