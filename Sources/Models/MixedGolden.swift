import Foundation
import TensorCore

/// Lesson 6's golden comparison (tools/golden/make_mixed_golden.py) for EmbeddingNet and
/// MixedInputModel: PyTorch's weights and dropout masks are loaded, the batch goes forward and
/// backward, three Adam steps follow (each with its own stored masks), and every intermediate,
/// gradient, parameter change, batch norm running statistic and the evaluation-mode prediction
/// are compared under the same rules and in the same rows as `GoldenCheck`.
public enum MixedGolden {
    public enum Model: String, CaseIterable, Sendable {
        case embeddingNet = "embedding_net", mixedInput = "mixed_input"
        public var kind: String { self == .embeddingNet ? "EmbeddingNet" : "MixedInputModel" }
    }
    public static let lr: Float = 1e-2
    public static let weightDecay: Float = 2e-4
    /// make_mixed_golden.py's MixedInputModel: EMB_DROP, DROPS.
    public static let mixedEmbDrop: Float = 0.1
    public static let mixedDrops: [Float] = [0.2, 0.5]

    public static func run(_ which: Model, fixture: [String: Tensor], source: String) throws -> [GoldenCheck.Row] {
        func need(_ key: String) throws -> Tensor {
            guard let t = fixture[key] else { throw InputError("golden fixture \(source): missing \(key)") }
            return t
        }
        let fixtureUsers = try need("input.users"), fixtureItems = try need("input.items"), y = try need("input.y")
        let range = try need("input.score_range")
        let users = Tensor(shape: fixtureUsers.shape, data: fixtureUsers.data, label: "users")
        let items = Tensor(shape: fixtureItems.shape, data: fixtureItems.data, label: "items")
        func masks(step: Int) -> DropoutMasks {
            var m = DropoutMasks()
            for (key, t) in fixture where key.hasPrefix("mask.step\(step).") {
                let name = String(key.dropFirst("mask.step\(step).".count))
                m[name] = Tensor(shape: t.shape, data: t.data, label: "\(name).mask")
            }
            return m
        }
        let module: Module
        let forward: (DropoutMasks?) -> Tensor
        let setTraining: (Bool) -> Void
        switch which {
        case .embeddingNet:
            let u = try need("param.u.weight"), m = try need("param.m.weight"), lin1 = try need("param.lin1.weight")
            let net = EmbeddingNet(nUsers: u.shape[0], nItems: m.shape[0], nFactors: u.shape[1], nHidden: lin1.shape[0],
                                   minScore: range.data[0], maxScore: range.data[1])
            module = net
            forward = { net.forward(users: users, items: items, masks: $0) }
            setTraining = { net.training = $0 }
        case .mixedInput:
            let e0 = try need("param.embs.0.weight"), e1 = try need("param.embs.1.weight"), conts = try need("input.conts")
            var szs: [Int] = []
            while let w = fixture["param.lins.\(szs.count).weight"] { szs.append(w.shape[0]) }
            let model = MixedInputModel(embSzs: [(e0.shape[0], e0.shape[1]), (e1.shape[0], e1.shape[1])], nCont: conts.shape[1],
                                        embDrop: mixedEmbDrop, outSz: 1, szs: szs, drops: mixedDrops,
                                        yRange: (range.data[0], range.data[1]), useBn: true)
            module = model
            let movies = Tensor(shape: items.shape, data: items.data, label: "movies")
            let x2 = Tensor(shape: conts.shape, data: conts.data, label: "conts")
            forward = { model.forward(cats: [users, movies], conts: x2, masks: $0).reshape([users.count]).named("pred.squeeze()") }
            setTraining = { model.training = $0 }
        }
        // The fixture holds parameters; running statistics start as nn.BatchNorm1d's, 0 and 1.
        var weights = fixture
        for (name, t) in module.buffers { weights["param." + name] = Tensor(shape: t.shape, data: t.data) }
        try Weights.assign(weights.filter { $0.key.hasPrefix("param.") }, to: module, source: source, prefix: "param.")

        var rows: [GoldenCheck.Row] = []
        func compare(_ label: String, _ phase: GoldenCheck.Phase, _ actual: [Float]?, _ expected: Tensor, _ tol: Tolerance) {
            rows.append(GoldenCheck.row(label, phase, actual, expected, tol))
        }
        setTraining(true)
        let (loss, taps) = Taps.collect { forward(masks(step: 0)).mse(y).named("loss") }
        loss.backward()
        rows += GoldenCheck.stepRows(fixture: fixture, taps: taps, loss: loss, parameters: module.parameters)
        rows += GoldenCheck.updateRows(fixture: fixture, parameters: module.parameters, lr: lr) {
            let opt = Adam(module.parameters, lr: lr, weightDecay: weightDecay)
            opt.step()
            for step in 1..<3 {
                opt.zeroGrad()
                forward(masks(step: step)).mse(y).backward()
                opt.step()
            }
        }
        // Running statistics after three training forwards: forward values, held to the forward rule.
        for (name, t) in module.buffers {
            if let expected = fixture["buffer3." + name] { compare(name + " (after 3 steps)", .update, t.data, expected, GoldenTolerance.forward) }
        }
        setTraining(false)
        let evalPred = GradMode.noGrad { forward(nil) }
        if let e = fixture["eval.pred"] { compare("eval: pred", .forward, evalPred.data, e, GoldenTolerance.forward) }
        if let e = fixture["eval.loss"] { compare("eval: loss", .forward, [evalPred.mse(y).item], e, GoldenTolerance.forward) }
        // Evaluation again with the continuous columns' running statistics where they settle.
        if let mean = fixture["eval_settled.bn.running_mean"], let variance = fixture["eval_settled.bn.running_var"],
           let bn = (module as? MixedInputModel)?.bn, let e = fixture["eval_settled.pred"] {
            bn.runningMean.assign(mean.data)
            bn.runningVar.assign(variance.data)
            let settled = GradMode.noGrad { forward(nil) }
            compare("eval (settled bn): pred", .forward, settled.data, e, GoldenTolerance.forward)
            if let l = fixture["eval_settled.loss"] { compare("eval (settled bn): loss", .forward, [settled.mse(y).item], l, GoldenTolerance.forward) }
        }
        return rows
    }
}
