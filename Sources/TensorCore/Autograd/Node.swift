// A node remembers how a tensor was made: which primitive, from which inputs, and the rule that
// turns the gradient of the result into gradients of the inputs.

/// What a backward rule may read. One vocabulary, as in PyTorch's derivatives.yaml:
/// `grad` (of the result), `result`, `inputs`; and whether the trace wants the statistics of
/// what the rule writes (`measuring`, passed on to the kernels).
public struct BackwardContext {
    public let grad: [Float]
    public let result: Tensor
    public let inputs: [Tensor]
    public let measuring: Bool
}

/// Returns one gradient per input (nil where the input needs none, e.g. integer-like data),
/// with the statistics its kernel took when `measuring`.
public typealias BackwardRule = (BackwardContext) -> [Measured?]

final class Node {
    let op: Primitive
    let inputs: [Tensor]
    /// The op's label (`a*x`, `l_hidden(h+in1)`) until the model names the result. When nothing
    /// reads labels as ops run (tracing off, no taps, no anomaly mode) it is built on first read
    /// instead: building it was ~3.1k of the ~53.8k instructions of an untraced lesson-1 step.
    /// Made late, it reads its inputs' labels as they are then (the models name a result right
    /// where they make it, so the text is the same; LabelTests compares both ways).
    var label: String {
        get {
            if let given = givenLabel { return given }
            let made = op.autoLabel(inputs, attributes: attributes)
            givenLabel = made
            return made
        }
        set { givenLabel = newValue }
    }
    @exclusivity(unchecked) private(set) var givenLabel: String?
    let attributes: String
    let rule: BackwardRule
    /// Set for `select` and `slice`: the rule's gradient covers only this block of its input
    /// (the rest is zero), and the tape adds it in place.
    let block: TensorBlock?

    /// `label` nil: made from `op`, `inputs` and `attributes` when first read.
    init(op: Primitive, inputs: [Tensor], label: String?, attributes: String, block: TensorBlock? = nil,
         rule: @escaping BackwardRule) {
        self.op = op; self.inputs = inputs; self.givenLabel = label; self.attributes = attributes
        self.block = block; self.rule = rule
    }
}
