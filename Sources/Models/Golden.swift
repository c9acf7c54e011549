import Foundation
import TensorCore

/// Compare a model, step by step, with a PyTorch fixture written by tools/golden/make_golden.py:
/// the fixture's weights are loaded, the fixture's batch goes forward, the loss goes backward,
/// and every labelled intermediate, every gradient and the parameters after three Adam steps
/// are compared with PyTorch's numbers.
public enum GoldenCheck {
    public struct Row: Sendable {
        public let label: String
        /// forward, backward (gradient of an intermediate or a parameter) or update (after Adam).
        public let phase: String
        public let comparison: String
        public let passed: Bool
        public let maxAbsDiff: Double
        public let maxRelDiff: Double
    }

    /// The fixture name for a model: char3, char_loop, …, char_seq_rnn(_legacy).
    public static func fixtureName(for model: CharModel) -> String {
        switch model {
        case is Char3Model: return "char3"
        case is CharLoopModel: return "char_loop"
        case is CharLoopConcatModel: return "char_loop_concat"
        case is CharRnn: return "char_rnn"
        case let m as CharSeqRnn: return m.softmax == .legacy ? "char_seq_rnn_legacy" : "char_seq_rnn"
        default: return model.kind
        }
    }

    /// Run the comparison. `lr` is the Adam learning rate the fixture used for its three steps.
    public static func run(model: CharModel, fixture: [String: Tensor], lr: Float, source: String) throws -> [Row] {
        try Weights.assign(fixture, to: model, source: source, prefix: "param.")
        guard let x = fixture["input.x"], let y = fixture["input.y"] else {
            throw InputError("golden fixture \(source): missing input.x / input.y")
        }
        var rows: [Row] = []
        func compare(_ label: String, _ phase: String, _ actual: [Float]?, _ expected: Tensor, _ tol: Tolerance) {
            guard let actual else {
                rows.append(Row(label: label, phase: phase, comparison: "MISSING in Unrolled", passed: false,
                                maxAbsDiff: .infinity, maxRelDiff: .infinity))
                return
            }
            let c = Comparison.of(actual, expected.data, tolerance: tol)
            rows.append(Row(label: label, phase: phase, comparison: c.describe(shape: expected.shape), passed: c.passed,
                            maxAbsDiff: c.maxAbsDiff, maxRelDiff: c.maxRelDiff))
        }
        model.zeroGrad()
        let (loss, taps) = Taps.collect { model.loss(model.forward(x.detached()), y.detached()) }
        loss.backward()
        // Forward intermediates in the fixture's (PyTorch's) order, then their gradients in reverse.
        let labels = fixture.keys.filter { $0.hasPrefix("fwd.") }.map { String($0.dropFirst(4)) }
        let ordered = labels.sorted { (taps.order.firstIndex(of: $0) ?? .max) < (taps.order.firstIndex(of: $1) ?? .max) }
        for label in ordered { compare(label, "forward", taps[label]?.data, fixture["fwd." + label]!, GoldenTolerance.forward) }
        if let l = fixture["loss"] { compare("loss", "forward", [loss.item], l, GoldenTolerance.forward) }
        for label in ordered.reversed() {
            if let g = fixture["grad." + label] { compare(label, "backward", taps[label]?.grad, g, GoldenTolerance.gradient) }
        }
        for (name, p) in model.parameters {
            if let g = fixture["grad.param." + name] { compare(name, "backward", p.grad, g, GoldenTolerance.gradient) }
        }
        // Three Adam steps on the same batch, as the fixture did.
        let opt = Adam(model.parameters, lr: lr)
        opt.step()
        for _ in 0..<2 {
            opt.zeroGrad()
            model.loss(model.forward(x.detached()), y.detached()).backward()
            opt.step()
        }
        // NOTE: Adam divides each step by √v, so an element whose gradient sits at rounding-noise
        // level turns a 1e-7 relative gradient difference into a visible step difference. Hence
        // the update phase allows atol = 0.1·lr (a tenth of one step); everything else
        // must match as tightly as forward values.
        let adamTolerance = Tolerance(rtol: GoldenTolerance.forward.rtol, atol: 0.1 * lr)
        for (name, p) in model.parameters {
            guard let after = fixture["adam3." + name] else { continue }
            if let seq = model as? CharSeqRnn, seq.softmax == .legacy, name == "l_out.bias" {
                // With log_softmax over time, adding a constant to every time step's logits
                // changes nothing, so l_out.bias's exact gradient is zero: both frameworks step
                // it by pure rounding noise. Check that claim instead of comparing the noise.
                let g = fixture["grad.param." + name]!.data.map(abs).max() ?? 0
                rows.append(Row(label: name, phase: "update", comparison: "exact gradient is 0 (PyTorch's max |grad| \(g)); noise not compared",
                                passed: g < 1e-6, maxAbsDiff: 0, maxRelDiff: 0))
                continue
            }
            compare(name, "update", p.data, after, adamTolerance)
        }
        return rows
    }
}
