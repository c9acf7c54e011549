import Foundation
import Models
import TensorCore

/// One batch through a ratings model twice: in evaluation mode (no dropout, batch norm with its
/// running statistics) and in training mode (dropout masks drawn, batch norm with the batch's
/// statistics), with the numbers that explain why the two losses differ.
public struct TrainVsEval {
    public let lesson: Lesson
    public let seed: UInt64

    public init(lesson: Lesson, seed: UInt64 = 42) { self.lesson = lesson; self.seed = seed }

    /// `trainBatches` Adam steps at the lesson's first SGDR cycle come first, so the running
    /// statistics have moved from nn.BatchNorm1d's 0 and 1.
    public func run(_ movies: MovieLens, trainBatches: Int, batchSize: Int?, say: (String) -> Void) throws {
        guard lesson.model.isRatings else { throw InputError("train-vs-eval: \(lesson.id) is not a ratings lesson (embedding-net, mixed-input, collab)") }
        let rng = SeededGenerator(seed: seed)
        let cf = CollabFilterDataset(movies)
        let split = cf.cvSplit()
        let size = min(batchSize ?? lesson.batchSize, split.train.count)
        guard size > 1 else { throw InputError("train-vs-eval: \(movies.directory) gives \(split.train.count) training rows; batch norm needs at least 2") }
        let model = CollabRunner.makeModel(lesson, data: cf, titles: movies.titles, rng: rng)
        let trainer = CollabTrainer(model: model, data: cf, split: split, batchSize: lesson.batchSize, rng: rng)
        let phase = lesson.schedule[0]
        let opt = Adam(model.parameters, lr: phase.lr, weightDecay: phase.weightDecay)
        var lrs = CosineAnnealing(batchesPerEpoch: trainer.batchesPerEpoch, cycleLen: phase.sgdr?.cycleLen ?? 1, cycleMult: phase.sgdr?.cycleMult ?? 1)
        var order = rng.permutation(split.train.count)
        for b in 0..<trainBatches {
            if (b + 1) * lesson.batchSize > order.count { order = rng.permutation(split.train.count) }
            let start = (b * lesson.batchSize) % max(1, order.count - lesson.batchSize + 1)
            opt.lr = lrs.next(base: phase.lr)
            _ = try trainer.checkedStep(rows: order[start..<(start + lesson.batchSize)].map { split.train[$0] }[...], optimizer: opt, position: "batch \(b + 1)")
        }
        let rows = rng.permutation(split.train.count)[0..<size].map { split.train[$0] }
        let (users, items, y) = cf.batch(rows[...])
        say("\(lesson.title)")
        say("model: \(CollabRunner.describe(model))")
        say("one batch of \(size) training ratings, after \(trainBatches) training batches (seed \(seed))")

        // Evaluation first: a training forward moves the running statistics.
        let norms = batchNorms(model)
        let runningBefore = norms.map { ($0.runningMean.data, $0.runningVar.data) }
        model.training = false
        let evalPred = GradMode.noGrad { model.forward(users: users, items: items) }
        let evalLoss = evalPred.mse(y).item
        model.training = true
        let trainPred = GradMode.noGrad { model.forward(users: users, items: items) }
        let trainLoss = trainPred.mse(y).item
        let hasBN = !norms.isEmpty
        say(String(format: "  training mode   (dropout masks drawn%@)  loss %.4f", hasBN ? ", batch norm: this batch's μ and σ²" : "", trainLoss))
        say(String(format: "  evaluation mode (no dropout%@)  loss %.4f", hasBN ? ", batch norm: running statistics   " : "         ", evalLoss))
        let diffs = zip(trainPred.data, evalPred.data).map { abs($0 - $1) }
        say(String(format: "  predictions differ by %.4f on average (largest %.4f) over the %d rows", diffs.reduce(0, +) / Float(diffs.count), diffs.max() ?? 0, diffs.count))
        say("why:")
        for d in dropouts(model) {
            guard let mask = d.lastMask else { continue }
            let zeroed = mask.data.filter { $0 == 0 }.count
            say(String(format: "  %@: p = %g, %d of %d units zeroed (%.1f%%), the others × 1/(1−p) = %.4f; in evaluation none are",
                       d.name ?? "dropout", d.p, zeroed, mask.count, 100 * Double(zeroed) / Double(mask.count), 1 / (1 - d.p)))
        }
        for (bn, running) in zip(norms, runningBefore) {
            // The batch statistics the training forward used, from its own traced input.
            let shown = min(4, bn.runningMean.count)
            func fmt(_ v: [Float]) -> String { v.prefix(shown).map { String(format: "%.4g", $0) }.joined(separator: ", ") + (v.count > shown ? ", …" : "") }
            if let input = bnInput(bn, model: model, users: users, items: items) {
                let x = Tensor(shape: input.shape, data: input.data)
                let mu = x.mean(axis: 0), centred = x - mu
                let variance = (centred * centred).mean(axis: 0)
                say("  \(bn.name): batch μ [\(fmt(mu.data))], σ² [\(fmt(variance.data))]")
                say("  \(String(repeating: " ", count: bn.name.count))  running_mean [\(fmt(running.0))], running_var [\(fmt(running.1))]")
            } else {
                say("  \(bn.name): running_mean [\(fmt(running.0))], running_var [\(fmt(running.1))] (the batch's statistics replace them in training)")
            }
        }
        if norms.isEmpty {
            say("  no batch norm: the difference is dropout's alone (a thinned network in training, the whole one in evaluation)")
        }
    }

    func dropouts(_ model: any RatingModel) -> [Dropout] {
        switch model {
        case let m as EmbeddingNet: return [m.drop1, m.drop2]
        case let r as MixedRatings: return [r.model.embDrop] + r.model.drops
        default: return []
        }
    }

    func batchNorms(_ model: any RatingModel) -> [BatchNorm1d] {
        (model as? MixedRatings).map { [$0.model.bn] + $0.model.bns } ?? []
    }

    /// The continuous columns are what the first batch norm sees; the hidden ones see activations.
    func bnInput(_ bn: BatchNorm1d, model: any RatingModel, users: Tensor, items: Tensor) -> Tensor? {
        guard let r = model as? MixedRatings, bn === r.model.bn else { return nil }
        return r.features.batch(items)
    }
}
