import TensorCore

/// The hyperparameters every character model shares (the seed's globals).
public struct CharModelConfig: Equatable, Sendable {
    public var vocabSize: Int
    public var nFac: Int
    public var nHidden: Int
    public init(vocabSize: Int, nFac: Int = 42, nHidden: Int = 256) {
        self.vocabSize = vocabSize; self.nFac = nFac; self.nHidden = nHidden
    }
}

/// How a sequence model's log-softmax picks its axis.
public enum SoftmaxMode: String, CaseIterable, Sendable {
    /// Over the vocabulary (dim 2 of [seq, batch, vocab]): a distribution per character.
    case vocab
    /// PyTorch 0.3's implicit dimension for a 3-D input: dim 0, the time axis. This is why the
    /// seed's sequence losses fall to 0.60 — each column of 8 time steps sums to one, which is
    /// not a distribution over characters at all.
    case legacy
}

/// A lesson's character model: takes a batch of character indices [batch, chars] and returns
/// log-probabilities; knows its own loss.
public protocol CharModel: Module {
    var config: CharModelConfig { get }
    /// The seed's class name (`Char3Model`, `CharSeqRnn`, …).
    var kind: String { get }
    /// Log-probabilities: [batch, vocab], or [chars, batch, vocab] for a sequence model.
    func forward(_ x: Tensor) -> Tensor
    /// The seed's criterion: nll_loss, or nll_loss_seq for a sequence model.
    func loss(_ output: Tensor, _ targets: Tensor) -> Tensor
    /// True when targets have one character per input position (CharSeqRnn).
    var predictsSequence: Bool { get }
}

extension CharModel {
    public var predictsSequence: Bool { false }
    public func loss(_ output: Tensor, _ targets: Tensor) -> Tensor {
        output.nllLoss(targets).named("loss")
    }
}

/// Split a [batch, chars] index batch into the seed's `c1, c2, …` columns (data, not ops: the
/// seed's data loader hands the model separate tensors).
func columns(_ x: Tensor) -> [Tensor] {
    precondition(x.rank == 2, "character batch must be [batch, chars], got \(x.shape)")
    let (batch, chars) = (x.shape[0], x.shape[1])
    return (0..<chars).map { j in
        var col = [Float](repeating: 0, count: batch)
        for i in 0..<batch { col[i] = x.data[i * chars + j] }
        return Tensor(shape: [batch], data: col, label: "c\(j + 1)")
    }
}

/// The zero initial hidden state, named `h` as in the seed (`h = V(torch.zeros(...))`).
func zeroState(batch: Int, hidden: Int) -> Tensor {
    Tensor.zeros([batch, hidden], label: "h").named("h")
}
