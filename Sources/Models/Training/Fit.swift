import TensorCore

/// One row of the seed's fit table: `[ epoch  trn_loss  val_loss ]`.
public struct EpochResult: Equatable, Sendable, Codable {
    public var epoch: Int
    /// Exponentially smoothed training loss (momentum 0.98, debiased) at the epoch's end.
    public var trainLoss: Float
    /// Mean loss over the validation rows.
    public var validLoss: Float
    public init(epoch: Int, trainLoss: Float, validLoss: Float) {
        self.epoch = epoch; self.trainLoss = trainLoss; self.validLoss = validLoss
    }
}

/// What `fit` reports while it runs, for a progress bar or plain lines.
public enum FitEvent {
    case batch(epoch: Int, batch: Int, of: Int, loss: Float, smoothed: Float)
    case epoch(EpochResult)
}

/// Where a `fit` call stands after some whole epochs: enough to continue it bit for bit (the
/// batch order comes from the trainer's generator, whose state a checkpoint keeps separately).
public struct FitPosition: Equatable, Sendable {
    /// Epochs of this call already done.
    public var epoch: Int
    public var smoother: SmoothedLoss
    public init(epoch: Int = 0, smoother: SmoothedLoss = SmoothedLoss()) { self.epoch = epoch; self.smoother = smoother }
}

/// A training step produced NaN or infinity. `anomaly` names the first op that did, found by
/// replaying the step with `AnomalyMode` on.
public struct NonFiniteError: Error, CustomStringConvertible {
    /// `epoch 0, batch 12` or `iteration 12`.
    public var position: String
    public var loss: Float
    public var anomaly: Anomaly?
    public init(position: String, loss: Float, anomaly: Anomaly?) {
        self.position = position; self.loss = loss; self.anomaly = anomaly
    }
    public var description: String {
        let what = loss.isFinite ? "a gradient or update became non-finite" : "loss became \(loss.isNaN ? "NaN" : "\(loss)")"
        let first = anomaly.map { "; first: \($0)" } ?? ""
        return "non-finite value: \(what) at \(position)\(first) (try a smaller learning rate)"
    }
}

/// fastai 0.7's `fit(model, data, epochs, opt, crit)`: shuffled mini-batches, forward, loss,
/// backward, optimizer step; the smoothed loss carries over between epochs of one call.
public struct Trainer {
    public let model: CharModel
    public let data: CharDataset
    public let split: Split
    public let batchSize: Int
    public let rng: SeededGenerator
    /// Called with each batch's rows before its step; throwing stops `fit` there (a replay of
    /// step N stops before batch N + 1 and records that batch itself).
    public var beforeStep: ((ArraySlice<Int>) throws -> Void)?
    /// Training rows up to which an epoch's order is a stored shuffle (`BatchOrder`).
    public var storedOrderLimit = KeyedPermutation.storedLimit

    public init(model: CharModel, data: CharDataset, split: Split, batchSize: Int = 512, rng: SeededGenerator = .shared) {
        self.model = model; self.data = data; self.split = split; self.batchSize = batchSize; self.rng = rng
    }

    /// Train for `epochs` (a fraction runs that share of an epoch's batches), reporting each
    /// batch and epoch to `observe`. Returns the table rows of the epochs it ran.
    ///
    /// `start` continues a call that stopped after some whole epochs; `epochEnded` sees the
    /// position after each epoch (to checkpoint it). Between batches an interrupt request
    /// (Ctrl-C) stops training with `Interrupted`; a non-finite loss or gradient stops it with
    /// `NonFiniteError`, before the optimizer touches the weights.
    @discardableResult
    public func fit(epochs: Double, optimizer: Optimizer, from start: FitPosition = FitPosition(),
                    observe: (FitEvent) -> Void = { _ in },
                    epochEnded: (FitPosition) throws -> Void = { _ in }) throws -> [EpochResult] {
        var smoother = start.smoother
        var results: [EpochResult] = []
        let batchesPerEpoch = (split.train.count + batchSize - 1) / batchSize
        let counts = Trainer.batchCounts(epochs: epochs, batchesPerEpoch: batchesPerEpoch)
        var epoch = start.epoch
        while epoch < counts.count {
            let batches = counts[epoch]
            let order = BatchOrder(count: split.train.count, rng: rng, storedLimit: storedOrderLimit)
            for b in 0..<batches {
                if Interruption.requested { throw Interrupted(epoch: epoch, batch: b) }
                let lo = b * batchSize, hi = min(lo + batchSize, order.count)
                let rows = (lo..<hi).map { split.train[order[$0]] }
                try beforeStep?(rows[...])
                let loss = try checkedStep(rows: rows[...], optimizer: optimizer, epoch: epoch, batch: b + 1)
                smoother.add(loss)
                observe(.batch(epoch: epoch, batch: b + 1, of: batches, loss: loss, smoothed: smoother.value))
            }
            let result = EpochResult(epoch: epoch, trainLoss: smoother.value, validLoss: try validate(epoch: epoch))
            results.append(result)
            observe(.epoch(result))
            epoch += 1
            try epochEnded(FitPosition(epoch: epoch, smoother: smoother))
        }
        return results
    }

    /// How many table rows (epochs, the last perhaps partial) `fit(epochs:)` runs.
    public static func epochCount(_ epochs: Double) -> Int {
        batchCounts(epochs: epochs, batchesPerEpoch: 1).count
    }

    /// The batches each epoch of `fit(epochs:)` trains: whole epochs, then the remaining share
    /// of one (at least one batch). A resumed checkpoint's counters are checked against these.
    public static func batchCounts(epochs: Double, batchesPerEpoch: Int) -> [Int] {
        var remaining = epochs
        var counts: [Int] = []
        while remaining > 1e-9 {
            let share = min(remaining, 1)
            remaining -= share
            counts.append(max(1, Int((share * Double(batchesPerEpoch)).rounded())))
        }
        return counts
    }

    /// One optimisation step on the given rows; returns the batch loss.
    public func trainStep(rows: ArraySlice<Int>, optimizer: Optimizer) -> Float {
        let (x, y) = data.batch(rows)
        let loss = model.loss(model.forward(x), y)
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
        return loss.item
    }

    /// `trainStep` that refuses to apply a non-finite update. The fast path checks the loss and
    /// the parameters' gradients (one pass over the parameters); only when something is not
    /// finite is the step's forward and backward replayed with anomaly detection, on the
    /// unchanged weights, to name the first op that produced it. The update itself runs with
    /// detection on (it is one pass over the parameters anyway).
    public func checkedStep(rows: ArraySlice<Int>, optimizer: Optimizer, epoch: Int, batch: Int) throws -> Float {
        let (x, y) = data.batch(rows)
        let loss = model.loss(model.forward(x), y)
        optimizer.zeroGrad()
        loss.backward()
        let finite = loss.item.isFinite && model.parameters.allSatisfy { $0.tensor.grad?.allSatisfy(\.isFinite) ?? true }
        guard finite else {
            optimizer.zeroGrad()
            let (_, anomaly) = AnomalyMode.detecting {
                let replayed = model.loss(model.forward(x), y)
                replayed.backward()
            }
            optimizer.zeroGrad()
            throw NonFiniteError(position: "epoch \(epoch), batch \(batch)", loss: loss.item, anomaly: anomaly)
        }
        let (_, anomaly) = AnomalyMode.detecting { optimizer.step() }
        if let anomaly { throw NonFiniteError(position: "epoch \(epoch), batch \(batch)", loss: loss.item, anomaly: anomaly) }
        return loss.item
    }

    /// Mean loss over the validation rows, weighted by batch size (fastai's `validate`).
    /// Ctrl-C is honoured between its batches (on a large corpus it runs for minutes).
    public func validate(epoch: Int? = nil) throws -> Float {
        guard !split.valid.isEmpty else { return .nan }
        return try GradMode.noGrad {
            var total = 0.0
            var lo = 0
            while lo < split.valid.count {
                try Interruption.check(epoch.map { "validation of epoch \($0)" } ?? "validation")
                let hi = min(lo + 2 * batchSize, split.valid.count)
                let (x, y) = data.batch(split.valid[lo..<hi])
                total += Double(model.loss(model.forward(x), y).item) * Double(hi - lo)
                lo = hi
            }
            return Float(total / Double(split.valid.count))
        }
    }
}

/// fastai 0.7's training-loss display: avg ← 0.98·avg + 0.02·loss, shown as avg / (1 − 0.98ⁿ)
/// so the first batches are not biased towards zero.
public struct SmoothedLoss: Equatable, Sendable {
    public let momentum: Double
    public internal(set) var average = 0.0
    public internal(set) var count = 0
    public init(momentum: Double = 0.98) { self.momentum = momentum }
    /// A saved smoother (resuming a run).
    public init(momentum: Double = 0.98, average: Double, count: Int) {
        self.momentum = momentum; self.average = average; self.count = count
    }
    public mutating func add(_ loss: Float) {
        count += 1
        average = average * momentum + Double(loss) * (1 - momentum)
    }
    public var value: Float { count == 0 ? .nan : Float(average / (1 - pow(momentum, Double(count)))) }

    /// The smoothed value after each of `losses`, as the table shows them (the loss plot's curve).
    public static func curve(_ losses: [Double], momentum: Double = 0.98) -> [Double] {
        var s = SmoothedLoss(momentum: momentum)
        return losses.map { s.add(Float($0)); return Double(s.value) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
