// The one place that calls LAPACK: a thin SVD for the collab lesson's PCA (sklearn's PCA is an
// SVD of the centred data). In Double: the inputs are small and the components are compared
// with PyTorch-side references.

import CLAPACK

public enum LAPACK {
    /// Thin SVD of a row-major `rows`×`cols` matrix: a = u · diag(s) · vt with u [rows, k],
    /// s [k] descending, vt [k, cols], k = min(rows, cols). Nil when LAPACK reports failure
    /// (it does not converge, or the input holds NaN).
    public static func svd(_ a: [Double], rows m: Int, cols n: Int) -> (u: [Double], s: [Double], vt: [Double])? {
        precondition(a.count == m * n && m > 0 && n > 0, "svd: \(a.count) values for \(m)×\(n)")
        let k = min(m, n)
        var work = a
        var s = [Double](repeating: 0, count: k)
        var u = [Double](repeating: 0, count: m * k)
        var vt = [Double](repeating: 0, count: k * n)
        let info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "S")), Int32(m), Int32(n), &work, Int32(n),
                                  &s, &u, Int32(k), &vt, Int32(n))
        return info == 0 ? (u, s, vt) : nil
    }
}
