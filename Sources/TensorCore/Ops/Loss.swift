// log_softmax along any axis, nll_loss (mean over the batch) and mse.

extension Tensor {
    /// log softmax along `axis`. PyTorch 0.3's `F.log_softmax(x)` on a 3-D tensor used axis 0;
    /// the lesson engine passes that explicitly for the legacy mode.
    public func logSoftmax(axis: Int) -> Tensor {
        let ax = Shapes.normalize(axis: axis, rank: rank)
        let (outer, n, inner) = Shapes.split(shape, axis: ax)
        return .record(.logSoftmax, [self], shape: shape,
                       data: Kernels.logSoftmax(data, outer: outer, n: n, inner: inner),
                       attributes: "axis=\(ax)") { ctx in
            [Measured(Kernels.logSoftmaxBackward(grad: ctx.grad, result: ctx.result.data, outer: outer, n: n, inner: inner))]
        }
    }

    /// Negative log-likelihood of `targets` (whole numbers, shape [N]) under log-probabilities
    /// `self` ([N, C]), averaged over N.
    public func nllLoss(_ targets: Tensor) -> Tensor {
        precondition(rank == 2, "nll_loss wants [N, C] log-probabilities, got \(shape)")
        let (n, c) = (shape[0], shape[1])
        precondition(targets.count == n, "nll_loss: \(targets.count) targets for \(n) rows")
        let t = targets.data.map { v -> Int in
            let i = Int(v)
            precondition(Float(i) == v && i >= 0 && i < c, "nll_loss: target \(v) not in 0..<\(c)")
            return i
        }
        var total = 0.0
        data.withUnsafeBufferPointer { p in for r in 0..<n { total -= Double(p[r * c + t[r]]) } }
        return .record(.nllLoss, [self, targets], shape: [], data: [Float(total / Double(n))]) { ctx in
            var g = [Float](repeating: 0, count: n * c)
            let v = -ctx.grad[0] / Float(n)
            for r in 0..<n { g[r * c + t[r]] = v }
            return [Measured(g), nil]
        }
    }

    /// Mean squared error, mean((self − target)²).
    /// One pass each way and no buffer of differences kept between them: the backward rule
    /// recomputes self − target from the inputs, as PyTorch's mse_loss_backward does (lesson 1
    /// runs this on 10,000 points per step, so every pass and every 40 KB buffer showed).
    public func mse(_ target: Tensor) -> Tensor {
        precondition(shape == target.shape, "mse: shapes \(shape) and \(target.shape) differ")
        let n = Float(count)
        let value = Float(Kernels.squaredDistance(data, target.data)) / n
        return .record(.mse, [self, target], shape: [], data: [value]) { ctx in
            let (a, b) = (ctx.inputs[0], ctx.inputs[1])
            let g = Kernels.scaledDifference(a.data, b.data, 2 * ctx.grad[0] / n, measuring: ctx.measuring)
            return [a.requiresGrad ? g : nil, b.requiresGrad ? Kernels.neg(g.values, measuring: ctx.measuring) : nil]
        }
    }
}
