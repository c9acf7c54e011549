// Pointwise functions. Where the derivative is a function of the output (exp, tanh, relu,
// sigmoid, sqrt) the rule reads the saved result instead of recomputing from the input.

extension Tensor {
    public func exp() -> Tensor {
        .record(.exp, [self], shape: shape, data: { Kernels.exp(data, measuring: $0) }) { ctx in
            [Kernels.mul(ctx.grad, ctx.result.data, measuring: ctx.measuring)]
        }
    }

    public func log() -> Tensor {
        .record(.log, [self], shape: shape, data: { Kernels.log(data, measuring: $0) }) { ctx in
            [Kernels.div(ctx.grad, ctx.inputs[0].data, measuring: ctx.measuring)]
        }
    }

    public func tanh() -> Tensor {
        .record(.tanh, [self], shape: shape, data: { Kernels.tanh(data, measuring: $0) }) { ctx in
            [Kernels.tanhBackward(grad: ctx.grad, result: ctx.result.data, measuring: ctx.measuring)]
        }
    }

    public func relu() -> Tensor {
        .record(.relu, [self], shape: shape, data: { Kernels.relu(data, measuring: $0) }) { ctx in
            [Kernels.reluBackward(grad: ctx.grad, result: ctx.result.data, measuring: ctx.measuring)]
        }
    }

    public func sigmoid() -> Tensor {
        .record(.sigmoid, [self], shape: shape, data: { Kernels.sigmoid(data, measuring: $0) }) { ctx in
            [Kernels.sigmoidBackward(grad: ctx.grad, result: ctx.result.data, measuring: ctx.measuring)]
        }
    }

    /// √x: batch norm's 1/√(σ² + ε) is composed from it (BatchNorm1d in Models).
    public func sqrt() -> Tensor {
        .record(.sqrt, [self], shape: shape, data: { Kernels.sqrt(data, measuring: $0) }) { ctx in
            [Kernels.sqrtBackward(grad: ctx.grad, result: ctx.result.data, measuring: ctx.measuring)]
        }
    }
}
