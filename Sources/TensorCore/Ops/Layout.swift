// Ops that move values without arithmetic: reshape, transpose, concat, stack, select, slice.
// Each backward rule moves the gradient back to where the value came from.

extension Tensor {
    /// Same values, new shape (one dimension may be -1). Storage is shared copy-on-write.
    public func reshape(_ newShape: [Int]) -> Tensor {
        var target = newShape
        if let unknown = target.firstIndex(of: -1) {
            let known = target.enumerated().filter { $0.offset != unknown }.map(\.element).product
            precondition(known > 0 && count % known == 0, "reshape: cannot infer -1 in \(newShape) for \(shape)")
            target[unknown] = count / known
        }
        precondition(target.product == count, "reshape: \(shape) has \(count) values, \(target) needs \(target.product)")
        // The gradient has the same row-major layout; only the shape bookkeeping differs.
        return .record(.reshape, [self], shape: target, data: data, attributes: "\(target)") { ctx in [Measured(ctx.grad)] }
    }

    /// Swap two axes (materialises the result row-major, like `.transpose(0,1).contiguous()`).
    public func transpose(_ a0: Int, _ a1: Int) -> Tensor {
        let d0 = Shapes.normalize(axis: a0, rank: rank), d1 = Shapes.normalize(axis: a1, rank: rank)
        var perm = Array(0..<rank)
        perm.swapAt(d0, d1)
        let outShape = perm.map { shape[$0] }
        return .record(.transpose, [self], shape: outShape, data: Kernels.permute(data, shape: shape, perm: perm),
                       attributes: "\(d0),\(d1)") { ctx in
            // A swap is its own inverse.
            [Measured(Kernels.permute(ctx.grad, shape: outShape, perm: perm))]
        }
    }

    /// Concatenate along `axis` (`torch.cat`).
    public static func concat(_ parts: [Tensor], axis: Int) -> Tensor {
        precondition(!parts.isEmpty, "concat of nothing")
        let ax = Shapes.normalize(axis: axis, rank: parts[0].rank)
        var outShape = parts[0].shape
        for p in parts.dropFirst() {
            var a = p.shape, b = parts[0].shape
            precondition(a.count == b.count, "concat: ranks differ, \(p.shape) vs \(parts[0].shape)")
            a[ax] = 0; b[ax] = 0
            precondition(a == b, "concat: shapes \(p.shape) and \(parts[0].shape) differ off axis \(ax)")
            outShape[ax] += p.shape[ax]
        }
        let (outer, _, inner) = Shapes.split(outShape, axis: ax)
        let ns = parts.map { $0.shape[ax] }
        let total = outShape[ax]
        return .record(.concat, parts, shape: outShape,
                       data: { Kernels.concat(parts.map(\.data), ns: ns, outer: outer, inner: inner, measuring: $0) },
                       attributes: "axis=\(ax)") { ctx in
            var start = 0
            return ctx.inputs.enumerated().map { j, input in
                defer { start += ns[j] }
                guard input.requiresGrad else { return nil }
                return Kernels.slice(ctx.grad, outer: outer, n: total, inner: inner, start: start, length: ns[j],
                                     measuring: ctx.measuring)
            }
        }
    }

    /// Stack equal shapes along a new `axis` (`torch.stack`).
    public static func stack(_ parts: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!parts.isEmpty, "stack of nothing")
        let s = parts[0].shape
        precondition(parts.allSatisfy { $0.shape == s }, "stack: shapes differ: \(parts.map(\.shape))")
        let ax = Shapes.normalize(axis: axis, rank: s.count + 1)
        var outShape = s
        outShape.insert(parts.count, at: ax)
        let (outer, n, inner) = Shapes.split(outShape, axis: ax)
        return .record(.stack, parts, shape: outShape,
                       data: { Kernels.concat(parts.map(\.data), ns: [Int](repeating: 1, count: n), outer: outer, inner: inner,
                                              measuring: $0) },
                       attributes: "axis=\(ax)") { ctx in
            ctx.inputs.enumerated().map { j, input in
                input.requiresGrad
                    ? Kernels.select(ctx.grad, outer: outer, n: n, inner: inner, index: j, measuring: ctx.measuring)
                    : nil
            }
        }
    }

    /// `x[:, t]`: one index along `axis`, which disappears from the shape.
    public func select(axis: Int, index: Int) -> Tensor {
        let ax = Shapes.normalize(axis: axis, rank: rank)
        let i = index < 0 ? index + shape[ax] : index
        precondition(i >= 0 && i < shape[ax], "select: index \(index) out of range for axis \(ax) of \(shape)")
        let (outer, n, inner) = Shapes.split(shape, axis: ax)
        var outShape = shape
        outShape.remove(at: ax)
        let where_ = (0..<rank).map { $0 == ax ? "\(i)" : ":" }.joined(separator: ",")
        // The gradient is `grad` placed at index i, zero elsewhere: the tape adds it in place.
        return .record(.select, [self], shape: outShape,
                       data: { Kernels.select(data, outer: outer, n: n, inner: inner, index: i, measuring: $0) },
                       attributes: where_,
                       gradientBlock: TensorBlock(outer: outer, n: n, inner: inner, start: i, length: 1)) { ctx in
            [Measured(ctx.grad)]
        }
    }

    /// `x[:, a..<b]`: a range along `axis`.
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let ax = Shapes.normalize(axis: axis, rank: rank)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[ax],
                     "slice: \(range) out of range for axis \(ax) of \(shape)")
        let (outer, n, inner) = Shapes.split(shape, axis: ax)
        var outShape = shape
        outShape[ax] = range.count
        let where_ = (0..<rank).map { $0 == ax ? "\(range.lowerBound):\(range.upperBound)" : ":" }.joined(separator: ",")
        return .record(.slice, [self], shape: outShape,
                       data: { Kernels.slice(data, outer: outer, n: n, inner: inner, start: range.lowerBound,
                                             length: range.count, measuring: $0) },
                       attributes: where_,
                       gradientBlock: TensorBlock(outer: outer, n: n, inner: inner,
                                                  start: range.lowerBound, length: range.count)) { ctx in
            [Measured(ctx.grad)]
        }
    }
}
