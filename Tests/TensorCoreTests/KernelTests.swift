// Kernels and forward values against small examples worked out by hand (the expected numbers
// are written in the test, never produced by the code under test), and the seed's printing.

import Foundation
import XCTest
@testable import TensorCore

final class BroadcastTests: XCTestCase {
    func testBroadcastShapes() {
        XCTAssertEqual(Shapes.broadcast([3, 1], [4]), [3, 4])
        XCTAssertEqual(Shapes.broadcast([2, 1, 4], [3, 1]), [2, 3, 4])
        XCTAssertEqual(Shapes.broadcast([], [2, 3]), [2, 3])
        XCTAssertEqual(Shapes.broadcast([5, 4], [4]), [5, 4])
        XCTAssertNil(Shapes.broadcast([2, 3], [3, 2]))
        XCTAssertNil(Shapes.broadcast([3], [4]))
        // Results that are one of the inputs (returned without a new array) and ones that are not.
        XCTAssertEqual(Shapes.broadcast([1], [10_000]), [10_000])
        XCTAssertEqual(Shapes.broadcast([512, 256], [256]), [512, 256])
        XCTAssertEqual(Shapes.broadcast([1], []), [1])
        XCTAssertEqual(Shapes.broadcast([2, 1], [1, 3]), [2, 3])
        XCTAssertEqual(Shapes.broadcast([1, 4, 1], [3, 1, 5]), [3, 4, 5])
        XCTAssertNil(Shapes.broadcast([2, 3], [1, 4]))
        // Strides of [3,1] laid against [2,3,4]: missing dim 0, size-1 dim broadcast → 0.
        XCTAssertEqual(Shapes.broadcastStrides([3, 1], to: [2, 3, 4]), [0, 1, 0])
        XCTAssertEqual(Shapes.broadcastStrides([2, 3, 4], to: [2, 3, 4]), [12, 4, 1])
    }

    func testBiasRowAndColumn() {
        let m = Tensor([[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual((m + Tensor([10, 20, 30])).data, [11, 22, 33, 14, 25, 36])
        XCTAssertEqual((m - Tensor(shape: [2, 1], data: [1, 2])).data, [0, 1, 2, 2, 3, 4])
        XCTAssertEqual((m * 2).data, [2, 4, 6, 8, 10, 12])
        XCTAssertEqual((m / Tensor([1, 2, 4])).data, [1, 1, 0.75, 4, 2.5, 1.5])
        // The row on the left, as [3] and as [1, 3]: operands must not swap places.
        XCTAssertEqual((Tensor([10, 20, 30]) - m).data, [9, 18, 27, 6, 15, 24])
        XCTAssertEqual((Tensor([[8, 10, 12]]) / m).data, [8, 5, 4, 2, 2, 2])
    }

    func testOuterProductByBroadcasting() {
        // [2,1] * [3] → [2,3]: a column times a row.
        let c = Tensor(shape: [2, 1], data: [2, -1])
        let r = Tensor([1, 3, 5])
        let p = c * r
        XCTAssertEqual(p.shape, [2, 3])
        XCTAssertEqual(p.data, [2, 6, 10, -1, -3, -5])
        // The reverse operand order, with a non-commutative op: [3] − [2,1].
        XCTAssertEqual((r - c).data, [-1, 1, 3, 2, 4, 6])
    }

    func testThreeDimensionalBroadcast() {
        // [2,1,2] + [3,1] → [2,3,2]: out[a,b,c] = x[a,0,c] + y[b,0].
        let x = Tensor(shape: [2, 1, 2], data: [0, 1, 10, 11])
        let y = Tensor(shape: [3, 1], data: [100, 200, 300])
        let z = x + y
        XCTAssertEqual(z.shape, [2, 3, 2])
        XCTAssertEqual(z.data, [100, 101, 200, 201, 300, 301, 110, 111, 210, 211, 310, 311])
    }

    func testSumToShape() {
        let g: [Float] = [1, 2, 3, 4, 5, 6]  // [2,3]
        XCTAssertEqual(Kernels.sumToShape(g, from: [2, 3], to: [3]), [5, 7, 9])
        XCTAssertEqual(Kernels.sumToShape(g, from: [2, 3], to: [1, 3]), [5, 7, 9])
        XCTAssertEqual(Kernels.sumToShape(g, from: [2, 3], to: [2, 1]), [6, 15])
        XCTAssertEqual(Kernels.sumToShape(g, from: [2, 3], to: []), [21])
        XCTAssertEqual(Kernels.sumToShape(g, from: [2, 3], to: [1, 1]), [21])
        XCTAssertEqual(Kernels.sumToShape(g, from: [2, 3], to: [2, 3]), g)
        // [2,3,2] holding 1...12 down to [3,1]: out[b] = Σ_a Σ_c g[a,b,c]
        // = [1+2+7+8, 3+4+9+10, 5+6+11+12].
        let g3: [Float] = Array(1...12).map(Float.init)
        XCTAssertEqual(Kernels.sumToShape(g3, from: [2, 3, 2], to: [3, 1]), [18, 26, 34])
    }
}

final class KernelTests: XCTestCase {
    func testReductionsAlongAxes() {
        let x = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(x.sum().item, 21)
        XCTAssertEqual(x.sum(axis: 0).data, [5, 7, 9])
        XCTAssertEqual(x.sum(axis: 1).data, [6, 15])
        XCTAssertEqual(x.sum(axis: 1, keepDims: true).shape, [2, 1])
        XCTAssertEqual(x.mean().item, 3.5)
        XCTAssertEqual(x.mean(axis: 0).data, [2.5, 3.5, 4.5])
        XCTAssertEqual(x.mean(axis: -1).data, [2, 5])
    }

    func testMaxAndArgmax() {
        // Ties: the first index wins, like PyTorch.
        let x = Tensor(shape: [2, 4], data: [1, 3, 3, 2,
                                             -5, -1, -7, -1])
        XCTAssertEqual(x.max(axis: 1).data, [3, -1])
        XCTAssertEqual(x.argmax(axis: 1).data, [1, 1])
        XCTAssertEqual(x.max(axis: 0).data, [1, 3, 3, 2])
        XCTAssertEqual(x.argmax(axis: 0).data, [0, 0, 0, 0])
        // Along the middle of a 3-D tensor [2,3,2].
        let y = Tensor(shape: [2, 3, 2], data: [0, 9, 5, 1, 2, 8,
                                                7, 0, 7, 3, 1, 4])
        XCTAssertEqual(y.max(axis: 1).data, [5, 9, 7, 4])
        XCTAssertEqual(y.argmax(axis: 1).data, [1, 0, 0, 2])
        // All negative values: the running maximum must not start at 0.
        XCTAssertEqual(Tensor([-3, -2, -9]).max(axis: 0).item, -2)
        // No gradient flows through max/argmax, even from a parameter.
        let p = Tensor([1, 2]).requiringGrad()
        XCTAssertFalse(p.max(axis: 0).requiresGrad)
        XCTAssertTrue(p.argmax(axis: 0).isLeaf)
    }

    func testLogSoftmaxByHand() {
        // softmax([ln 1, ln 3]) = [1/4, 3/4], so log_softmax = [−ln 4, ln 3 − ln 4].
        let x = Tensor([[0, Float(Foundation.log(3.0))]])
        let y = x.logSoftmax(axis: 1).data
        XCTAssertEqual(y[0], Float(-Foundation.log(4.0)), accuracy: 1e-6)
        XCTAssertEqual(y[1], Float(Foundation.log(0.75)), accuracy: 1e-6)
        // Large inputs must not overflow: log_softmax([1000, 1000]) = [−ln 2, −ln 2].
        let big = Tensor([[1000, 1000]]).logSoftmax(axis: 1).data
        XCTAssertEqual(big[0], Float(-Foundation.log(2.0)), accuracy: 1e-6)
        XCTAssertEqual(big[1], Float(-Foundation.log(2.0)), accuracy: 1e-6)
        // Along axis 0 of [2,1,2]: pairs (x[0,0,c], x[1,0,c]) = (0, ln 3) and (5, 5).
        let z = Tensor(shape: [2, 1, 2], data: [0, 5, Float(Foundation.log(3.0)), 5]).logSoftmax(axis: 0).data
        XCTAssertEqual(z[0], Float(-Foundation.log(4.0)), accuracy: 1e-6)
        XCTAssertEqual(z[2], Float(Foundation.log(0.75)), accuracy: 1e-6)
        XCTAssertEqual(z[1], Float(-Foundation.log(2.0)), accuracy: 1e-6)
        XCTAssertEqual(z[3], Float(-Foundation.log(2.0)), accuracy: 1e-6)
    }

    func testLossesByHand() {
        let logp = Tensor([[-1, -2], [-3, -0.5]])
        XCTAssertEqual(logp.nllLoss(Tensor([1, 0])).item, 2.5)  // (2 + 3) / 2
        let a = Tensor([1, 2, 3]), b = Tensor([1, 0, 6])
        XCTAssertEqual(a.mse(b).item, (0 + 4 + 9) / 3)
    }

    func testUnaryByHand() {
        XCTAssertEqual(Tensor([-2, 0, 3]).relu().data, [0, 0, 3])
        XCTAssertEqual(Tensor([0]).sigmoid().item, 0.5)
        // Both sigmoid branches saturate without overflow.
        let s = Tensor([-100, 100]).sigmoid().data
        XCTAssertEqual(s[0], 0, accuracy: 1e-30)  // e^-100 ≈ 3.7e-44, a Float subnormal
        XCTAssertEqual(s[1], 1)
        XCTAssertEqual(Tensor([0]).tanh().item, 0)
        XCTAssertEqual(Tensor([0, 1]).exp().data[1], Float(M_E), accuracy: 1e-6)
        XCTAssertEqual(Tensor([1]).log().item, 0)
        XCTAssertEqual((-Tensor([1, -2])).data, [-1, 2])
    }

    func testMatMulByHand() {
        // [[1,2,3],[4,5,6]] @ [[1,0],[0,1],[1,1]] = [[4,5],[10,11]].
        let a = Tensor([[1, 2, 3], [4, 5, 6]])
        let b = Tensor([[1, 0], [0, 1], [1, 1]])
        XCTAssertEqual(a.matmul(b).data, [4, 5, 10, 11])
        // Same product with both operands stored transposed.
        let at = Tensor([[1, 4], [2, 5], [3, 6]])
        let bt = Tensor([[1, 0, 1], [0, 1, 1]])
        XCTAssertEqual(at.matmul(b, transposeA: true).data, [4, 5, 10, 11])
        XCTAssertEqual(a.matmul(bt, transposeB: true).data, [4, 5, 10, 11])
        XCTAssertEqual(at.matmul(bt, transposeA: true, transposeB: true).data, [4, 5, 10, 11])
    }

    func testLayoutByHand() {
        let x = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(x.transpose(0, 1).data, [1, 4, 2, 5, 3, 6])
        // [2,2,2] with values 0..7, swap axes 0 and 2: out[c,b,a] = x[a,b,c] = 4a + 2b + c.
        let y = Tensor(shape: [2, 2, 2], data: [0, 1, 2, 3, 4, 5, 6, 7]).transpose(0, 2)
        XCTAssertEqual(y.data, [0, 4, 2, 6, 1, 5, 3, 7])
        XCTAssertEqual(Tensor.concat([x, Tensor([[7, 8, 9]])], axis: 0).data, [1, 2, 3, 4, 5, 6, 7, 8, 9])
        XCTAssertEqual(Tensor.concat([x, Tensor([[0], [-1]])], axis: 1).data, [1, 2, 3, 0, 4, 5, 6, -1])
        XCTAssertEqual(Tensor.stack([Tensor([1, 2]), Tensor([3, 4])], axis: 0).data, [1, 2, 3, 4])
        XCTAssertEqual(Tensor.stack([Tensor([1, 2]), Tensor([3, 4])], axis: 1).data, [1, 3, 2, 4])
        XCTAssertEqual(x.select(axis: 1, index: 2).data, [3, 6])
        XCTAssertEqual(x.select(axis: 0, index: -1).data, [4, 5, 6])
        XCTAssertEqual(x.slice(axis: 1, 1..<3).data, [2, 3, 5, 6])
        XCTAssertEqual(x.reshape([3, -1]).shape, [3, 2])
    }

    func testEmbeddingGatherAndScatterByHand() {
        let table = Tensor([[1, 2], [3, 4], [5, 6]])
        let e = Tensor.embedding(table, Tensor([2, 0, 2]))
        XCTAssertEqual(e.shape, [3, 2])
        XCTAssertEqual(e.data, [5, 6, 1, 2, 5, 6])
        // Row 2 was looked up twice: it gets both gradient rows added.
        XCTAssertEqual(Kernels.scatterAddRows([1, 1, 10, 10, 100, 100], width: 2, indices: [2, 0, 2], rows: 3),
                       [10, 10, 0, 0, 101, 101])
    }
}

final class DescriptionTests: XCTestCase {
    func testSmallValuesGetAScaleLine() {
        // max |x| = 0.02 → the seed's "1.00000e-02 *" and values divided by 0.01.
        let t = Tensor([[0.01, -0.02], [0.005, 0]])
        XCTAssertEqual(t.description, """
            1.00000e-02 *
             1.0000 -2.0000
             0.5000  0.0000
            [Tensor of size 2x2]
            """)
    }

    func testLargeValuesGetAScaleLine() {
        XCTAssertEqual(Tensor([1234.5, 10]).description, """
            1.00000e+03 *
             1.2345  0.0100
            [Tensor of size 2]
            """)
    }

    func testOrdinaryValuesAndEllipsis() {
        XCTAssertEqual(Tensor([1.5, -2.25]).description, " 1.5000 -2.2500\n[Tensor of size 2]")
        XCTAssertEqual(Tensor((0..<8).map(Float.init)).description,
                       " 0.0000  1.0000  2.0000 ...  5.0000  6.0000  7.0000\n[Tensor of size 8]")
        XCTAssertEqual(Tensor([.nan, 1, -.infinity]).description, "    nan  1.0000    -inf\n[Tensor of size 3]")
    }

    func testRowsAreElidedPastSix() {
        let t = Tensor(shape: [7, 1], data: (1...7).map(Float.init))
        XCTAssertEqual(t.description, """
             1.0000
             2.0000
             3.0000
            ... ⋱ ...
             5.0000
             6.0000
             7.0000
            [Tensor of size 7x1]
            """)
    }
}
