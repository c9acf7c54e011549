import TensorCore

/// Char3 with a loop: any number of characters, the same `l_in` and `l_hidden` at every step.
public final class CharLoopModel: CharModel {
    public let config: CharModelConfig
    public let kind = "CharLoopModel"
    public let e: Embedding
    public let l_in: Linear, l_hidden: Linear, l_out: Linear

    public init(_ config: CharModelConfig, rng: SeededGenerator = .shared) {
        self.config = config
        e = Embedding(name: "e", count: config.vocabSize, dim: config.nFac, rng: rng)
        l_in = Linear(name: "l_in", inputs: config.nFac, outputs: config.nHidden, rng: rng)
        l_hidden = Linear(name: "l_hidden", inputs: config.nHidden, outputs: config.nHidden, rng: rng)
        l_out = Linear(name: "l_out", inputs: config.nHidden, outputs: config.vocabSize, rng: rng)
    }

    public var parameters: [(name: String, tensor: Tensor)] {
        e.parameters + l_in.parameters + l_hidden.parameters + l_out.parameters
    }

    public func forward(_ x: Tensor) -> Tensor {
        var h = zeroState(batch: x.shape[0], hidden: config.nHidden)
        for (t, c) in columns(x).enumerated() {
            let inp = l_in(e(c)).relu().named("inp\(t + 1)")
            h = l_hidden(h + inp).tanh().named("h\(t + 1)")
        }
        let out = l_out(h)
        return out.logSoftmax(axis: 1).named("log_softmax(\(out.label))")
    }
}
