import TensorCore

/// Anything with parameters, listed in PyTorch `state_dict()` order under PyTorch's names
/// (`e.weight`, `l_in.weight`, `l_in.bias`, `rnn.weight_ih_l0`, …), so weights move both ways
/// between Unrolled and PyTorch.
public protocol Module: AnyObject {
    var parameters: [(name: String, tensor: Tensor)] { get }
    /// State that is saved and loaded but not trained (batch norm's running statistics).
    var buffers: [(name: String, tensor: Tensor)] { get }
}

extension Module {
    public var buffers: [(name: String, tensor: Tensor)] { [] }
    /// What a state_dict holds: the parameters, then the buffers.
    public var stateDict: [(name: String, tensor: Tensor)] { parameters + buffers }

    public func zeroGrad() { for (_, p) in parameters { p.zeroGrad() } }

    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.tensor.count } }

    public func parameter(named name: String) -> Tensor? {
        parameters.first { $0.name == name }?.tensor
    }
}

/// A leaf that wants gradients, labelled with its state_dict name.
func makeParameter(_ t: Tensor, _ name: String) -> Tensor {
    t.label = name
    return t.requiringGrad()
}
