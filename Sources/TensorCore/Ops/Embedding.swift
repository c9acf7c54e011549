// Embedding lookup: gather rows of a weight table by index. Its backward is a scatter-add, so a
// character that appears twice in a batch gets both rows of gradient added into its row.

extension Tensor {
    /// Rows of `weight` ([rows, width]) chosen by `indices` (a tensor of whole numbers, any
    /// shape); the result has shape indices.shape + [width].
    public static func embedding(_ weight: Tensor, _ indices: Tensor) -> Tensor {
        precondition(weight.rank == 2, "embedding table must be 2-D, got \(weight.shape)")
        let rows = weight.shape[0], width = weight.shape[1]
        let idx = indices.data.map { v -> Int in
            let i = Int(v)
            precondition(Float(i) == v && i >= 0 && i < rows, "embedding: index \(v) not in 0..<\(rows)")
            return i
        }
        return .record(.embedding, [weight, indices], shape: indices.shape + [width],
                       data: { Kernels.gatherRows(weight.data, width: width, indices: idx, measuring: $0) }) { ctx in
            [ctx.inputs[0].requiresGrad
                ? Measured(Kernels.scatterAddRows(ctx.grad, width: width, indices: idx, rows: rows))
                : nil,
             nil]
        }
    }
}
