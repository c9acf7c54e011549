import TensorCore

/// Three characters in, the fourth out. One embedding and one `l_in` shared by all three inputs;
/// the hidden state passes through `l_hidden` once per character.
public final class Char3Model: CharModel {
    public let config: CharModelConfig
    public let kind = "Char3Model"
    public let e: Embedding
    public let l_in: Linear, l_hidden: Linear, l_out: Linear

    public init(_ config: CharModelConfig, rng: SeededGenerator = .shared) {
        self.config = config
        e = Embedding(name: "e", count: config.vocabSize, dim: config.nFac, rng: rng)
        l_in = Linear(name: "l_in", inputs: config.nFac, outputs: config.nHidden, rng: rng)         // green arrow
        l_hidden = Linear(name: "l_hidden", inputs: config.nHidden, outputs: config.nHidden, rng: rng) // orange
        l_out = Linear(name: "l_out", inputs: config.nHidden, outputs: config.vocabSize, rng: rng)   // blue
    }

    public var parameters: [(name: String, tensor: Tensor)] {
        e.parameters + l_in.parameters + l_hidden.parameters + l_out.parameters
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 2 && x.shape[1] == 3, "Char3Model takes [batch, 3] characters, got \(x.shape)")
        let c = columns(x)
        let in1 = l_in(e(c[0])).relu().named("in1")
        let in2 = l_in(e(c[1])).relu().named("in2")
        let in3 = l_in(e(c[2])).relu().named("in3")
        var h = zeroState(batch: x.shape[0], hidden: config.nHidden)
        h = l_hidden(h + in1).tanh().named("h1")
        h = l_hidden(h + in2).tanh().named("h2")
        h = l_hidden(h + in3).tanh().named("h3")
        let out = l_out(h)
        return out.logSoftmax(axis: 1).named("log_softmax(\(out.label))")
    }
}
