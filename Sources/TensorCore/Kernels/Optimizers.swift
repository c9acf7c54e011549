// Optimizer update kernels: the parameter loops live here with the other raw-buffer loops, so
// optimizers in Models stay readable. Both follow PyTorch's single-tensor formulas operation by
// operation, so a parameter after three Adam steps matches torch.optim.Adam's bit for bit or
// within a few ulps.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Kernels {
    /// p −= lr · g
    public static func sgdStep(param: inout [Float], grad: [Float], lr: Float) {
        axpy(-lr, grad, &param)
    }

    /// One Adam step (torch.optim.Adam, no amsgrad):
    ///   g ← g + wd·p                   (weight_decay: L2 added to the gradient, not AdamW)
    ///   m ← m + (1−β1)(g − m)          (torch's lerp_)
    ///   v ← β2·v + (1−β2)·g²
    ///   p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε)
    public static func adamStep(param: inout [Float], grad: [Float], m: inout [Float], v: inout [Float],
                                lr: Float, beta1: Float, beta2: Float, eps: Float, step: Int,
                                weightDecay: Float = 0) {
        precondition(param.count == grad.count && m.count == grad.count && v.count == grad.count)
        // Bias corrections in Double, as PyTorch computes them in Python floats.
        let bc1 = 1 - pow(Double(beta1), Double(step))
        let bc2 = 1 - pow(Double(beta2), Double(step))
        let stepSize = Float(Double(lr) / bc1)
        let bc2Sqrt = Float(bc2.squareRoot())
        let w1 = 1 - beta1, w2 = 1 - beta2
        param.withUnsafeMutableBufferPointer { p in
            m.withUnsafeMutableBufferPointer { mp in
                v.withUnsafeMutableBufferPointer { vp in
                    grad.withUnsafeBufferPointer { gp in
                        let (p, mp, vp, g) = (p.baseAddress!, mp.baseAddress!, vp.baseAddress!, gp.baseAddress!)
                        Parallel.forRanges(gp.count) { range in
                            for i in range {
                                let gi = weightDecay == 0 ? g[i] : g[i] + weightDecay * p[i]
                                mp[i] = mp[i] + w1 * (gi - mp[i])
                                vp[i] = vp[i] * beta2 + w2 * gi * gi
                                let denom = vp[i].squareRoot() / bc2Sqrt + eps
                                p[i] = p[i] - stepSize * (mp[i] / denom)
                            }
                        }
                    }
                }
            }
        }
    }
}
