// Every differentiable primitive, checked against central differences (tolerance in
// GradCheck.swift: |analytic − numeric| ≤ 1e-3 + 1e-3·|numeric|). One line per case.

import XCTest
@testable import TensorCore

private typealias G = GradInputs

/// The main actor's, as its generator (`GradInputs`) is.
@MainActor
enum GradCases {
    static let arithmetic: [GradCase] = [
        GradCase(.add, "[3,4]+[3,4]", [G.p([3, 4]), G.p([3, 4])]) { $0[0] + $0[1] },
        GradCase(.add, "bias row [3,4]+[4]", [G.p([3, 4]), G.p([4])]) { $0[0] + $0[1] },
        GradCase(.add, "column [3,4]+[3,1]", [G.p([3, 4]), G.p([3, 1])]) { $0[0] + $0[1] },
        GradCase(.add, "both broadcast [2,1,4]+[3,1]", [G.p([2, 1, 4]), G.p([3, 1])]) { $0[0] + $0[1] },
        GradCase(.add, "used twice x+x", [G.p([3, 4])]) { $0[0] + $0[0] },
        GradCase(.sub, "[3,4]-[3,4]", [G.p([3, 4]), G.p([3, 4])]) { $0[0] - $0[1] },
        GradCase(.sub, "bias row [3,4]-[4]", [G.p([3, 4]), G.p([4])]) { $0[0] - $0[1] },
        GradCase(.sub, "column first [3,1]-[3,4]", [G.p([3, 1]), G.p([3, 4])]) { $0[0] - $0[1] },
        GradCase(.mul, "[3,4]*[3,4]", [G.p([3, 4]), G.p([3, 4])]) { $0[0] * $0[1] },
        GradCase(.mul, "bias row [3,4]*[4]", [G.p([3, 4]), G.p([4])]) { $0[0] * $0[1] },
        GradCase(.mul, "column [3,4]*[3,1]", [G.p([3, 4]), G.p([3, 1])]) { $0[0] * $0[1] },
        GradCase(.mul, "used twice x*x", [G.p([3, 4])]) { $0[0] * $0[0] },
        GradCase(.mul, "scalar constant", [G.p([3, 4])]) { $0[0] * 3 },
        // Denominators in [1, 2): d³(a/b)/db³ = −6a/b⁴ stays ≤ 6.
        GradCase(.div, "[3,4]/[3,4]", [G.p([3, 4]), G.p([3, 4], 1, 2)]) { $0[0] / $0[1] },
        GradCase(.div, "bias row [3,4]/[4]", [G.p([3, 4]), G.p([4], 1, 2)]) { $0[0] / $0[1] },
        GradCase(.div, "column [3,4]/[3,1]", [G.p([3, 4]), G.p([3, 1], 1, 2)]) { $0[0] / $0[1] },
        GradCase(.div, "numerator broadcast [3,1]/[3,4]", [G.p([3, 1]), G.p([3, 4], 1, 2)]) { $0[0] / $0[1] },
        GradCase(.neg, "-x", [G.p([3, 4])]) { -$0[0] },
    ]

    static let unary: [GradCase] = [
        GradCase(.exp, "exp", [G.p([3, 4])]) { $0[0].exp() },
        // log on [0.5, 2): |d³ log x/dx³| = 2/x³ ≤ 16.
        GradCase(.log, "log", [G.p([3, 4], 0.5, 2)]) { $0[0].log() },
        GradCase(.tanh, "tanh", [G.p([3, 4], -2, 2)]) { $0[0].tanh() },
        GradCase(.relu, "relu away from the kink", [G.awayFromZero([3, 4])]) { $0[0].relu() },
        GradCase(.sigmoid, "sigmoid", [G.p([3, 4], -3, 3)]) { $0[0].sigmoid() },
        // sqrt on [0.5, 2): |d³√x/dx³| = 3/(8x^2.5) ≤ 2.2.
        GradCase(.sqrt, "sqrt", [G.p([3, 4], 0.5, 2)]) { $0[0].sqrt() },
        GradCase(.tanh, "used twice x*tanh(x)", [G.p([3, 4])]) { $0[0] * $0[0].tanh() },
    ]

    static let reduction: [GradCase] = [
        GradCase(.sum, "sum all", [G.p([2, 3, 4])]) { $0[0].sum() },
        GradCase(.sum, "sum axis 1", [G.p([2, 3, 4])]) { $0[0].sum(axis: 1) },
        GradCase(.sum, "sum axis -1 keepDims", [G.p([2, 3, 4])]) { $0[0].sum(axis: -1, keepDims: true) },
        GradCase(.mean, "mean all", [G.p([2, 3, 4])]) { $0[0].mean() },
        GradCase(.mean, "mean axis 0", [G.p([2, 3, 4])]) { $0[0].mean(axis: 0) },
        GradCase(.mean, "mean axis 1 keepDims", [G.p([2, 3, 4])]) { $0[0].mean(axis: 1, keepDims: true) },
    ]

    static let layout: [GradCase] = [
        GradCase(.reshape, "[2,3,4] to [6,-1]", [G.p([2, 3, 4])]) { $0[0].reshape([6, -1]) },
        GradCase(.transpose, "3-D swap 0,2", [G.p([2, 3, 4])]) { $0[0].transpose(0, 2) },
        GradCase(.transpose, "3-D swap 1,2", [G.p([2, 3, 4])]) { $0[0].transpose(1, -1) },
        GradCase(.concat, "axis 0", [G.p([2, 3]), G.p([1, 3]), G.p([3, 3])]) { Tensor.concat($0, axis: 0) },
        GradCase(.concat, "axis 1", [G.p([2, 3]), G.p([2, 1]), G.p([2, 2])]) { Tensor.concat($0, axis: 1) },
        GradCase(.concat, "axis 1 of 3-D, one part twice", [G.p([2, 1, 3]), G.p([2, 2, 3])]) {
            Tensor.concat([$0[0], $0[1], $0[0]], axis: 1)
        },
        GradCase(.stack, "axis 0", [G.p([2, 3]), G.p([2, 3]), G.p([2, 3])]) { Tensor.stack($0, axis: 0) },
        GradCase(.stack, "axis 1", [G.p([2, 3]), G.p([2, 3])]) { Tensor.stack($0, axis: 1) },
        GradCase(.select, "middle axis", [G.p([2, 3, 4])]) { $0[0].select(axis: 1, index: 1) },
        GradCase(.select, "two selects of one input", [G.p([2, 3, 4])]) {
            $0[0].select(axis: 1, index: 2) * $0[0].select(axis: 1, index: 0)
        },
        GradCase(.slice, "middle axis", [G.p([2, 4, 3])]) { $0[0].slice(axis: 1, 1..<3) },
    ]

    static let matmul: [GradCase] = [
        GradCase(.matmul, "A@B", [G.p([3, 4]), G.p([4, 5])]) { $0[0].matmul($0[1]) },
        GradCase(.matmul, "Aᵀ@B", [G.p([4, 3]), G.p([4, 5])]) { $0[0].matmul($0[1], transposeA: true) },
        GradCase(.matmul, "A@Bᵀ", [G.p([3, 4]), G.p([5, 4])]) { $0[0].matmul($0[1], transposeB: true) },
        // Few inputs, many outputs: the weight gradient Gᵀ·A is computed as (Aᵀ·G)ᵀ (Kernels.matmul).
        GradCase(.matmul, "A@Bᵀ skinny B", [G.p([3, 2]), G.p([5, 2])]) { $0[0].matmul($0[1], transposeB: true) },
        GradCase(.matmul, "Aᵀ@Bᵀ skinny B", [G.p([2, 3]), G.p([6, 2])]) { $0[0].matmul($0[1], transposeA: true, transposeB: true) },
        GradCase(.matmul, "Aᵀ@Bᵀ", [G.p([4, 3]), G.p([5, 4])]) {
            $0[0].matmul($0[1], transposeA: true, transposeB: true)
        },
        GradCase(.matmul, "used twice X@Xᵀ", [G.p([3, 4])]) { $0[0].matmul($0[0], transposeB: true) },
    ]

    static let embeddingAndLoss: [GradCase] = [
        GradCase(.embedding, "repeated indices", [G.p([5, 3]), G.ints([2, 3], [0, 2, 2, 4, 0, 2])]) {
            Tensor.embedding($0[0], $0[1])
        },
        GradCase(.logSoftmax, "last axis of 3-D", [G.p([2, 3, 4], -2, 2)]) { $0[0].logSoftmax(axis: -1) },
        GradCase(.logSoftmax, "axis 0 of 3-D", [G.p([3, 2, 4], -2, 2)]) { $0[0].logSoftmax(axis: 0) },
        GradCase(.nllLoss, "nll of raw scores", [G.p([4, 5]), G.ints([4], [1, 0, 4, 1])]) { $0[0].nllLoss($0[1]) },
        GradCase(.nllLoss, "nll of log_softmax", [G.p([4, 5], -2, 2), G.ints([4], [3, 3, 0, 2])]) {
            $0[0].logSoftmax(axis: 1).nllLoss($0[1])
        },
        GradCase(.mse, "both sides", [G.p([3, 4]), G.p([3, 4])]) { $0[0].mse($0[1]) },
        GradCase(.dropout, "p 0.5, a fixed mask", [G.p([3, 4]), G.ints([3, 4], [1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1])]) {
            $0[0].dropout(mask: $0[1], p: 0.5)
        },
    ]

    static let all = arithmetic + unary + reduction + layout + matmul + embeddingAndLoss

    /// Primitives without a gradient rule; their values are tested in KernelTests.
    nonisolated static let notDifferentiable: Set<Primitive> = [.max, .argmax]
}

// Not @MainActor itself: Linux test discovery casts test methods to nonisolated functions (a
// main-actor one crashes `swift test`); `checkGradients` reads the cases on the main actor.
final class GradientTests: XCTestCase {
    func testArithmetic() { checkGradients { GradCases.arithmetic } }
    func testUnary() { checkGradients { GradCases.unary } }
    func testReduction() { checkGradients { GradCases.reduction } }
    func testLayout() { checkGradients { GradCases.layout } }
    func testMatMul() { checkGradients { GradCases.matmul } }
    func testEmbeddingAndLoss() { checkGradients { GradCases.embeddingAndLoss } }

    /// A new primitive cannot go untested: every case of `Primitive` except the gradient-free
    /// ones must have a gradient case (and `checkGradients` checks each case runs its primitive).
    func testEveryDifferentiablePrimitiveHasACase() {
        let tested = MainActor.assumeIsolated { Set(GradCases.all.map(\.primitive)) }
        let expected = Set(Primitive.allCases).subtracting(GradCases.notDifferentiable)
        XCTAssertEqual(expected.subtracting(tested).map(\.rawValue).sorted(), [], "primitives without a gradient check")
        XCTAssertEqual(tested.intersection(GradCases.notDifferentiable), [], "max/argmax have no gradient to check")
    }

    /// The helper must be able to fail: tanh with the rule grad·(1 − result) instead of
    /// grad·(1 − result²) is caught, with a message naming op, input, index and both values.
    func testCheckerCatchesAWrongRule() {
        let messages = MainActor.assumeIsolated {
            let wrongTanh = GradCase(.tanh, "deliberately wrong rule", [G.p([2, 3])]) { xs in
                Tensor.record(.tanh, [xs[0]], shape: xs[0].shape, data: Kernels.tanh(xs[0].data).values) { ctx in
                    [Kernels.zipSame(ctx.grad, ctx.result.data, WrongTanhBackward())]
                }
            }
            return gradientMismatches(wrongTanh)
        }
        XCTAssertEqual(messages.count, 1)
        let m = messages.first ?? ""
        for part in ["tanh", "deliberately wrong rule", "input 0", "analytic", "numeric", "tolerance"] {
            XCTAssert(m.contains(part), "failure message lacks \(part): \(m)")
        }
    }
}

/// grad · (1 − result): tanh's backward rule with the square left out, for the checker to catch.
private struct WrongTanhBackward: PointwiseBinary {
    func callAsFunction(_ g: Float, _ y: Float) -> Float { g * (1 - y) }
}
