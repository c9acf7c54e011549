// Rows picked by index (embedding lookup) and their adjoint, rows added back by index.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Kernels {
    // MARK: gather / scatter (embedding)

    /// Rows of `table` ([rows, width]) picked by `indices`: out[i] = table[indices[i]]. Written
    /// by flat ranges like `slice`, so it is measured as it is made.
    public static func gatherRows(_ table: [Float], width: Int, indices: [Int], measuring: Bool = false) -> Measured {
        table.withUnsafeBufferPointer { t in
            indices.withUnsafeBufferPointer { rows in
                makeMeasured(indices.count * width, measuring: measuring) { out, range in
                    copyRows(out, range, width: width) { i in t.baseAddress! + rows[i] * width }
                }
            }
        }
    }

    /// The adjoint of `gatherRows`: add each gradient row into the row it came from. Rows picked
    /// twice get both contributions.
    public static func scatterAddRows(_ grad: [Float], width: Int, indices: [Int], rows: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows * width)
        out.withUnsafeMutableBufferPointer { o in
            grad.withUnsafeBufferPointer { g in
                for (i, r) in indices.enumerated() {
                    let ob = r * width, gb = i * width
                    for j in 0..<width { o[ob + j] += g[gb + j] }
                }
            }
        }
        return out
    }
}
