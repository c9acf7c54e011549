// Inverted dropout: units where the mask is 0 are dropped, the others scaled by 1/(1−p) so the
// expected value is unchanged and evaluation needs no rescaling. The mask is an input, not
// drawn here: it is data the trace shows (which units were zeroed), drawn by the layer from
// its seeded generator, or taken from a PyTorch fixture so golden comparisons are exact.

extension Tensor {
    /// `self · mask / (1 − p)`; `mask` holds 0 or 1 per element, in `self`'s shape.
    public func dropout(mask: Tensor, p: Float) -> Tensor {
        precondition(mask.shape == shape, "dropout: mask shape \(mask.shape) differs from \(shape)")
        precondition(p >= 0 && p < 1, "dropout: p must be in [0, 1), got \(p)")
        let scale = 1 / (1 - p)
        return .record(.dropout, [self, mask], shape: shape,
                       data: { Kernels.maskedScale(data, mask: mask.data, scale: scale, measuring: $0) },
                       attributes: "p=\(p)") { ctx in
            [Kernels.maskedScale(ctx.grad, mask: ctx.inputs[1].data, scale: scale, measuring: ctx.measuring), nil]
        }
    }
}
