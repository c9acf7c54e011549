import TensorCore

/// nn.RNN (one layer, tanh, unidirectional), written as the maths reads:
///     h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh)
/// Parameters U(−1/√hidden, 1/√hidden) like PyTorch, under its names (`rnn.weight_ih_l0`, …).
/// Input is sequence-first, [seq, batch, feature]. The input projection for all time steps is
/// one matrix product (`rnn.ih(x)`); only the hidden-to-hidden part runs step by step.
public final class RNN: Module {
    public let name: String
    public let weightIH: Tensor, weightHH: Tensor, biasIH: Tensor, biasHH: Tensor
    public let hiddenSize: Int

    public init(name: String, inputs: Int, hidden: Int, rng: SeededGenerator = .shared) {
        self.name = name
        hiddenSize = hidden
        let k = 1 / Float(hidden).squareRoot()
        // PyTorch's order of creation (and of state_dict): weight_ih, weight_hh, bias_ih, bias_hh.
        weightIH = makeParameter(.uniform([hidden, inputs], low: -k, high: k, using: rng), "\(name).weight_ih_l0")
        weightHH = makeParameter(.uniform([hidden, hidden], low: -k, high: k, using: rng), "\(name).weight_hh_l0")
        biasIH = makeParameter(.uniform([hidden], low: -k, high: k, using: rng), "\(name).bias_ih_l0")
        biasHH = makeParameter(.uniform([hidden], low: -k, high: k, using: rng), "\(name).bias_hh_l0")
    }

    public var parameters: [(name: String, tensor: Tensor)] {
        [("\(name).weight_ih_l0", weightIH), ("\(name).weight_hh_l0", weightHH),
         ("\(name).bias_ih_l0", biasIH), ("\(name).bias_hh_l0", biasHH)]
    }

    /// Returns every step's hidden state `outp` [seq, batch, hidden] and the last one `hn`
    /// [1, batch, hidden]. `h` is the initial state, [batch, hidden] (named `h` by the caller).
    public func callAsFunction(_ x: Tensor, _ h: Tensor) -> (outp: Tensor, hn: Tensor) {
        precondition(x.rank == 3, "RNN input must be [seq, batch, feature], got \(x.shape)")
        let steps = x.shape[0], batch = x.shape[1]
        let ihLabel = "\(name).ih(\(x.label))"
        let ih = LabelScope.with(ihLabel) { () -> Tensor in
            let rows = x.reshape([-1, x.shape[2]])
            // The products get their own labels (`rnn.ih(e(cs))·W_ihᵀ`), as Linear's do.
            let product = LabelScope.with(ihLabel + "·W_ihᵀ") { rows.matmul(weightIH, transposeB: true) }
            return (product + biasIH).reshape([steps, batch, hiddenSize])
        }.named(ihLabel)
        var hidden = h
        var states: [Tensor] = []
        for t in 1...steps {
            let ihT = ih.select(axis: 0, index: t - 1).named("ih\(t)")
            let hhLabel = "\(name).hh(\(hidden.label))"
            let hh = LabelScope.with(hhLabel) {
                LabelScope.with(hhLabel + "·W_hhᵀ") { hidden.matmul(weightHH, transposeB: true) } + biasHH
            }.named(hhLabel)
            hidden = (ihT + hh).tanh().named("h\(t)")
            states.append(hidden)
        }
        let outp = Tensor.stack(states, axis: 0).named("outp")
        return (outp, hidden.reshape([1, batch, hiddenSize]))
    }
}
