import TensorCore

/// CharLoop with PyTorch's nn.RNN doing the loop; predicts the character after the last one.
public final class CharRnn: CharModel {
    public let config: CharModelConfig
    public let kind = "CharRnn"
    public let e: Embedding
    public let rnn: RNN
    public let l_out: Linear

    public init(_ config: CharModelConfig, rng: SeededGenerator = .shared) {
        self.config = config
        e = Embedding(name: "e", count: config.vocabSize, dim: config.nFac, rng: rng)
        rnn = RNN(name: "rnn", inputs: config.nFac, hidden: config.nHidden, rng: rng)
        l_out = Linear(name: "l_out", inputs: config.nHidden, outputs: config.vocabSize, rng: rng)
    }

    public var parameters: [(name: String, tensor: Tensor)] { e.parameters + rnn.parameters + l_out.parameters }

    public func forward(_ x: Tensor) -> Tensor {
        let cs = Tensor.stack(columns(x), axis: 0).named("cs")
        let h = zeroState(batch: x.shape[0], hidden: config.nHidden)
        let (outp, _) = rnn(e(cs), h)
        let last = outp.select(axis: 0, index: -1).named("outp[-1]")
        let out = l_out(last)
        return out.logSoftmax(axis: 1).named("log_softmax(\(out.label))")
    }
}

/// An output at every time step: targets are the input shifted by one character.
public final class CharSeqRnn: CharModel {
    public let config: CharModelConfig
    public let kind = "CharSeqRnn"
    public let softmax: SoftmaxMode
    public let e: Embedding
    public let rnn: RNN
    public let l_out: Linear

    public init(_ config: CharModelConfig, softmax: SoftmaxMode = .vocab, rng: SeededGenerator = .shared) {
        self.config = config
        self.softmax = softmax
        e = Embedding(name: "e", count: config.vocabSize, dim: config.nFac, rng: rng)
        rnn = RNN(name: "rnn", inputs: config.nFac, hidden: config.nHidden, rng: rng)
        l_out = Linear(name: "l_out", inputs: config.nHidden, outputs: config.vocabSize, rng: rng)
    }

    public var parameters: [(name: String, tensor: Tensor)] { e.parameters + rnn.parameters + l_out.parameters }
    public var predictsSequence: Bool { true }

    /// [chars, batch, vocab] log-probabilities.
    public func forward(_ x: Tensor) -> Tensor {
        let cs = Tensor.stack(columns(x), axis: 0).named("cs")
        let h = zeroState(batch: x.shape[0], hidden: config.nHidden)
        let (outp, _) = rnn(e(cs), h)
        let out = l_out(outp)
        return out.logSoftmax(axis: softmax == .vocab ? 2 : 0).named("log_softmax(\(out.label))")
    }

    /// The seed's nll_loss_seq: flatten time and batch; targets [batch, chars] are transposed to
    /// time-major first so they line up with the output rows.
    public func loss(_ output: Tensor, _ targets: Tensor) -> Tensor {
        let vocab = output.shape[2]
        let flatTargets = GradMode.noGrad { targets.transpose(0, 1).reshape([-1]) }
        return output.reshape([-1, vocab]).nllLoss(flatTargets).named("loss")
    }
}
