// The tape: a tensor used several times gets the sum of its contributions, no-grad mode builds
// nothing, zeroGrad forgets, and gradients add up across backward calls as in PyTorch.

import XCTest
@testable import TensorCore

final class AutogradTests: XCTestCase {
    /// Char3's shape: one weight `l_in` applied to three inputs, through a recurrence.
    /// `slots` says which of the three uses is the differentiable W; the others use a detached
    /// copy with the same values, so each run computes one contribution alone.
    private func char3Loss(_ x: [Tensor], _ w: Tensor, _ copy: Tensor, b: Tensor, slots: Set<Int>) -> Tensor {
        var h = Tensor.zeros([2, 3], label: "h")
        for i in 0..<3 {
            let weight = slots.contains(i) ? w : copy
            h = (x[i].matmul(weight) + b + h).tanh()
        }
        return (h * Tensor([[0.3, -0.7, 1.1], [0.5, 0.2, -0.4]], label: "wts")).sum()
    }

    func testTensorUsedThreeTimesGetsTheSumOfThreeContributions() {
        let rng = SeededGenerator(seed: 3)
        let x = (1...3).map { Tensor.uniform([2, 4], low: -1, high: 1, using: rng, label: "e(c\($0))") }
        let values = Tensor.uniform([4, 3], low: -1, high: 1, using: rng).data
        let b = Tensor([0.1, -0.2, 0.05], label: "b")
        func weight() -> Tensor { Tensor(shape: [4, 3], data: values, label: "l_in.weight").requiringGrad() }
        let copy = Tensor(shape: [4, 3], data: values, label: "l_in.weight (copy)")

        // Each use on its own.
        let single: [[Float]] = (0..<3).map { i in
            let w = weight()
            char3Loss(x, w, copy, b: b, slots: [i]).backward()
            return w.grad!
        }
        // All three uses at once, traced.
        let w = weight()
        let sink = MemorySink()
        Tracer.recording(level: .full, to: sink) { char3Loss(x, w, copy, b: b, slots: [0, 1, 2]).backward() }
        let total = w.grad!

        for i in 0..<total.count {
            let expected = single[0][i] + single[1][i] + single[2][i]
            XCTAssertEqual(total[i], expected, accuracy: 1e-6, "W.grad[\(i)] is not the sum of its three uses")
            // Not trivially true: each use contributes something different.
            XCTAssertNotEqual(single[0][i], single[2][i])
        }

        // The trace shows the three contributions: three backward events write into W.
        let intoW = sink.events.filter { $0.phase == .backward && $0.outputs.contains { $0.id == w.id } }
        XCTAssertEqual(intoW.count, 3)
        XCTAssertEqual(intoW.map(\.op), ["matmul", "matmul", "matmul"])
        let traced = intoW.map { $0.outputs.first { $0.id == w.id }!.values! }
        // Backward runs in reverse: the last use first.
        for (k, use) in [2, 1, 0].enumerated() {
            XCTAssertEqual(traced[k], single[use], "backward event \(k) should carry use \(use)'s contribution")
        }
        for i in 0..<total.count {
            XCTAssertEqual(Double(total[i]), traced.reduce(0.0) { $0 + Double($1[i]) }, accuracy: 1e-6)
        }
    }

    func testNoGradBuildsNoNodes() {
        let w = Tensor([[1, 2], [3, 4]], label: "w").requiringGrad()
        let x = Tensor([[1, 0], [0, 1]], label: "x")
        let y = GradMode.noGrad { (x.matmul(w) + w).tanh() }
        XCTAssertTrue(y.isLeaf)
        XCTAssertFalse(y.requiresGrad)
        XCTAssertTrue(GradMode.enabled, "noGrad must restore the previous mode")
        let z = x.matmul(w)
        XCTAssertFalse(z.isLeaf)
        XCTAssertTrue(z.requiresGrad)
        XCTAssertFalse((x * x).requiresGrad, "no input requires grad, so no node")
        XCTAssertTrue((x * x).isLeaf)
    }

    func testZeroGradForgets() {
        let w = Tensor([1, -2, 3], label: "w").requiringGrad()
        let x = Tensor([2, 5, -1], label: "x")
        (w * x).sum().backward()
        XCTAssertEqual(w.grad, [2, 5, -1])
        w.zeroGrad()
        XCTAssertNil(w.grad)
        (w * x).sum().backward()
        XCTAssertEqual(w.grad, [2, 5, -1], "after zeroGrad the next backward starts from zero")
    }

    /// Two backward calls through the same graph add up in the leaves (PyTorch with
    /// retain_graph), and must not double-count through intermediates that kept a gradient.
    func testGradientsAccumulateAcrossTwoBackwardCalls() {
        let w = Tensor([[0.5, -1], [2, 0.25]], label: "w").requiringGrad()
        let b = Tensor([0.1, -0.3], label: "b").requiringGrad()
        let x = Tensor([[1, 2], [-1, 0.5]], label: "x")
        let h = x.matmul(w) + b           // an intermediate with its own grad
        let loss = (h * h).sum()          // d loss/dh = 2h
        loss.backward()
        let (w1, b1, h1) = (w.grad!, b.grad!, h.grad!)
        // By hand: h = x·w + b = [[1·0.5+2·2+0.1, 1·(−1)+2·0.25−0.3], [−0.5+1+0.1, 1+0.125−0.3]]
        //            = [[4.6, −0.8], [0.6, 0.825]]; dL/dh = 2h; dL/db = column sums of 2h.
        XCTAssertEqual(h1[0], 9.2, accuracy: 1e-5)
        XCTAssertEqual(b1[0], 2 * (4.6 + 0.6), accuracy: 1e-5)
        XCTAssertEqual(b1[1], 2 * (-0.8 + 0.825), accuracy: 1e-5)
        loss.backward()
        for i in 0..<4 { XCTAssertEqual(w.grad![i], 2 * w1[i], accuracy: 1e-5, "w.grad[\(i)] after two backward calls") }
        for i in 0..<2 { XCTAssertEqual(b.grad![i], 2 * b1[i], accuracy: 1e-5, "b.grad[\(i)] after two backward calls") }
        // An intermediate's grad is the gradient of the last backward root, not a running sum.
        XCTAssertEqual(h.grad!, h1)
    }

    func testBackwardWithSeedOnANonScalar() {
        let x = Tensor([1, 2, 3], label: "x").requiringGrad()
        (x * x).backward(seed: [1, 0, -1])
        XCTAssertEqual(x.grad, [2, 0, -6])  // 2x · seed
    }
}
