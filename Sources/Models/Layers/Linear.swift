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

    /// What the trace appends to a layer's label for its matmul (`l_in(e(c1))·Wᵀ`).
    public static let productSuffix = "·Wᵀ"

    /// The layer's label for either of its ops: `l_in(e(c1))·Wᵀ` and `l_in(e(c1))` both give
    /// `l_in(e(c1))` (the code line and the architecture arrow they belong to); so do the RNN's
    /// `rnn.hh(h1)·W_hhᵀ` and `rnn.hh(h1)`.
    public static func layerLabel(_ label: String) -> String {
        guard label.hasSuffix("ᵀ"), let product = label.range(of: "·W", options: .backwards) else { return label }
        return String(label[..<product.lowerBound])
    }

    public var parameters: [(name: String, tensor: Tensor)] {
        [("\(name).weight", weight), ("\(name).bias", bias)]
    }

    /// `l_in(x)`: the trace labels its matmul `l_in(x)·Wᵀ` and its bias add (the layer's
    /// result) `l_in(x)`, so `explain` and `p` can reach either. Inputs with more than two
    /// dimensions are flattened to rows and restored, as PyTorch does.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let label = "\(name)(\(x.label))"
        return LabelScope.with(label) { () -> Tensor in
            // The product gets its own label as it is made (naming it afterwards would keep the
            // layer's label as its expression: "l_in(x)·Wᵀ = l_in(x)").
            func product(_ rows: Tensor) -> Tensor {
                LabelScope.with(label + Self.productSuffix) { rows.matmul(weight, transposeB: true) }
            }
            if x.rank == 2 { return product(x) + bias }
            let rows = x.reshape([-1, x.shape.last!])
            let y = product(rows) + bias
            return y.reshape(Array(x.shape.dropLast()) + [weight.shape[0]])
        }.named(label)
    }
}
