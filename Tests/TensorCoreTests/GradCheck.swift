// Finite-difference gradient checks, one line per case through one helper (tinygrad's
// helper_test_op). The loss is L = sum(op(inputs) * w) with fixed random weights w, so every
// output element gets a different, known upstream gradient.
//
// Tolerance. The numeric derivative is a central difference of Float evaluations, but the
// difference is taken in Double: (L(x+h) − L(x−h)) / 2h with L summed in Double and h the
// perturbation that actually happened in Float. Outputs the perturbation does not touch are
// bitwise equal on both sides and cancel exactly, so the error is (a) truncation, h²/6·|f‴|,
// ≈ 1.7e-5·|f‴| for h = 1e-2, and (b) rounding of the touched outputs, ≈ 6e-8·|y|/h ≈ 6e-6·|y|.
// Inputs are kept where |f‴| ≲ 10 (log and div away from 0, relu away from its kink), so the
// error stays below ~3e-4. We accept |analytic − numeric| ≤ 1e-3 + 1e-3·|numeric|:
// a wrong rule (missing factor, wrong transpose, lost broadcast sum) is off by O(|w|) ≈ 0.1–1,
// and `testCheckerCatchesAWrongRule` shows the helper failing on a deliberately wrong rule.

import XCTest
@testable import TensorCore

/// Default tolerance, see the file header.
let gradAtol = 1e-3
let gradRtol = 1e-3

struct GradCase {
    /// The primitive this case is about (the coverage test counts these).
    let primitive: Primitive
    let name: String
    let inputs: [Tensor]
    let eps: Float
    let op: ([Tensor]) -> Tensor

    init(_ primitive: Primitive, _ name: String, _ inputs: [Tensor], eps: Float = 1e-2,
         _ op: @escaping ([Tensor]) -> Tensor) {
        self.primitive = primitive; self.name = name; self.inputs = inputs; self.eps = eps; self.op = op
    }
}

/// Inputs for the cases: a fixed generator, so every run checks the same numbers. The main
/// actor's, as XCTest runs every test on the main thread.
@MainActor
enum GradInputs {
    static let rng = SeededGenerator(seed: 2024)

    /// A differentiable input with values in [low, high).
    static func p(_ shape: [Int], _ low: Float = -1, _ high: Float = 1) -> Tensor {
        Tensor.uniform(shape, low: low, high: high, using: rng).requiringGrad()
    }

    /// Values with |x| in [0.2, 1): relu's kink at 0 stays 20 eps away.
    static func awayFromZero(_ shape: [Int]) -> Tensor {
        let v = (0..<shape.product).map { _ -> Float in
            let m = rng.uniform(0.2, 1)
            return rng.unit() < 0.5 ? -m : m
        }
        return Tensor(shape: shape, data: v).requiringGrad()
    }

    /// Whole-number data (indices, targets): not differentiated.
    static func ints(_ shape: [Int], _ values: [Float]) -> Tensor { Tensor(shape: shape, data: values) }
}

extension XCTestCase {
    /// Compare the tape's gradients of every `requiresGrad` input of each case with central
    /// differences. Fails with the op, the input, the element index, both values and the tolerance.
    /// The cases belong to the main actor (as `GradInputs` does): XCTest runs tests on the main
    /// thread, and `assumeIsolated` checks that.
    func checkGradients(_ cases: @MainActor () -> [GradCase], atol: Double = gradAtol, rtol: Double = gradRtol,
                        file: StaticString = #filePath, line: UInt = #line) {
        let failures = MainActor.assumeIsolated { cases().flatMap { gradientMismatches($0, atol: atol, rtol: rtol) } }
        for message in failures { XCTFail(message, file: file, line: line) }
    }
}

/// The check itself, returning its failure messages (empty when the gradients agree), so a test
/// can show that it does fail on a wrong rule.
func gradientMismatches(_ c: GradCase, atol: Double = gradAtol, rtol: Double = gradRtol) -> [String] {
    var failures: [String] = []
    // Fresh leaves each time, so gradients never accumulate from an earlier run.
    func leaves(_ override: (index: Int, data: [Float])? = nil) -> [Tensor] {
        c.inputs.enumerated().map { j, t in
            let data = override?.index == j ? override!.data : t.data
            return Tensor(shape: t.shape, data: data, label: t.label.isEmpty ? "in\(j)" : t.label,
                          requiresGrad: t.requiresGrad)
        }
    }

    // Analytic: L = sum(op(x) * w), w fixed and random.
    let xs = leaves()
    let sink = MemorySink()
    let y = Tracer.recording(level: .off, to: sink) { c.op(xs) }
    let wRng = SeededGenerator(seed: 99)
    let w = Tensor.uniform(y.shape, low: -1, high: 1, using: wRng, label: "w")
    let loss = (y * w).sum()
    loss.backward()

    // The case must really exercise its primitive (otherwise coverage would be a lie).
    let ops = Tracer.recording(level: .summary, to: sink) { () -> Set<String> in
        _ = c.op(leaves())
        return Set(sink.events.map(\.op))
    }
    if !ops.contains(c.primitive.rawValue) {
        failures.append("\(c.name): case tagged \(c.primitive.rawValue) runs only \(ops.sorted())")
    }

    // Numeric: central differences, the loss summed in Double (see the file header).
    func lossDifference(_ plus: [Float], _ minus: [Float]) -> Double {
        var d = 0.0
        for i in 0..<plus.count where plus[i] != minus[i] {
            d += (Double(plus[i]) - Double(minus[i])) * Double(w.data[i])
        }
        return d
    }
    for (j, input) in c.inputs.enumerated() where input.requiresGrad {
        guard let analytic = xs[j].grad else {
            failures.append("\(c.name): input \(j) (\(xs[j].label)) got no gradient")
            continue
        }
        for i in 0..<input.count {
            var up = input.data, down = input.data
            up[i] += c.eps
            down[i] -= c.eps
            let h = Double(up[i]) - Double(down[i])
            let (yp, ym) = GradMode.noGrad { (c.op(leaves((j, up))).data, c.op(leaves((j, down))).data) }
            let numeric = lossDifference(yp, ym) / h
            let a = Double(analytic[i])
            let tol = atol + rtol * abs(numeric)
            if !(abs(a - numeric) <= tol) {
                failures.append("""
                    \(c.primitive.rawValue) [\(c.name)]: d loss/d input \(j) (\(xs[j].label), shape \(input.shape)) \
                    at \(multiIndex(i, input.shape)): analytic \(a), numeric \(numeric), \
                    |diff| \(abs(a - numeric)) > tolerance \(tol) (atol \(atol) + rtol \(rtol)·|numeric|, eps \(c.eps))
                    """)
                break  // one message per input is enough to find the rule
            }
        }
    }
    return failures
}

/// Row-major flat index → [i, j, k] for failure messages.
func multiIndex(_ flat: Int, _ shape: [Int]) -> [Int] {
    var rest = flat
    var out = [Int](repeating: 0, count: shape.count)
    for d in stride(from: shape.count - 1, through: 0, by: -1) {
        out[d] = rest % shape[d]
        rest /= shape[d]
    }
    return out
}
