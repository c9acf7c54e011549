// tanh and exp, eight lanes at a time. glibc's tanhf (through __expm1f) was half of an
// untraced training step; this is the same maths in vector registers with no calls. exp serves
// log_softmax over the last axis (its forward and backward were scalar expf per value).
//
// NOTE (accuracy): two ranges, each well-conditioned, so the result stays within ~2 ulp of the
// correctly rounded tanh (TensorCoreTests checks ≤ 2 ulp over a sweep against Double tanh):
//   |x| < 0.625: tanh x = x + x³·P(x²), P a degree-5 least-squares fit in relative error
//                (0.003 ulp on its own); no cancellation because x dominates. Polynomials are
//                evaluated with fused multiply-adds (worst 1.37 ulp over the test's sweep).
//   |x| ≥ 0.625: tanh|x| = 1 − 2/(e^{2|x|} + 1). Here 2/(e+1) ≤ 0.45 < tanh|x|, so the
//                subtraction loses less than a bit. e^y = 2^k·e^r with r = y − k·ln2 split in
//                two parts (Cody–Waite), |r| ≤ ln2/2, e^r by Taylor to r⁷ (error 5e-9).
//   |x| is clamped to 10 first: tanh 10 = 1 − 4e-9 already rounds to 1 in Float, and 2^k stays
//   a normal number. The sign is copied back from x; NaN passes through.

extension Kernels {
    /// a·b + c in one rounding: vfmadd with -target-cpu haswell (see Package.swift). NOTE: every
    /// polynomial step here is one of these; as separate multiplies and adds the tanh loop was
    /// a chain of dependent 4-cycle steps (measured 1.8 ns/value on 512×256, 1.14 with fma;
    /// unrolling two vectors per iteration on top measured slower, 1.46: 16 ymm registers).
    @inline(__always)
    static func fma(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>) -> SIMD8<Float> {
        c.addingProduct(a, b)
    }
    @inline(__always)
    static func fma(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: Float) -> SIMD8<Float> {
        SIMD8(repeating: c).addingProduct(a, b)
    }
    @inline(__always)
    static func fma(_ a: SIMD8<Float>, _ b: Float, _ c: Float) -> SIMD8<Float> {
        SIMD8(repeating: c).addingProduct(a, SIMD8(repeating: b))
    }
    @inline(__always)
    static func fma(_ a: SIMD8<Float>, _ b: Float, _ c: SIMD8<Float>) -> SIMD8<Float> {
        c.addingProduct(a, SIMD8(repeating: b))
    }

    @inline(__always)
    static func tanh8(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
        let sign = bits & 0x8000_0000
        var a = unsafeBitCast(bits & 0x7fff_ffff, to: SIMD8<Float>.self)
        a.replace(with: 10, where: a .> 10)

        // Small |x|: odd polynomial.
        let a2 = a * a
        var p = SIMD8<Float>(repeating: 0.0021489840000867844)
        p = fma(p, a2, -0.008184662088751793)
        p = fma(p, a2, 0.021703999489545822)
        p = fma(p, a2, -0.05394745245575905)
        p = fma(p, a2, 0.13333211839199066)
        p = fma(p, a2, -0.3333333134651184)
        let small = fma(a * a2, p, a)

        // Large |x|: 1 − 2/(e^{2|x|} + 1).
        let large = 1 - 2 / (exp8Normal(a + a) + 1)

        let magnitude = large.replacing(with: small, where: a .< 0.625)
        let result = unsafeBitCast(unsafeBitCast(magnitude, to: SIMD8<UInt32>.self) | sign, to: SIMD8<Float>.self)
        return result.replacing(with: x, where: x .!= x)
    }

    /// e^y for y whose result is a normal Float (−87.3 ≤ y ≤ 88.7); ≤ 1 ulp + rounding.
    /// e^y = 2^k·e^r, r = y − k·ln2 in two parts (Cody–Waite), |r| ≤ ln2/2, e^r by Taylor to r⁷.
    @inline(__always)
    static func exp8Normal(_ y: SIMD8<Float>) -> SIMD8<Float> {
        // k = round(y/ln2) by adding 1.5·2²³: the sum's low mantissa bits are k itself, which
        // gives 2^k by integer adds and a shift (no float→int conversion: Swift's generic SIMD
        // conversion is a per-lane call, measured 4× slower than glibc).
        let shifted = fma(y, 1.4426950408889634, 12_582_912)
        let k = shifted - 12_582_912
        let r = fma(k, 2.12194440e-4, fma(k, -0.693359375, y))
        var e = SIMD8<Float>(repeating: 1.0 / 5040)
        e = fma(e, r, 1.0 / 720)
        e = fma(e, r, 1.0 / 120)
        e = fma(e, r, 1.0 / 24)
        e = fma(e, r, 1.0 / 6)
        e = fma(e, r, 0.5)
        e = fma(e, r, 1)
        e = fma(e, r, 1)
        let kBits = unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &- (0x4B40_0000 - 127)
        return e * unsafeBitCast(kBits &<< 23, to: SIMD8<Float>.self)
    }

    /// e^x for x ≤ 0, as log_softmax needs it. NOTE: below −87.3 the result is clamped to
    /// e^−87.3 ≈ 1.2e-38 instead of going subnormal, an absolute error under 1.2e-38.
    @inline(__always)
    static func expNonPositive8(_ x: SIMD8<Float>) -> SIMD8<Float> {
        var y = x
        y.replace(with: -87.3, where: y .< -87.3)
        return exp8Normal(y)
    }

    public static func tanh(_ x: [Float], measuring: Bool = false) -> Measured {
        x.withUnsafeBufferPointer { xp in
            guard let src = xp.baseAddress else { return Measured([]) }
            // Ranges start at multiples of 8 (threads' chunks are multiples of 16 values, the
            // statistics' chunks of 2,048), so only the last one can end mid-vector.
            return makeMeasured(xp.count, measuring: measuring) { out, r in
                let dst = UnsafeMutableRawPointer(out), raw = UnsafeRawPointer(src)
                var i = r.lowerBound
                while i + 8 <= r.upperBound {
                    let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                    dst.storeBytes(of: tanh8(v), toByteOffset: i * 4, as: SIMD8<Float>.self)
                    i += 8
                }
                if i < r.upperBound {
                    var v = SIMD8<Float>(repeating: 0)
                    for j in i..<r.upperBound { v[j - i] = src[j] }
                    let t = tanh8(v)
                    for j in i..<r.upperBound { out[j] = t[j - i] }
                }
            }
        }
    }
}
