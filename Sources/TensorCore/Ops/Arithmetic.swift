// add, sub, mul, div (with broadcasting) and neg. A broadcast input's gradient is summed back
// to its own shape: a bias row [n] added to [batch, n] gets the column sums of grad.

extension Tensor {
    static func broadcastShape(_ a: Tensor, _ b: Tensor, _ op: Primitive) -> [Int] {
        guard let out = Shapes.broadcast(a.shape, b.shape) else {
            preconditionFailure("\(op.rawValue): shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        return out
    }

    public func add(_ other: Tensor) -> Tensor {
        let out = Tensor.broadcastShape(self, other, .add)
        return .record(.add, [self, other], shape: out,
                       data: { Kernels.add(data, shape, other.data, other.shape, out: out, measuring: $0) }) { ctx in
            let (a, b) = (ctx.inputs[0], ctx.inputs[1])
            return [a.requiresGrad ? Measured(Kernels.sumToShape(ctx.grad, from: out, to: a.shape)) : nil,
                    b.requiresGrad ? Measured(Kernels.sumToShape(ctx.grad, from: out, to: b.shape)) : nil]
        }
    }

    public func sub(_ other: Tensor) -> Tensor {
        let out = Tensor.broadcastShape(self, other, .sub)
        return .record(.sub, [self, other], shape: out,
                       data: { Kernels.sub(data, shape, other.data, other.shape, out: out, measuring: $0) }) { ctx in
            let (a, b) = (ctx.inputs[0], ctx.inputs[1])
            return [a.requiresGrad ? Measured(Kernels.sumToShape(ctx.grad, from: out, to: a.shape)) : nil,
                    b.requiresGrad
                        ? Kernels.neg(Kernels.sumToShape(ctx.grad, from: out, to: b.shape), measuring: ctx.measuring)
                        : nil]
        }
    }

    public func mul(_ other: Tensor) -> Tensor {
        let out = Tensor.broadcastShape(self, other, .mul)
        return .record(.mul, [self, other], shape: out,
                       data: { Kernels.mul(data, shape, other.data, other.shape, out: out, measuring: $0) }) { ctx in
            let (a, b, m) = (ctx.inputs[0], ctx.inputs[1], ctx.measuring)
            return [a.requiresGrad ? Kernels.mulSumToShape(ctx.grad, b.data, b.shape, from: out, to: a.shape, measuring: m) : nil,
                    b.requiresGrad ? Kernels.mulSumToShape(ctx.grad, a.data, a.shape, from: out, to: b.shape, measuring: m) : nil]
        }
    }

    public func div(_ other: Tensor) -> Tensor {
        let out = Tensor.broadcastShape(self, other, .div)
        return .record(.div, [self, other], shape: out,
                       data: { Kernels.div(data, shape, other.data, other.shape, out: out, measuring: $0) }) { ctx in
            let (a, b) = (ctx.inputs[0], ctx.inputs[1])
            func summed(_ g: Measured, to shape: [Int]) -> Measured {
                Measured(Kernels.sumToShape(g.values, from: out, to: shape))
            }
            // d(a/b)/da = grad/b; d(a/b)/db = -a/b² = -result/b: reuse the saved result
            // instead of recomputing a/b.
            return [a.requiresGrad ? summed(Kernels.div(ctx.grad, out, b.data, b.shape, out: out), to: a.shape) : nil,
                    b.requiresGrad
                        ? summed(Kernels.neg(Kernels.div(Kernels.mul(ctx.grad, ctx.result.data).values, out,
                                                         b.data, b.shape, out: out).values), to: b.shape)
                        : nil]
        }
    }

    public func neg() -> Tensor {
        .record(.neg, [self], shape: shape, data: { Kernels.neg(data, measuring: $0) }) { ctx in
            [Kernels.neg(ctx.grad, measuring: ctx.measuring)]
        }
    }
}

// Operators read like the lesson's maths. A Float operand becomes a constant scalar tensor.
public func + (a: Tensor, b: Tensor) -> Tensor { a.add(b) }
public func - (a: Tensor, b: Tensor) -> Tensor { a.sub(b) }
public func * (a: Tensor, b: Tensor) -> Tensor { a.mul(b) }
public func / (a: Tensor, b: Tensor) -> Tensor { a.div(b) }
public prefix func - (a: Tensor) -> Tensor { a.neg() }
public func + (a: Tensor, b: Float) -> Tensor { a.add(.scalar(b, label: "\(b)")) }
public func - (a: Tensor, b: Float) -> Tensor { a.sub(.scalar(b, label: "\(b)")) }
public func * (a: Tensor, b: Float) -> Tensor { a.mul(.scalar(b, label: "\(b)")) }
public func * (a: Float, b: Tensor) -> Tensor { Tensor.scalar(a, label: "\(a)").mul(b) }
public func / (a: Tensor, b: Float) -> Tensor { a.div(.scalar(b, label: "\(b)")) }
