import TensorCore

/// One row of the seed's fit table: `[ epoch  trn_loss  val_loss ]`.
public struct EpochResult: Equatable, Sendable, Codable {
    public var epoch: Int
    /// Exponentially smoothed training loss (momentum 0.98, debiased) at the epoch's end.
    public var trainLoss: Float
    /// Mean loss over the validation rows.
    public var validLoss: Float
}

/// What `fit` reports while it runs, for a progress bar or plain lines.
public enum FitEvent {
    case batch(epoch: Int, batch: Int, of: Int, loss: Float, smoothed: Float)
    case epoch(EpochResult)
}

/// fastai 0.7's `fit(model, data, epochs, opt, crit)`: shuffled mini-batches, forward, loss,
/// backward, optimizer step; the smoothed loss carries over between epochs of one call.
public struct Trainer {
    public let model: CharModel
    public let data: CharDataset
    public let split: Split
    public let batchSize: Int
    public let rng: SeededGenerator

    public init(model: CharModel, data: CharDataset, split: Split, batchSize: Int = 512, rng: SeededGenerator = .shared) {
        self.model = model; self.data = data; self.split = split; self.batchSize = batchSize; self.rng = rng
    }

    /// Train for `epochs` (a fraction runs that share of an epoch's batches), reporting each
    /// batch and epoch to `observe`. Returns the table rows.
    @discardableResult
    public func fit(epochs: Double, optimizer: Optimizer, observe: (FitEvent) -> Void = { _ in }) -> [EpochResult] {
        var smoother = SmoothedLoss()
        var results: [EpochResult] = []
        let batchesPerEpoch = (split.train.count + batchSize - 1) / batchSize
        var remaining = epochs
        var epoch = 0
        while remaining > 1e-9 {
            let share = min(remaining, 1)
            remaining -= share
            let batches = max(1, Int((share * Double(batchesPerEpoch)).rounded()))
            let order = rng.permutation(split.train.count)
            for b in 0..<batches {
                let lo = b * batchSize, hi = min(lo + batchSize, order.count)
                let rows = order[lo..<hi].map { split.train[$0] }
                let loss = trainStep(rows: rows[...], optimizer: optimizer)
                smoother.add(loss)
                observe(.batch(epoch: epoch, batch: b + 1, of: batches, loss: loss, smoothed: smoother.value))
            }
            let result = EpochResult(epoch: epoch, trainLoss: smoother.value, validLoss: validate())
            results.append(result)
            observe(.epoch(result))
            epoch += 1
        }
        return results
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

    /// Mean loss over the validation rows, weighted by batch size (fastai's `validate`).
    public func validate() -> Float {
        guard !split.valid.isEmpty else { return .nan }
        return GradMode.noGrad {
            var total = 0.0
            var lo = 0
            while lo < split.valid.count {
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
public struct SmoothedLoss: Sendable {
    public let momentum: Double
    var average = 0.0
    var count = 0
    public init(momentum: Double = 0.98) { self.momentum = momentum }
    public mutating func add(_ loss: Float) {
        count += 1
        average = average * momentum + Double(loss) * (1 - momentum)
    }
    public var value: Float { count == 0 ? .nan : Float(average / (1 - pow(momentum, Double(count)))) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
