import TensorCore

/// nn.Embedding: a table of `count` rows of width `dim`, initialised N(0, 1) like PyTorch.
public final class Embedding: Module {
    public let name: String
    public let weight: Tensor

    public init(name: String, count: Int, dim: Int, rng: SeededGenerator = .shared) {
        self.name = name
        weight = makeParameter(.normal([count, dim], using: rng), "\(name).weight")
    }

    /// A table with given starting values (the collab lesson's `get_emb`, U(−0.05, 0.05)).
    public init(name: String, weight: Tensor) {
        self.name = name
        self.weight = makeParameter(weight, "\(name).weight")
    }

    public var parameters: [(name: String, tensor: Tensor)] { [("\(name).weight", weight)] }

    /// `e(c1)`: the rows for the characters in `indices` (labelled with the lesson's notation).
    public func callAsFunction(_ indices: Tensor) -> Tensor {
        let label = "\(name)(\(indices.label))"
        return LabelScope.with(label) { Tensor.embedding(weight, indices) }.named(label)
    }
}
