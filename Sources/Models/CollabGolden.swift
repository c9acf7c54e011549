import Foundation
import TensorCore

/// The collab lesson's golden comparison (tools/golden/make_collab_golden.py): the fixture's
/// weights are loaded into an EmbeddingDotBias, its batch goes forward and backward, and every
/// intermediate, gradient, and the change three Adam steps with weight decay make are compared
/// with PyTorch's, under the same rules and in the same rows as `GoldenCheck`.
public enum CollabGolden {
    public static let lr: Float = 1e-2
    public static let weightDecay: Float = 2e-4

    public static func run(fixture: [String: Tensor], source: String) throws -> [GoldenCheck.Row] {
        guard let fixtureUsers = fixture["input.users"], let fixtureItems = fixture["input.items"], let y = fixture["input.y"],
              let range = fixture["input.score_range"], range.count == 2,
              let u = fixture["param.u.weight"], let i = fixture["param.i.weight"] else {
            throw InputError("golden fixture \(source): missing input.users / input.items / input.y / input.score_range / param.u.weight / param.i.weight")
        }
        let model = EmbeddingDotBias(nFactors: u.shape[1], nUsers: u.shape[0], nItems: i.shape[0],
                                     minScore: range.data[0], maxScore: range.data[1])
        try Weights.assign(fixture, to: model, source: source, prefix: "param.")
        // Named as the data loader names them, so the lookups are labelled u(users), i(items).
        let users = Tensor(shape: fixtureUsers.shape, data: fixtureUsers.data, label: "users")
        let items = Tensor(shape: fixtureItems.shape, data: fixtureItems.data, label: "items")
        var rows: [GoldenCheck.Row] = []
        func compare(_ label: String, _ phase: GoldenCheck.Phase, _ actual: [Float]?, _ expected: Tensor, _ tol: Tolerance, slack: [Float]? = nil) {
            rows.append(GoldenCheck.Row(label: label, phase: phase, actual: actual, expected: expected, tolerance: tol, slack: slack, note: nil,
                                        noteHeld: false, comparison: actual.map { Comparison.of($0, expected.data, tolerance: tol, slack: slack) }))
        }
        let (loss, taps) = Taps.collect { model.loss(model.forward(users: users, items: items), y) }
        loss.backward()
        let labels = fixture.keys.filter { $0.hasPrefix("fwd.") }.map { String($0.dropFirst(4)) }
        let ordered = labels.sorted { (taps.order.firstIndex(of: $0) ?? .max, $0) < (taps.order.firstIndex(of: $1) ?? .max, $1) }
        for label in ordered { compare(label, .forward, taps[label]?.data, fixture["fwd." + label]!, GoldenTolerance.forward) }
        if let l = fixture["loss"] { compare("loss", .forward, [loss.item], l, GoldenTolerance.forward) }
        for label in ordered.reversed() {
            if let g = fixture["grad." + label] { compare(label, .backward, taps[label]?.grad, g, GoldenTolerance.gradient) }
        }
        for (name, p) in model.parameters {
            if let g = fixture["grad.param." + name] { compare(name, .backward, p.grad, g, GoldenTolerance.gradient) }
        }
        let before = Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.0, $0.1.data) })
        let opt = Adam(model.parameters, lr: lr, weightDecay: weightDecay)
        opt.step()
        for _ in 0..<2 {
            opt.zeroGrad()
            model.loss(model.forward(users: users, items: items), y).backward()
            opt.step()
        }
        for (name, p) in model.parameters {
            guard let after = fixture["adam3." + name], let start = fixture["param." + name], let mine = before[name] else { continue }
            let expectedDelta = Tensor(shape: after.shape, data: zip(after.data, start.data).map { $0 - $1 })
            // NOTE: the fixture's relative gradients are of the gradient Adam saw, weight decay
            // included (g + wd·p): a row outside the batch has g = 0 but a wd·p that steps it by
            // ~lr, an exact step the rule then holds it to where wd·p is not itself noise-small.
            let slack = GoldenCheck.updateSlack(minRelativeGradient: fixture["adam.min_rel_grad." + name]?.data ?? [], lr: lr)
            compare(name, .update, zip(p.data, mine).map { $0 - $1 }, expectedDelta, GoldenCheck.updateTolerance,
                    slack: slack.count == expectedDelta.count ? slack : nil)
        }
        return rows
    }
}
