// A node remembers how a tensor was made: which primitive, from which inputs, and the rule that
// turns the gradient of the result into gradients of the inputs.

/// What a backward rule may read. One vocabulary, as in PyTorch's derivatives.yaml:
/// `grad` (of the result), `result`, `inputs`.
public struct BackwardContext {
    public let grad: [Float]
    public let result: Tensor
    public let inputs: [Tensor]
}

/// Returns one gradient per input (nil where the input needs none, e.g. integer-like data).
public typealias BackwardRule = (BackwardContext) -> [[Float]?]

final class Node {
    let op: Primitive
    let inputs: [Tensor]
    /// Starts as the op's label; the model's name replaces it when it names the result.
    @exclusivity(unchecked) var label: String
    let attributes: String
    let rule: BackwardRule
    /// Set for `select` and `slice`: the rule's gradient covers only this block of its input
    /// (the rest is zero), and the tape adds it in place.
    let block: TensorBlock?

    init(op: Primitive, inputs: [Tensor], label: String, attributes: String, block: TensorBlock? = nil,
         rule: @escaping BackwardRule) {
        self.op = op; self.inputs = inputs; self.label = label; self.attributes = attributes
        self.block = block; self.rule = rule
    }
}
