import Foundation
import TensorCore

/// Compare a model, step by step, with a PyTorch fixture written by tools/golden/make_golden.py:
/// the fixture's weights are loaded, the fixture's batch goes forward, the loss goes backward,
/// and every labelled intermediate, every gradient and the parameters after three Adam steps
/// are compared with PyTorch's numbers.
public enum GoldenCheck {
    public enum Phase: String, Sendable {
        case forward, backward
        /// The change Adam's three steps made to a parameter.
        case update
    }

    public struct Row {
        public let label: String
        public let phase: Phase
        /// Our values and PyTorch's, kept so the comparison can be re-run against a perturbed
        /// reference (the mutation check); nil where Unrolled produced nothing.
        public let actual: [Float]?
        public let expected: Tensor
        public let tolerance: Tolerance
        /// Per-element widening of the bound (update rows only).
        public let slack: [Float]?
        /// Set for a row that is not a value comparison (l_out.bias under legacy softmax), with
        /// whether the claim it states held.
        public let note: String?
        public let noteHeld: Bool
        public let comparison: Comparison?

        public var passed: Bool { comparison?.passed ?? (note != nil && noteHeld) }
        /// One line: the rule, the figures it was held to, and the first failure if any.
        public var verdict: String {
            if let note { return note }
            guard let comparison else { return "MISSING in Unrolled" }
            return comparison.describe(shape: expected.shape)
        }
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

    /// The rule for Adam's update: the change three steps made, Δ = after − before, held to
    /// the gradient rule, plus a slack for elements whose gradient is near rounding noise.
    public static let updateTolerance = GoldenTolerance.gradient

    /// NOTE: Adam divides each step by √v, so its step is ~g/|g|·lr whatever |g| is: where a
    /// gradient is known only to within noise, its step is of unknown size. PyTorch against
    /// itself (make_golden.py's two decompositions of one model) differs there by up to 0.03·lr
    /// after three steps. Element i's slack is therefore
    ///     steps · lr · min(1, κ / r_i),   r_i = min over the steps of |g_i| / max|g|
    /// (the fixture's `adam.min_rel_grad.*`, from PyTorch's gradients at each step): a full
    /// step per step where g_i is noise, nothing where it is large. κ = 5 × the gradient rule's
    /// atolOfMax: the noise of steps 2 and 3 also carries step 1's differences.
    public static func updateSlack(minRelativeGradient r: [Float], lr: Float, steps: Int = 3) -> [Float] {
        let kappa = 5 * GoldenTolerance.gradient.atolOfMax
        return r.map { Float(steps) * lr * min(1, $0 > 0 ? kappa / $0 : 1) }
    }

    /// With log_softmax over time (legacy CharSeqRnn), adding a constant to every time step's
    /// logits changes nothing, so l_out.bias's exact gradient is zero: both frameworks compute
    /// rounding noise, and Adam steps it by ±lr. The row checks that claim on both sides
    /// (max |grad| < 1e-6·max|grad l_out.weight|) instead of comparing noise with noise.
    static func exactZeroGradient(_ name: String, ours: [Float]?, fixture: [String: Tensor], phase: Phase, expected: Tensor) -> Row {
        let theirs = fixture["grad.param." + name]?.data.map(abs).max() ?? .infinity
        let mine = ours?.map(abs).max() ?? .infinity
        let scale = fixture["grad.param.l_out.weight"]?.data.map(abs).max() ?? 0
        let held = theirs < 1e-6 * scale && mine < 1e-6 * scale
        let text = "exact gradient is 0: max |grad| PyTorch \(Comparison.sci(Double(theirs))), Unrolled \(Comparison.sci(Double(mine))), "
            + (held ? "both <" : "NOT both <") + " 1e-6·max|grad l_out.weight| = \(Comparison.sci(1e-6 * Double(scale)))"
            + (phase == .update ? "; Adam's steps on that noise are not compared" : "")
        return Row(label: name, phase: phase, actual: ours, expected: expected, tolerance: GoldenTolerance.gradient, slack: nil,
                   note: text, noteHeld: held, comparison: nil)
    }

    /// One value comparison as a row (nil `actual`: Unrolled produced nothing).
    public static func row(_ label: String, _ phase: Phase, _ actual: [Float]?, _ expected: Tensor, _ tol: Tolerance,
                           slack: [Float]? = nil) -> Row {
        Row(label: label, phase: phase, actual: actual, expected: expected, tolerance: tol, slack: slack, note: nil,
            noteHeld: false, comparison: actual.map { Comparison.of($0, expected.data, tolerance: tol, slack: slack) })
    }

    /// The rows of one recorded forward and backward: every fixture intermediate (`fwd.`, `grad.`)
    /// in the order Unrolled computed it, the loss, the gradients in the order backward visits
    /// them, then each parameter's gradient. `exactZero` names a parameter whose exact gradient
    /// is zero (legacy CharSeqRnn's l_out.bias), checked as such instead of compared.
    public static func stepRows(fixture: [String: Tensor], taps: Taps, loss: Tensor,
                                parameters: [(name: String, tensor: Tensor)], exactZero: String? = nil) -> [Row] {
        var rows: [Row] = []
        let labels = fixture.keys.filter { $0.hasPrefix("fwd.") }.map { String($0.dropFirst(4)) }
        let ordered = labels.sorted { (taps.order.firstIndex(of: $0) ?? .max, $0) < (taps.order.firstIndex(of: $1) ?? .max, $1) }
        for label in ordered { rows.append(row(label, .forward, taps[label]?.data, fixture["fwd." + label]!, GoldenTolerance.forward)) }
        if let l = fixture["loss"] { rows.append(row("loss", .forward, [loss.item], l, GoldenTolerance.forward)) }
        for label in ordered.reversed() {
            if let g = fixture["grad." + label] { rows.append(row(label, .backward, taps[label]?.grad, g, GoldenTolerance.gradient)) }
        }
        for (name, p) in parameters {
            guard let g = fixture["grad.param." + name] else { continue }
            rows.append(name == exactZero ? exactZeroGradient(name, ours: p.grad, fixture: fixture, phase: .backward, expected: g)
                                          : row(name, .backward, p.grad, g, GoldenTolerance.gradient))
        }
        return rows
    }

    /// Adam's change to each parameter over the fixture's steps (`adam3.` − `param.`), run by
    /// `train` from the weights as they are now, held to `updateTolerance` plus `updateSlack`.
    public static func updateRows(fixture: [String: Tensor], parameters: [(name: String, tensor: Tensor)], lr: Float,
                                  exactZero: String? = nil, train: () throws -> Void) rethrows -> [Row] {
        let before = Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0.tensor.data) })
        try train()
        var rows: [Row] = []
        for (name, p) in parameters {
            guard let after = fixture["adam3." + name], let start = fixture["param." + name], let mine = before[name] else { continue }
            let expectedDelta = Tensor(shape: after.shape, data: zip(after.data, start.data).map { $0 - $1 })
            if name == exactZero {
                rows.append(exactZeroGradient(name, ours: p.grad, fixture: fixture, phase: .update, expected: expectedDelta))
                continue
            }
            let slack = updateSlack(minRelativeGradient: fixture["adam.min_rel_grad." + name]?.data ?? [], lr: lr)
            rows.append(row(name, .update, zip(p.data, mine).map { $0 - $1 }, expectedDelta, updateTolerance,
                            slack: slack.count == expectedDelta.count ? slack : nil))
        }
        return rows
    }

    /// Run the comparison. `lr` is the Adam learning rate the fixture used for its three steps.
    public static func run(model: CharModel, fixture: [String: Tensor], lr: Float, source: String) throws -> [Row] {
        try Weights.assign(fixture, to: model, source: source, prefix: "param.")
        guard let x = fixture["input.x"], let y = fixture["input.y"] else {
            throw InputError("golden fixture \(source): missing input.x / input.y")
        }
        try model.checkBatch(x: x, y: y, source: "golden fixture \(source)")
        guard lr.isFinite, lr > 0 else { throw InputError("golden fixture \(source): lr \(lr), expected a number > 0") }
        model.zeroGrad()
        let (loss, taps) = Taps.collect { model.loss(model.forward(x.detached()), y.detached()) }
        loss.backward()
        let exactZero = (model as? CharSeqRnn)?.softmax == .legacy ? "l_out.bias" : nil
        var rows = stepRows(fixture: fixture, taps: taps, loss: loss, parameters: model.parameters, exactZero: exactZero)
        // Three Adam steps on the same batch, as the fixture did.
        rows += updateRows(fixture: fixture, parameters: model.parameters, lr: lr, exactZero: exactZero) {
            let opt = Adam(model.parameters, lr: lr)
            opt.step()
            for _ in 0..<2 {
                opt.zeroGrad()
                model.loss(model.forward(x.detached()), y.detached()).backward()
                opt.step()
            }
        }
        return rows
    }
}
