#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SGDR as fastai 0.7 ran it (`learn.fit(lr, n_cycle, cycle_len=1, cycle_mult=2)`, its
/// `CosAnneal` callback): the learning rate follows half a cosine from `lr` towards 0 over each
/// cycle, one value per batch, then restarts; each cycle is `cycleMult` times longer than the
/// last. The first `nb/20` batches of the whole fit run at lr/100 (fastai's warm-up).
public struct CosineAnnealing: Sendable, Equatable {
    /// `nb`: batches in the current cycle (batches per epoch × cycle_len, then × cycle_mult).
    public private(set) var batchesInCycle: Int
    public let cycleMult: Int
    /// Batches since the fit began: fastai compares it (not the cycle's count) with `nb/20`.
    public private(set) var iteration = 0
    public private(set) var cycleIteration = 0
    public private(set) var cycleCount = 0

    public init(batchesPerEpoch: Int, cycleLen: Int, cycleMult: Int) {
        precondition(batchesPerEpoch > 0 && cycleLen > 0 && cycleMult > 0)
        batchesInCycle = batchesPerEpoch * cycleLen
        self.cycleMult = cycleMult
    }

    /// The learning rate for the next batch (`calc_lr`), advancing the schedule by one batch.
    public mutating func next(base lr: Float) -> Float {
        defer { iteration += 1 }
        if Double(iteration) < Double(batchesInCycle) / 20 {
            cycleIteration += 1
            return lr / 100
        }
        // In Double, as numpy computes cos(π·t/nb) + 1; the product with lr is float32 in fastai
        // too (init_lrs is a float32 numpy array there).
        let cosOut = cos(Double.pi * Double(cycleIteration) / Double(batchesInCycle)) + 1
        cycleIteration += 1
        if cycleIteration == batchesInCycle {
            cycleIteration = 0
            batchesInCycle *= cycleMult
            cycleCount += 1
        }
        return Float(Double(lr) / 2 * cosOut)
    }

    /// Epochs `fit(lr, n_cycle, cycle_len, cycle_mult)` runs: cycle_len · (1 + mult + mult² + …).
    public static func epochs(cycles: Int, cycleLen: Int, cycleMult: Int) -> Int {
        var total = 0, len = cycleLen
        for _ in 0..<cycles { total += len; len *= cycleMult }
        return total
    }
}
