import Foundation
import XCTest
@testable import Models
import Formats
import TensorCore

/// Every labelled intermediate of the six models, forward and backward, every parameter's
/// gradient and the change three Adam steps made to it, against PyTorch 2.15's numbers in
/// Fixtures/golden (tools/golden/make_golden.py), under GoldenTolerance's per-tensor rules.
/// Every compared tensor must also FAIL once its reference is perturbed (the mutation check):
/// a comparison that cannot fail proves nothing.
final class GoldenModelTests: XCTestCase {
    func fixture(_ name: String) throws -> (tensors: [String: Tensor], lr: Float, source: String) {
        guard let url = Bundle.module.url(forResource: "Fixtures/golden/\(name)", withExtension: "safetensors") else {
            XCTFail("fixture \(name).safetensors missing"); throw XCTSkip("missing")
        }
        let file = try SafeTensors.readFile(url)
        let info = try JSONSerialization.jsonObject(with: Data(file.metadata["golden"]!.utf8)) as! [String: Any]
        return (file.tensors, Float(info["lr"] as! Double), url.lastPathComponent)
    }

    /// One helper for every model: fails on the first diverging label, naming it, its phase,
    /// the index and both values; then checks that every comparison catches both perturbations.
    func check(_ make: (CharModelConfig) -> CharModel, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let (tensors, lr, source) = try fixture(name)
        let model = make(CharModelConfig(vocabSize: 85, nFac: 42, nHidden: 256))
        let rows = try GoldenCheck.run(model: model, fixture: tensors, lr: lr, source: source)
        let expectedRows = tensors.keys.filter { $0.hasPrefix("fwd.") || $0.hasPrefix("grad.") || $0.hasPrefix("adam3.") || $0 == "loss" }.count
        XCTAssertEqual(rows.count, expectedRows, "\(name): every fixture tensor is compared", file: file, line: line)
        if let bad = rows.first(where: { !$0.passed }) {
            XCTFail("\(name): first divergence at '\(bad.label)' (\(bad.phase.rawValue)): \(bad.verdict)", file: file, line: line)
        }
        // The figures the tolerances were chosen from (docs/golden.md).
        for phase in [GoldenCheck.Phase.forward, .backward, .update] {
            let worst = rows.filter { $0.phase == phase }.compactMap(\.comparison).max { $0.maxAbsDiffOfScale < $1.maxAbsDiffOfScale }
            let share = rows.filter { $0.phase == phase }.compactMap(\.comparison).map(\.worstOfBound).max() ?? 0
            if let worst { print("golden \(name) \(phase.rawValue): worst max|a−b|/max|ref| \(Comparison.sci(worst.maxAbsDiffOfScale)), worst element at \(Comparison.sci(100 * share))% of its bound") }
        }
        let compared = rows.filter { $0.comparison != nil }
        var caught = 0
        for r in compared {
            let blind = Perturbation.allCases.filter { Comparison.of(r.actual!, $0.apply(r.expected.data), tolerance: r.tolerance, slack: r.slack).passed }
            if blind.isEmpty { caught += 1 } else {
                XCTFail("\(name): '\(r.label)' (\(r.phase.rawValue)) still passes with its reference perturbed (\(blind.map(\.rawValue).joined(separator: ", ")))", file: file, line: line)
            }
        }
        print("mutation \(name): \(caught) of \(compared.count) compared tensors catch both perturbations")
    }

    func testChar3() throws { try check({ Char3Model($0) }, "char3") }
    func testCharLoop() throws { try check({ CharLoopModel($0) }, "char_loop") }
    func testCharLoopConcat() throws { try check({ CharLoopConcatModel($0) }, "char_loop_concat") }
    func testCharRnn() throws { try check({ CharRnn($0) }, "char_rnn") }
    func testCharSeqRnn() throws { try check({ CharSeqRnn($0, softmax: .vocab) }, "char_seq_rnn") }
    func testCharSeqRnnLegacy() throws { try check({ CharSeqRnn($0, softmax: .legacy) }, "char_seq_rnn_legacy") }

    /// The seed's linear SGD with autograd, 50 steps, against PyTorch's losses and parameters.
    func testLinearSGD() throws {
        let (t, _, _) = try fixture("linear_sgd")
        var losses: [Float] = [], a: [Float] = [], b: [Float] = [], ga: [Float] = [], gb: [Float] = []
        var final: (a: Float, b: Float) = (0, 0)
        final = LinearSGD.train(x: t["x"]!.data, y: t["y"]!.data, a0: t["a0"]!.data[0], b0: t["b0"]!.data[0],
                                lr: t["lr"]!.data[0], iterations: t["loss"]!.count) { s in
            losses.append(s.loss); ga.append(s.autogradDA); gb.append(s.autogradDB)
            if s.iteration > 0 { a.append(s.a); b.append(s.b) }
        }
        a.append(final.a); b.append(final.b)
        for (label, mine, key) in [("loss", losses, "loss"), ("a", a, "a"), ("b", b, "b"), ("grad_a", ga, "grad_a"), ("grad_b", gb, "grad_b")] {
            let c = Comparison.of(mine, t[key]!.data, tolerance: GoldenTolerance.forward)
            XCTAssertTrue(c.passed, "linear_sgd \(label): \(c)")
            for p in Perturbation.allCases {
                XCTAssertFalse(Comparison.of(mine, p.apply(t[key]!.data), tolerance: GoldenTolerance.forward).passed,
                               "linear_sgd \(label) cannot catch \(p.rawValue)")
            }
        }
    }
}
