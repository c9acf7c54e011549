import Foundation
import Models
import TensorCore

/// Where the collab lesson's ratings come from: `--ratings DIR`, `--synthetic`, or the lesson's
/// default (the download cache, or the synthetic set).
public struct RatingsOptions: Sendable {
    public var directory: String?
    public var synthetic = false
    /// Size of the in-memory synthetic set (ml-latest-small's by default).
    public var syntheticConfig = SyntheticMovieLens.Config()
    public init() {}

    public func load(default source: Lesson.RatingsSource = .movielens) throws -> MovieLens {
        if let directory { return try MovieLens.load(directory: directory) }
        if synthetic || source == .synthetic { return try SyntheticMovieLens(syntheticConfig).movieLens }
        let cached = MovieLensDownload.defaultDirectory
        guard FileManager.default.fileExists(atPath: cached + "/ratings.csv") else {
            throw InputError("no MovieLens copy at \(cached); run `unrolled data download movielens`, give --ratings DIR, or use --synthetic")
        }
        return try MovieLens.load(directory: cached)
    }
}

/// The collab lesson's `learn.fit(1e-2, 2, wds=wd, cycle_len=1, cycle_mult=2)`, printed the way
/// fastai printed it, with each epoch's learning-rate range.
public struct CollabRunner {
    public let lesson: Lesson
    public let seed: UInt64
    public let epochScale: Double

    public init(lesson: Lesson, seed: UInt64 = 42, epochScale: Double = 1) {
        self.lesson = lesson; self.seed = seed; self.epochScale = epochScale
    }

    public struct Outcome {
        public let model: any RatingModel
        public let data: CollabFilterDataset
        public let movies: MovieLens
        public let results: [EpochResult]
        /// One (loss, lr) per batch, in order.
        public let losses: [Float]
        public let lrs: [Float]
        public let batchesPerEpoch: Int
    }

    /// The lesson's model on `cf`, its weights drawn from `rng`.
    public static func makeModel(_ lesson: Lesson, data cf: CollabFilterDataset, titles: [Int: String], rng: SeededGenerator) -> any RatingModel {
        switch lesson.model {
        case .embeddingNet: return EmbeddingNet(cf, nFactors: lesson.nFactors, rng: rng)
        case .mixedInput: return MixedRatings(cf, features: MovieFeatures(cf, titles: titles), rng: rng)
        default: return EmbeddingDotBias(cf, nFactors: lesson.nFactors, rng: rng)
        }
    }

    /// The model's layers in one line, with their sizes.
    public static func describe(_ model: any RatingModel) -> String {
        func shape(_ name: String) -> String { model.parameter(named: name).map { $0.shape.map(String.init).joined(separator: "×") } ?? "?" }
        switch model {
        case let m as EmbeddingNet:
            return "EmbeddingNet(u \(shape("u.weight")), m \(shape("m.weight")), drop1 p=\(m.drop1.p), lin1 \(shape("lin1.weight")), relu, drop2 p=\(m.drop2.p), lin2 \(shape("lin2.weight")), sigmoid range \(m.minScore - 0.5)…\(m.maxScore + 0.5))"
        case let r as MixedRatings:
            let m = r.model
            let blocks = m.lins.indices.map { "lins.\($0) \(shape("lins.\($0).weight")), relu, \(m.useBn ? "bns.\($0), " : "")drops.\($0) p=\(m.drops[$0].p)" }
            return "MixedInputModel(embs user \(shape("embs.0.weight")), movie \(shape("embs.1.weight")), emb_drop p=\(m.embDrop.p), bn(conts: \(MovieFeatures.names.joined(separator: ", "))), \(blocks.joined(separator: ", ")), outp \(shape("outp.weight")), y_range \(m.yRange.map { "\($0.0)…\($0.1)" } ?? "none"))"
        default:
            return "\(model.kind)(u \(shape("u.weight")), i \(shape("i.weight")), ub \(shape("ub.weight")), ib \(shape("ib.weight")))"
        }
    }

    /// Build `cf`, the model and `learn`, and run every phase of the schedule.
    public func run(_ movies: MovieLens, say: (String) -> Void, progress: (CollabFitEvent) -> Void = { _ in }) throws -> Outcome {
        guard lesson.model.isRatings else { throw InputError("lesson \(lesson.id) is not a collaborative-filtering lesson") }
        let rng = SeededGenerator(seed: seed)
        let cf = CollabFilterDataset(movies)
        let split = cf.cvSplit()
        guard split.train.count >= lesson.batchSize, !split.valid.isEmpty else {
            throw InputError("\(movies.directory): \(cf.count) ratings give \(split.train.count) training rows; \(lesson.id) needs at least one batch of \(lesson.batchSize)")
        }
        let model = CollabRunner.makeModel(lesson, data: cf, titles: movies.titles, rng: rng)
        say(lesson.title)
        say(movies.summary)
        say("cf = CollabFilterDataset.from_csv(path, 'ratings.csv', 'userId', 'movieId', 'rating')    # \(cf.nUsers) users, \(cf.nItems) movies, ratings \(cf.minScore)…\(cf.maxScore)")
        say("val_idxs = get_cv_idxs(\(cf.count))    # \(split.valid.count) validation rows (numpy RandomState(42))")
        say("model: \(CollabRunner.describe(model)): \(model.parameterCount) parameters")
        let trainer = CollabTrainer(model: model, data: cf, split: split, batchSize: lesson.batchSize, rng: rng)
        var results: [EpochResult] = [], losses: [Float] = [], lrs: [Float] = []
        for phase in lesson.schedule {
            guard let sgdr = phase.sgdr else { continue }
            let schedule = SGDRSchedule(lr: phase.lr, cycles: sgdr.cycles, cycleLen: sgdr.cycleLen, cycleMult: sgdr.cycleMult,
                                        weightDecay: phase.weightDecay)
            // fastai builds the optimizer per fit, with the phase's weight decay.
            let opt = Adam(model.parameters, lr: phase.lr, weightDecay: phase.weightDecay)
            say("learn.fit(\(phase.lr), \(sgdr.cycles), wds=\(phase.weightDecay), cycle_len=\(sgdr.cycleLen), cycle_mult=\(sgdr.cycleMult))    # Adam, \(schedule.epochs) epochs, \(trainer.batchesPerEpoch) batches of \(lesson.batchSize) each")
            say("\(FitTable.header)   lr: first batch → last batch")
            try trainer.fit(schedule, optimizer: opt, epochScale: epochScale) { event in
                progress(event)
                switch event {
                case .batch(_, _, _, let loss, _, let lr): losses.append(loss); lrs.append(lr)
                case .epoch(var r, let first, let last):
                    r.epoch = results.count
                    results.append(r)
                    say(FitTable.row(r) + String(format: "   %.3g → %.3g", first, last))
                }
            }
        }
        if let last = results.last {
            say(String(format: "validation MSE %.4f (RMSE %.4f)", last.validLoss, last.validLoss.squareRoot()))
        }
        // Narration that belongs after the fit (phase: train).
        for beat in lesson.beats where beat.phase == "train" {
            say("\n  ── " + wrapWords(beat.text.trimmingCharacters(in: .whitespacesAndNewlines), indent: "     "))
        }
        let batches = max(1, Int((Double(trainer.batchesPerEpoch) * min(epochScale, 1)).rounded()))
        return Outcome(model: model, data: cf, movies: movies, results: results, losses: losses, lrs: lrs, batchesPerEpoch: batches)
    }
}
