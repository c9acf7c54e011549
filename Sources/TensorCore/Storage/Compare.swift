// The one comparison of our numbers against a reference (PyTorch's), shared by the golden
// tests and the CLI, so "equal to PyTorch" means the same thing everywhere.
//
// Actual a passes against reference b, element by element, when
//     |a − b| ≤ atolOfMax · max|ref| + rtol · |b|
// where max|ref| is the largest |value| of the whole reference tensor. The absolute part scales
// with the tensor compared, so a gradient whose values are all ~1e-8 is held to ~1e-13, not to
// a fixed 1e-4 that would pass all zeros. A reference that is exactly zero everywhere demands
// exact zeros. NaN is equal only to NaN; infinities only to themselves.

public struct Tolerance: Equatable, Sendable, CustomStringConvertible {
    /// Allowed |a − b| as a fraction of the reference element's own |value|.
    public var rtol: Float
    /// Allowed |a − b| as a fraction of the reference tensor's largest |value|.
    public var atolOfMax: Float

    public init(rtol: Float, atolOfMax: Float) {
        self.rtol = rtol
        self.atolOfMax = atolOfMax
    }

    public var description: String { "|a−b| ≤ \(Comparison.sci(Double(atolOfMax)))·max|ref| + \(Comparison.sci(Double(rtol)))·|ref|" }
}

/// The tolerances of every golden comparison, from measured float32 error (docs/golden.md).
///
/// Worst |a − b| / max|ref| over the six model fixtures and the 72 op cases, with BLIS's skx,
/// haswell and zen3 kernels: forward values 7.4e-7, gradients 1.5e-6 (sums over eight time
/// steps that cancel). The bounds sit ~13× above the worst and 500× below the 1% perturbation
/// the mutation check applies, so every compared tensor can fail.
public enum GoldenTolerance {
    public static let forward = Tolerance(rtol: 1e-5, atolOfMax: 1e-5)
    public static let gradient = Tolerance(rtol: 1e-5, atolOfMax: 2e-5)
}

/// The outcome of comparing `actual` with `expected`, element by element.
public struct Comparison: CustomStringConvertible {
    /// The first element outside tolerance: its flat index and both values.
    public struct Failure: Equatable {
        public let index: Int
        public let actual: Float
        public let expected: Float
    }

    public let count: Int
    public let tolerance: Tolerance
    /// max|ref|: the scale the absolute part of the tolerance is taken of.
    public let scale: Double
    /// Largest |a − b| and |a − b| / |b| over all elements (NaN pairs and equal values count 0;
    /// a nonzero difference against b = 0 is an infinite relative difference).
    public let maxAbsDiff: Double
    public let maxRelDiff: Double
    /// Largest |a − b| / bound over all elements: how much of its tolerance the worst element
    /// used (≤ 1 passes; infinite where the bound is 0 and the values differ).
    public let worstOfBound: Double
    public let firstFailure: Failure?
    public let failures: Int
    /// Set when the two cannot be compared element by element (different counts or shapes).
    public let mismatch: String?

    public var passed: Bool { mismatch == nil && failures == 0 }

    /// max |a − b| / max|ref|: the figure the absolute part of the rule holds.
    public var maxAbsDiffOfScale: Double { scale > 0 ? maxAbsDiff / scale : (maxAbsDiff == 0 ? 0 : .infinity) }

    /// One line: `ok` or the first failure, with the worst differences.
    public var description: String { describe(shape: nil) }

    /// The figures a row was held to: max|ref|, the worst difference in units of it, and the
    /// share of the bound the worst element used.
    public var figures: String {
        "max|ref| \(Comparison.sci(scale)), max|a−b| \(Comparison.sci(maxAbsDiff)) = \(Comparison.sci(maxAbsDiffOfScale))·max|ref|, "
            + "worst element at \(Comparison.percent(worstOfBound)) of its bound"
    }

    /// One line, naming the failing element by its position in `shape` when given.
    public func describe(shape: [Int]?) -> String {
        if let mismatch { return "MISMATCH \(mismatch)" }
        let worst = "\(figures) (\(tolerance))"
        guard let f = firstFailure else { return "ok, \(count) values, \(worst)" }
        let position = shape.map { " " + Comparison.position(f.index, in: $0) } ?? ""
        return "FAIL \(failures)/\(count) values outside tolerance; first at index \(f.index)\(position): "
            + "got \(f.actual), expected \(f.expected); \(worst)"
    }

    /// `[i, j, k]` for a flat row-major index.
    public static func position(_ index: Int, in shape: [Int]) -> String {
        var rest = index
        var coords = [Int](repeating: 0, count: shape.count)
        for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] > 0 {
            coords[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return "[" + coords.map(String.init).joined(separator: ", ") + "]"
    }

    /// Three significant digits in scientific notation without Foundation's String(format:).
    public static func sci(_ x: Double) -> String {
        if x == 0 { return "0" }
        if x.isNaN { return "nan" }
        if x.isInfinite { return "inf" }
        var e = 0
        var m = abs(x)
        while m >= 10 { m /= 10; e += 1 }
        while m < 1 { m *= 10; e -= 1 }
        var r = (m * 100).rounded() / 100
        if r >= 10 { r /= 10; e += 1 }
        return (x < 0 ? "-" : "") + "\(r)e\(e)"
    }

    public static func percent(_ x: Double) -> String {
        if x.isInfinite { return "inf" }
        return "\((x * 1000).rounded() / 10)%"
    }
}

extension Comparison {
    /// Compare `actual` with the reference `expected` under `tolerance`; `slack[i]`, when given,
    /// widens element i's bound by that much (Adam's update on a gradient at rounding-noise level).
    public static func of(_ actual: [Float], _ expected: [Float], tolerance: Tolerance, slack: [Float]? = nil) -> Comparison {
        guard actual.count == expected.count else {
            return Comparison(count: actual.count, tolerance: tolerance, scale: 0, maxAbsDiff: .infinity, maxRelDiff: .infinity,
                              worstOfBound: .infinity, firstFailure: nil, failures: 0,
                              mismatch: "\(actual.count) values, expected \(expected.count)")
        }
        // The scale of the reference: its largest finite |value|.
        var scale = 0.0
        for b in expected where b.isFinite { scale = Swift.max(scale, Double(abs(b))) }
        var maxAbs = 0.0, maxRel = 0.0, worst = 0.0
        var first: Failure?
        var failures = 0
        let rtol = Double(tolerance.rtol), floor = Double(tolerance.atolOfMax) * scale
        for i in 0..<actual.count {
            let a = Double(actual[i]), b = Double(expected[i])
            let ok: Bool
            if a.isNaN || b.isNaN {
                ok = a.isNaN && b.isNaN
                if !ok { maxAbs = .infinity; maxRel = .infinity; worst = .infinity }
            } else if a == b {
                ok = true  // also equal infinities, whose difference would be NaN
            } else if a.isInfinite || b.isInfinite {
                ok = false  // rtol·|b| would be infinite and pass anything
                maxAbs = .infinity; maxRel = .infinity; worst = .infinity
            } else {
                // Computed in Double so the test itself adds no float32 rounding.
                let diff = abs(a - b)
                let bound = floor + rtol * abs(b) + Double(slack?[i] ?? 0)
                ok = diff <= bound
                maxAbs = Swift.max(maxAbs, diff)
                maxRel = Swift.max(maxRel, b == 0 ? .infinity : diff / abs(b))
                worst = Swift.max(worst, bound > 0 ? diff / bound : .infinity)
            }
            if !ok {
                failures += 1
                if first == nil { first = Failure(index: i, actual: actual[i], expected: expected[i]) }
            }
        }
        return Comparison(count: actual.count, tolerance: tolerance, scale: scale, maxAbsDiff: maxAbs, maxRelDiff: maxRel,
                          worstOfBound: worst, firstFailure: first, failures: failures, mismatch: nil)
    }

    /// Compare two tensors: shapes must be equal, then values as above.
    public static func of(_ actual: Tensor, _ expected: Tensor, tolerance: Tolerance) -> Comparison {
        guard actual.shape == expected.shape else {
            return Comparison(count: actual.count, tolerance: tolerance, scale: 0, maxAbsDiff: .infinity, maxRelDiff: .infinity,
                              worstOfBound: .infinity, firstFailure: nil, failures: 0,
                              mismatch: "shape \(actual.shape), expected \(expected.shape)")
        }
        return of(actual.data, expected.data, tolerance: tolerance)
    }
}

/// The perturbations the mutation check applies to a reference: a comparison that still passes
/// after one of them could not have caught an error of that size.
public enum Perturbation: String, CaseIterable, Sendable {
    /// The element of largest |value| moved by 1% of max|ref|.
    case oneValue = "one value +1% of max|ref|"
    /// Every element ×1.01.
    case scaled = "whole tensor ×1.01"

    /// An all-zero reference (an RNN's initial state) is held to exact zeros, so its one-value
    /// perturbation is the smallest normal float, and scaling it changes nothing.
    public func apply(_ reference: [Float]) -> [Float] {
        var r = reference
        switch self {
        case .oneValue:
            guard let i = r.indices.max(by: { abs(r[$0]) < abs(r[$1]) }) else { return r }
            r[i] += r[i] == 0 ? Float.leastNormalMagnitude : 0.01 * abs(r[i])
        case .scaled:
            if r.allSatisfy({ $0 == 0 }) { return Perturbation.oneValue.apply(r) }
            for i in r.indices { r[i] *= 1.01 }
        }
        return r
    }
}
