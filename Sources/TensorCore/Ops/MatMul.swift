// The one matrix product. Transposed operands are BLAS flags (`x @ Wᵀ` for a linear layer reads
// W in place), and so are the transposes in the backward rule: no operand is copied. (One
// small result is: a skinny layer's weight gradient, see `Kernels.matmul`.)

extension Tensor {
    /// op(self) @ op(other) for 2-D tensors; `transposeB` gives PyTorch's `x @ W.t()`.
    public func matmul(_ other: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition(rank == 2 && other.rank == 2, "matmul needs 2-D tensors, got \(shape) and \(other.shape)")
        let (m, k) = transposeA ? (shape[1], shape[0]) : (shape[0], shape[1])
        let (k2, n) = transposeB ? (other.shape[1], other.shape[0]) : (other.shape[0], other.shape[1])
        precondition(k == k2, "matmul: inner dimensions differ: \(shape)\(transposeA ? "ᵀ" : "") @ \(other.shape)\(transposeB ? "ᵀ" : "")")
        let attrs = [transposeA ? "transA" : nil, transposeB ? "transB" : nil].compactMap { $0 }.joined(separator: ",")
        let (tA, tB) = (transposeA, transposeB)
        return .record(.matmul, [self, other], shape: [m, n],
                       data: Kernels.matmul(data, other.data, m: m, n: n, k: k, transA: tA, transB: tB),
                       attributes: attrs) { ctx in
            let (a, b, g) = (ctx.inputs[0], ctx.inputs[1], ctx.grad)
            // C = op(A)·op(B), G = ∂L/∂C.  ∂L/∂op(A) = G·op(B)ᵀ and ∂L/∂op(B) = op(A)ᵀ·G;
            // when an operand was used transposed, its gradient is the transpose of that, which
            // BLAS produces by swapping the factors and flags.
            let da = tA
                ? Kernels.MatrixProduct(b.data, g, m: k, n: m, k: n, transA: tB, transB: true)    // op(B)·Gᵀ : [k,m]
                : Kernels.MatrixProduct(g, b.data, m: m, n: k, k: n, transA: false, transB: !tB)  // G·op(B)ᵀ : [m,k]
            let db = tB
                ? Kernels.MatrixProduct(g, a.data, m: n, n: k, k: m, transA: true, transB: tA)    // Gᵀ·op(A) : [n,k]
                : Kernels.MatrixProduct(a.data, g, m: k, n: n, k: m, transA: !tA, transB: false)  // op(A)ᵀ·G : [k,n]
            switch (a.requiresGrad, b.requiresGrad) {
            case (true, true):
                // Independent products: both at once when a second core is free.
                let (ga, gb) = Kernels.matmulPair(da, db)
                return [Measured(ga), Measured(gb)]
            case (true, false): return [Measured(Kernels.matmul(da)), nil]
            case (false, true): return [nil, Measured(Kernels.matmul(db))]
            case (false, false): return [nil, nil]
            }
        }
    }
}
