// Matrix products go through the platform's cblas_sgemm and nowhere else. Transposes are BLAS
// flags, never copies.

import CBLAS

public enum BLAS {
    /// Set the BLAS thread count explicitly: the default (all cores, or an environment variable
    /// the user forgot) makes timings unreproducible.
    public static func setThreads(_ n: Int) { unrolled_blas_set_threads(Int32(n)) }
    public static var threads: Int { Int(unrolled_blas_get_threads()) }

    /// Floating-point operations (2·m·n·k per product) issued through `gemm` since start: what
    /// `make bench` divides by wall time to compare with raw cblas_sgemm. One add per call.
    nonisolated(unsafe) public static var flops = 0

    /// C = alpha · op(A) · op(B) + beta · C, row-major. op(A) is m×k, op(B) is k×n.
    @inline(__always)
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                            alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>) {
        flops += 2 * m * n * k
        let lda = transA ? m : k
        let ldb = transB ? k : n
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)),
                    beta, c, Int32(max(n, 1)))
    }
}

extension Kernels {
    /// op(A)·op(B) into a new buffer. A is [m,k] (or [k,m] when transA), B is [k,n] (or [n,k]).
    public static func matmul(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int,
                              transA: Bool = false, transB: Bool = false) -> [Float] {
        if m == 0 || n == 0 { return [] }
        if k == 0 { return [Float](repeating: 0, count: m * n) }
        return a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                make(m * n) { c in
                    BLAS.gemm(transA: transA, transB: transB, m: m, n: n, k: k,
                              a: ap.baseAddress!, b: bp.baseAddress!, c: c)
                }
            }
        }
    }
}
