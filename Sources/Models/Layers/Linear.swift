import TensorCore

/// nn.Linear: weight [out, in], bias [out], both U(−1/√in, 1/√in) like PyTorch; y = x·Wᵀ + b.
public final class Linear: Module {
    public let name: String
    public let weight: Tensor
    public let bias: Tensor

    public init(name: String, inputs: Int, outputs: Int, rng: SeededGenerator = .shared) {
        self.name = name
        let bound = 1 / Float(inputs).squareRoot()
        weight = makeParameter(.uniform([outputs, inputs], low: -bound, high: bound, using: rng), "\(name).weight")
        bias = makeParameter(.uniform([outputs], low: -bound, high: bound, using: rng), "\(name).bias")
    }

    public var parameters: [(name: String, tensor: Tensor)] {
        [("\(name).weight", weight), ("\(name).bias", bias)]
    }

    /// `l_in(x)`: its matmul and bias add are both labelled `l_in(x)` in the trace. Inputs with
    /// more than two dimensions are flattened to rows and restored, as PyTorch does.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let label = "\(name)(\(x.label))"
        return LabelScope.with(label) { () -> Tensor in
            if x.rank == 2 { return x.matmul(weight, transposeB: true) + bias }
            let rows = x.reshape([-1, x.shape.last!])
            let y = rows.matmul(weight, transposeB: true) + bias
            return y.reshape(Array(x.shape.dropLast()) + [weight.shape[0]])
        }.named(label)
    }
}
