import TensorCore

/// What the collab fit reports: each batch with the learning rate it ran at, and each epoch.
public enum CollabFitEvent {
    case batch(epoch: Int, batch: Int, of: Int, loss: Float, smoothed: Float, lr: Float)
    /// `firstLR` and `lastLR`: the rates of the epoch's first and last batch.
    case epoch(EpochResult, firstLR: Float, lastLR: Float)
}

/// The schedule of `learn.fit(lr, n_cycle, wds=wd, cycle_len, cycle_mult)` with Adam.
public struct SGDRSchedule: Sendable, Equatable {
    public var lr: Float
    public var cycles: Int
    public var cycleLen: Int
    public var cycleMult: Int
    public var weightDecay: Float
    public init(lr: Float, cycles: Int, cycleLen: Int = 1, cycleMult: Int = 1, weightDecay: Float = 0) {
        self.lr = lr; self.cycles = cycles; self.cycleLen = cycleLen; self.cycleMult = cycleMult; self.weightDecay = weightDecay
    }
    public var epochs: Int { CosineAnnealing.epochs(cycles: cycles, cycleLen: cycleLen, cycleMult: cycleMult) }
}

/// fastai 0.7's fit for `CollabFilterLearner`: shuffled batches of (user, item, rating),
/// `F.mse_loss`, Adam with weight decay, the learning rate set per batch by `CosineAnnealing`.
public struct CollabTrainer {
    public let model: any RatingModel
    public let data: CollabFilterDataset
    public let split: Split
    public let batchSize: Int
    public let rng: SeededGenerator

    public init(model: any RatingModel, data: CollabFilterDataset, split: Split, batchSize: Int = 64, rng: SeededGenerator = .shared) {
        self.model = model; self.data = data; self.split = split; self.batchSize = batchSize; self.rng = rng
    }

    public var batchesPerEpoch: Int { (split.train.count + batchSize - 1) / batchSize }

    /// Run the schedule; `epochScale` < 1 runs that share of each epoch's batches (quick looks),
    /// with the cycles shortened to match. Returns the fit table's rows.
    @discardableResult
    public func fit(_ schedule: SGDRSchedule, optimizer: Adam, epochScale: Double = 1,
                    observe: (CollabFitEvent) -> Void = { _ in }) throws -> [EpochResult] {
        let batches = max(1, Int((Double(batchesPerEpoch) * min(epochScale, 1)).rounded()))
        var lrs = CosineAnnealing(batchesPerEpoch: batches, cycleLen: schedule.cycleLen, cycleMult: schedule.cycleMult)
        var smoother = SmoothedLoss()
        var results: [EpochResult] = []
        for epoch in 0..<schedule.epochs {
            let order = rng.permutation(split.train.count)
            var firstLR: Float = 0, lastLR: Float = 0
            for b in 0..<batches {
                if Interruption.requested { throw Interrupted(epoch: epoch, batch: b) }
                let lr = lrs.next(base: schedule.lr)
                optimizer.lr = lr
                if b == 0 { firstLR = lr }
                lastLR = lr
                let start = b * batchSize, end = min(start + batchSize, order.count)
                let rows = order[start..<end].map { split.train[$0] }
                let loss = try checkedStep(rows: rows[...], optimizer: optimizer, position: "epoch \(epoch), batch \(b + 1)")
                smoother.add(loss)
                observe(.batch(epoch: epoch, batch: b + 1, of: batches, loss: loss, smoothed: smoother.value, lr: lr))
            }
            let r = EpochResult(epoch: epoch, trainLoss: smoother.value, validLoss: validate())
            results.append(r)
            observe(.epoch(r, firstLR: firstLR, lastLR: lastLR))
        }
        return results
    }

    /// Forward, loss, backward and (when everything is finite) the optimizer's step.
    public func checkedStep(rows: ArraySlice<Int>, optimizer: Optimizer, position: String) throws -> Float {
        let (users, items, y) = data.batch(rows)
        model.training = true
        let loss = model.loss(model.forward(users: users, items: items), y)
        optimizer.zeroGrad()
        loss.backward()
        let finite = loss.item.isFinite && model.parameters.allSatisfy { $0.tensor.grad?.allSatisfy(\.isFinite) ?? true }
        guard finite else {
            optimizer.zeroGrad()
            let (_, anomaly) = AnomalyMode.detecting { model.loss(model.forward(users: users, items: items), y).backward() }
            optimizer.zeroGrad()
            throw NonFiniteError(position: position, loss: loss.item, anomaly: anomaly)
        }
        let (_, anomaly) = AnomalyMode.detecting { optimizer.step() }
        if let anomaly { throw NonFiniteError(position: position, loss: loss.item, anomaly: anomaly) }
        return loss.item
    }

    /// Mean squared error over the validation rows, in batches of 2·bs (fastai's validation loader).
    public func validate() -> Float {
        guard !split.valid.isEmpty else { return .nan }
        // Evaluation: no dropout, batch norm's running statistics.
        model.training = false
        defer { model.training = true }
        return GradMode.noGrad {
            var total = 0.0, lo = 0
            while lo < split.valid.count {
                let hi = min(lo + 2 * batchSize, split.valid.count)
                let (users, items, y) = data.batch(split.valid[lo..<hi])
                total += Double(model.loss(model.forward(users: users, items: items), y).item) * Double(hi - lo)
                lo = hi
            }
            return Float(total / Double(split.valid.count))
        }
    }
}
