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
        let (loss, taps) = Taps.collect { model.loss(model.forward(users: users, items: items), y) }
        loss.backward()
        var rows = GoldenCheck.stepRows(fixture: fixture, taps: taps, loss: loss, parameters: model.parameters)
        // NOTE: the fixture's relative gradients are of the gradient Adam saw, weight decay
        // included (g + wd·p): a row outside the batch has g = 0 but a wd·p that steps it by
        // ~lr, an exact step the rule then holds it to where wd·p is not itself noise-small.
        rows += GoldenCheck.updateRows(fixture: fixture, parameters: model.parameters, lr: lr) {
            let opt = Adam(model.parameters, lr: lr, weightDecay: weightDecay)
            opt.step()
            for _ in 0..<2 {
                opt.zeroGrad()
                model.loss(model.forward(users: users, items: items), y).backward()
                opt.step()
            }
        }
        return rows
    }
}
