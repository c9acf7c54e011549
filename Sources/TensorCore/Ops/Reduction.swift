// sum and mean over everything or along one axis; max and argmax along an axis for generation
// (they record no gradient).

extension Tensor {
    /// Sum of every value: a scalar (shape []).
    public func sum() -> Tensor {
        let n = count
        return .record(.sum, [self], shape: [], data: [Kernels.sumAll(data)]) { ctx in
            [Measured([Float](repeating: ctx.grad[0], count: n))]
        }
    }

    /// Sum along `axis` (negative counts from the end); `keepDims` leaves a 1 in its place.
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor {
        let ax = Shapes.normalize(axis: axis, rank: rank)
        let (outer, n, inner) = Shapes.split(shape, axis: ax)
        var out = shape
        if keepDims { out[ax] = 1 } else { out.remove(at: ax) }
        return .record(.sum, [self], shape: out, data: Kernels.sum(data, outer: outer, n: n, inner: inner),
                       attributes: "axis=\(ax)") { ctx in
            [Measured(Kernels.expand(ctx.grad, outer: outer, n: n, inner: inner))]
        }
    }

    /// Mean of every value: a scalar.
    public func mean() -> Tensor {
        let n = count
        return .record(.mean, [self], shape: [], data: [Kernels.sumAll(data) / Float(n)]) { ctx in
            [Measured([Float](repeating: ctx.grad[0] / Float(n), count: n))]
        }
    }

    public func mean(axis: Int, keepDims: Bool = false) -> Tensor {
        let ax = Shapes.normalize(axis: axis, rank: rank)
        let (outer, n, inner) = Shapes.split(shape, axis: ax)
        var out = shape
        if keepDims { out[ax] = 1 } else { out.remove(at: ax) }
        let sums = Kernels.sum(data, outer: outer, n: n, inner: inner)
        return .record(.mean, [self], shape: out, data: Kernels.scale(sums, 1 / Float(n)),
                       attributes: "axis=\(ax)") { ctx in
            [Measured(Kernels.expand(ctx.grad, outer: outer, n: n, inner: inner, scale: 1 / Float(n)))]
        }
    }

    /// Largest value along `axis`. No gradient: generation only needs the value.
    public func max(axis: Int) -> Tensor {
        let ax = Shapes.normalize(axis: axis, rank: rank)
        let (outer, n, inner) = Shapes.split(shape, axis: ax)
        var out = shape
        out.remove(at: ax)
        let (best, _) = Kernels.maxArgmax(data, outer: outer, n: n, inner: inner)
        return GradMode.noGrad {
            .record(.max, [self], shape: out, data: best, attributes: "axis=\(ax)") { _ in [nil] }
        }
    }

    /// Index of the largest value along `axis` (first wins ties), as float-valued indices.
    public func argmax(axis: Int) -> Tensor {
        let ax = Shapes.normalize(axis: axis, rank: rank)
        let (outer, n, inner) = Shapes.split(shape, axis: ax)
        var out = shape
        out.remove(at: ax)
        let (_, arg) = Kernels.maxArgmax(data, outer: outer, n: n, inner: inner)
        return GradMode.noGrad {
            .record(.argmax, [self], shape: out, data: arg.map(Float.init), attributes: "axis=\(ax)") { _ in [nil] }
        }
    }
}
