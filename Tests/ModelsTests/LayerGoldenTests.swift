import Foundation
import XCTest
@testable import Models
import Formats
import TensorCore

/// BatchNorm1d, composed from primitives, against nn.BatchNorm1d (Fixtures/layers.safetensors,
/// tools/golden/make_layer_golden.py): two training steps (outputs, gradients, running
/// statistics), then evaluation with the running statistics. Every comparison must also fail
/// against a perturbed reference.
final class LayerGoldenTests: XCTestCase {
    func testBatchNorm1dMatchesPyTorchInTrainingAndEvaluation() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/layers", withExtension: "safetensors"))
        let t = try SafeTensors.read(url)
        func f(_ key: String) throws -> Tensor { try XCTUnwrap(t[key], "layers.safetensors has no \(key)") }
        let bn = BatchNorm1d(name: "bn", features: 10)
        bn.weight.assign(try f("bn.weight").data)
        bn.bias.assign(try f("bn.bias").data)
        var compared = 0
        func check(_ what: String, _ actual: [Float]?, _ key: String, _ tol: Tolerance) throws {
            let expected = try f(key)
            let mine = try XCTUnwrap(actual, "\(what): nothing computed")
            let c = Comparison.of(mine, expected.data, tolerance: tol)
            XCTAssertTrue(c.passed, "\(what): \(c.describe(shape: expected.shape))")
            for p in Perturbation.allCases {
                XCTAssertFalse(Comparison.of(mine, p.apply(expected.data), tolerance: tol).passed, "\(what) cannot catch \(p.rawValue)")
            }
            compared += 1
        }
        for step in 1...2 {
            let xRef = try f("bn.step\(step).x")
            let x = Tensor(shape: xRef.shape, data: xRef.data, label: "x", requiresGrad: true)
            bn.zeroGrad()
            let y = bn(x)
            y.backward(seed: try f("bn.step\(step).grad_out").data)
            try check("step \(step) y", y.data, "bn.step\(step).y", GoldenTolerance.forward)
            try check("step \(step) grad x", x.grad, "bn.step\(step).grad_x", GoldenTolerance.gradient)
            try check("step \(step) grad weight", bn.weight.grad, "bn.step\(step).grad_weight", GoldenTolerance.gradient)
            try check("step \(step) grad bias", bn.bias.grad, "bn.step\(step).grad_bias", GoldenTolerance.gradient)
            try check("step \(step) running_mean", bn.runningMean.data, "bn.step\(step).running_mean", GoldenTolerance.forward)
            try check("step \(step) running_var", bn.runningVar.data, "bn.step\(step).running_var", GoldenTolerance.forward)
        }
        bn.training = false
        let xe = try f("bn.eval.x")
        try check("eval y", GradMode.noGrad { bn(Tensor(shape: xe.shape, data: xe.data, label: "x")) }.data, "bn.eval.y", GoldenTolerance.forward)
        XCTAssertEqual(compared, 13)
        XCTAssertEqual(bn.stateDict.map(\.name), ["bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"])
    }

    func testDropoutLayerKeepsAboutOneMinusPAndIsTheIdentityInEvaluation() {
        let layer = Dropout(p: 0.5, rng: SeededGenerator(seed: 3))
        let x = Tensor(shape: [100, 50], data: [Float](repeating: 1, count: 5000), label: "x")
        let y = layer(x)
        let kept = layer.lastMask!.data.filter { $0 == 1 }.count
        XCTAssertEqual(Double(kept) / 5000, 0.5, accuracy: 0.03)
        XCTAssertEqual(Set(y.data), [0, 2], "kept units are scaled by 1/(1−p)")
        layer.training = false
        XCTAssertTrue(layer(x) === x)
    }

    func testInitsHaveTheirStatedRanges() {
        let rng = SeededGenerator(seed: 9)
        let e = Tensor(shape: [1000, 9], data: [Float](repeating: 0, count: 9000))
        Init.embInit(e, rng: rng)
        XCTAssertEqual(Double(e.data.map(abs).max()!), 0.2, accuracy: 0.001)  // 2/(9+1)
        let w = Tensor(shape: [500, 200], data: [Float](repeating: 0, count: 100_000))
        Init.kaimingNormal(w, rng: rng)
        let std = (w.data.map { Double($0 * $0) }.reduce(0, +) / 100_000).squareRoot()
        XCTAssertEqual(std, 0.1, accuracy: 0.002)  // √(2/200)
    }
}
