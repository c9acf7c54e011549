import Foundation
import Models
import TensorCore

/// Options shared by `run`, `step`, `trace` and friends.
public struct RunOptions: Sendable {
    public var corpusPath: String?
    public var epochsScale: Double = 1
    public var seed: UInt64 = 42
    public var softmax: SoftmaxMode?
    /// Replaces every phase's learning rate (`run --lr`).
    public var lr: Float?
    /// Save a checkpoint into this directory after every epoch.
    public var checkpointDirectory: String?
    /// Continue from this checkpoint.
    public var resume: String?
    /// The collab lesson's ratings (`--ratings DIR`, `--synthetic`).
    public var ratings = RatingsOptions()
    public init() {}

    public static let maxEpochsScale = 1000.0

    /// One line for the first option out of range (flags are checked here, not only by the CLI,
    /// so every caller gets the same message).
    public func validate() throws {
        guard epochsScale.isFinite, epochsScale > 0, epochsScale <= RunOptions.maxEpochsScale else {
            throw InputError(usage: "--epochs-scale: expected a number > 0 and ≤ \(Int(RunOptions.maxEpochsScale)), got \(epochsScale)")
        }
        if let lr, !(lr.isFinite && lr > 0) {
            throw InputError(usage: "--lr: expected a number > 0 that fits a 32-bit float, got \(lr)")
        }
    }
}

/// One training step as `runCharModel` takes it: what a replay or a watch needs to look at.
public struct TrainingStep {
    public let model: CharModel
    public let optimizer: Optimizer
    /// The batch's rows in the lesson's layout.
    public let rows: [Int]
    public let data: CharDataset
    public let corpus: Corpus
    /// 1-based, counted from the run's start (or from the checkpoint it resumed).
    public let step: Int
    public let phase: Int
    /// Whole epochs already finished.
    public let epoch: Int
}

/// Thrown by a `beforeStep` hook to stop training before a step (a replay records it itself).
/// It carries nothing: an error must be Sendable and a step's model is not, so the hook keeps
/// the step it stopped at.
public struct ReachedStep: Error {
    public init() {}
}

/// Builds what a lesson needs — corpus, data layout, split, model, optimizer — and runs its
/// schedule. `say` receives every line the lesson prints.
public struct LessonRunner {
    public let lesson: Lesson
    public let options: RunOptions
    public let rng: SeededGenerator
    /// Grad mode, labels, tracer and tensor ids of this lesson's ops (see `Runtime`).
    public let runtime: Runtime

    public init(lesson: Lesson, options: RunOptions, runtime: Runtime? = nil) {
        self.lesson = lesson
        self.options = options
        rng = SeededGenerator(seed: options.seed)
        self.runtime = runtime ?? Runtime(seed: options.seed)
    }

    public var softmax: SoftmaxMode { options.softmax ?? lesson.softmax }

    /// A phase's learning rate, or `--lr` when given.
    public func lr(_ phase: Lesson.Phase) -> Float { options.lr ?? phase.lr }

    public func makeModel(vocabSize: Int) -> CharModel {
        let config = CharModelConfig(vocabSize: vocabSize, nFac: lesson.nFac, nHidden: lesson.nHidden)
        switch lesson.model {
        case .char3: return Char3Model(config, rng: rng)
        case .charLoop: return CharLoopModel(config, rng: rng)
        case .charLoopConcat: return CharLoopConcatModel(config, rng: rng)
        case .charRnn: return CharRnn(config, rng: rng)
        case .charSeqRnn: return CharSeqRnn(config, softmax: softmax, rng: rng)
        case .linearSGD, .embeddingDotBias, .embeddingNet, .mixedInput:
            // Callers check first; should one not, build something harmless rather than trap.
            return Char3Model(config, rng: rng)
        }
    }

    public func makeOptimizer(_ kind: Lesson.OptimizerKind, model: Module, lr: Float) -> Optimizer {
        switch kind {
        case .sgd: SGD(model.parameters, lr: lr)
        case .adam: Adam(model.parameters, lr: lr)
        }
    }

    /// The corpus, its rows in the lesson's layout, and the seed's validation split.
    /// `batch` (default: the lesson's) is checked against the memory budget before the split.
    public func loadData(batch: Int? = nil, tracedInMemory: Bool = false) throws -> (Corpus, CharDataset, Split) {
        let path = CorpusLocator.resolve(options.corpusPath)
        let layout = lesson.layout ?? .windows
        try DataMemory.check(corpus: path, fileBytes: InputFile.size(path), layout: layout, seqLength: lesson.model == .char3 ? 3 : lesson.seqLength,
                             crossValidated: lesson.validation != .lastRow, budget: MemoryBudget.bytes, budgetText: MemoryBudget.text)
        let corpus = try Corpus.load(path: path)
        let data = CharDataset(idx: corpus.idx, layout: layout, seqLength: lesson.model == .char3 ? 3 : lesson.seqLength)
        try checkMemory(batch: max(1, min(batch ?? lesson.batchSize, data.rows)), vocabSize: corpus.vocabSize, tracedInMemory: tracedInMemory)
        let seqLength = lesson.model == .char3 ? 3 : lesson.seqLength
        func tooShort() -> InputError {
            InputError("corpus \(path): \(corpus.length) characters give \(data.rows) rows of \(seqLength) in the \(layout.rawValue) layout; \(lesson.id) needs at least one batch of \(lesson.batchSize) training rows plus validation rows")
        }
        let split: Split
        if lesson.validation == .lastRow {
            guard data.rows >= 2 else { throw tooShort() }
            split = .lastRow(rows: data.rows)
        } else {
            // The seed's get_cv_idxs argument: len(idx)-cs-1 for windows, len(xs)-cs-1 for sequences.
            let n = layout == .sequences ? data.rows - lesson.seqLength - 1 : data.rows
            guard n >= 5 else { throw tooShort() }
            split = .cv(rows: data.rows, n: n)
        }
        guard split.train.count >= lesson.batchSize, !split.valid.isEmpty else { throw tooShort() }
        return (corpus, data, split)
    }

    /// Train with the lesson's schedule (scaled), printing the seed's fit table. With
    /// `options.checkpointDirectory` a checkpoint is written after every epoch; with
    /// `options.resume` training continues from one and ends exactly where an uninterrupted run
    /// would (same weights, same table).
    ///
    /// `beforeStep` sees each step before it runs (throwing stops training there); `afterStep`
    /// sees it after the optimizer's update, with its loss.
    public func runCharModel(say: (String) -> Void, progress: ((FitEvent) -> Void)? = nil,
                             beforeStep: ((TrainingStep) throws -> Void)? = nil,
                             afterStep: ((TrainingStep, Float) -> Void)? = nil) throws -> (CharModel, Corpus, [EpochResult]) {
        try runtime.activate { try trainCharModel(say: say, progress: progress, beforeStep: beforeStep, afterStep: afterStep) }
    }

    func trainCharModel(say: (String) -> Void, progress: ((FitEvent) -> Void)?,
                        beforeStep: ((TrainingStep) throws -> Void)?,
                        afterStep: ((TrainingStep, Float) -> Void)?) throws -> (CharModel, Corpus, [EpochResult]) {
        // The collab lesson trains through CollabRunner; nothing else of a character run applies.
        guard !lesson.model.isRatings else {
            throw InputError("\(lesson.id): a character-model command; for the collab lesson use run, play, step, trace, draw, eval or golden")
        }
        try options.validate()
        try checkScheduleTrains()
        let (corpus, data, split) = try loadData()
        let model = makeModel(vocabSize: corpus.vocabSize)
        let identity = Checkpoint.Identity(lesson: lesson, options: options, softmax: softmax, corpus: corpus)
        let counts = epochBatches(trainRows: split.train.count)
        var resumeFrom: Checkpoint?
        if let path = options.resume {
            let c = try Checkpoint.read(path)
            try c.identity.check(against: identity, source: path)
            try checkProgress(c, counts: counts, source: path)
            try Weights.assign(c.parameters, to: model, source: path)
            rng.state = c.rng
            resumeFrom = c
        }
        var checkpoint: (path: String, lock: Checkpoint.DirectoryLock)?
        var wroteCheckpoint = false
        if let dir = options.checkpointDirectory {
            checkpoint = try Checkpoint.prepare(directory: dir, lesson: lesson.id)
        }
        say("\(lesson.title)")
        say("corpus: \(corpus.source), \(corpus.length) characters, vocab \(corpus.vocabSize); \(data.rows) rows (\(split.train.count) train, \(split.valid.count) valid)\(split.note)")
        say("model: \(model.kind) (\(model.parameterCount) parameters)\(lesson.model == .charSeqRnn ? ", log_softmax over \(softmax == .vocab ? "the vocabulary (dim 2)" : "time (dim 0, PyTorch 0.3's implicit dim)")" : "")")
        var trainer = Trainer(model: model, data: data, split: split, batchSize: lesson.batchSize, rng: rng)
        var all: [EpochResult] = resumeFrom?.results ?? []
        // Every batch loss and each epoch's batch count, carried in checkpoints for the loss plot.
        var history: [Float] = resumeFrom?.batchLosses ?? []
        var historyEpochs: [Int] = resumeFrom?.epochBatches ?? []
        var optimizer: Optimizer?
        var optimizerKind = Lesson.OptimizerKind.adam
        var stepsDone = 0
        if let c = resumeFrom {
            say("resuming from \(options.resume!): phase \(c.phase + 1), after epoch \(c.position.epoch) (\(c.results.count) table rows so far)")
            for r in c.results { say(FitTable.row(r)) }
            // The epochs before the checkpoint, replayed to the observer so its loss plot is whole.
            var at = 0
            for (e, n) in c.epochBatches.enumerated() {
                for b in 0..<n { progress?(.batch(epoch: c.results[e].epoch, batch: b + 1, of: n, loss: c.batchLosses[at + b], smoothed: .nan)) }
                at += n
                progress?(.epoch(c.results[e]))
            }
            if c.results.count == counts.joined().count {
                say("checkpoint \(options.resume!) is of a finished run (all \(c.results.count) epochs trained); nothing left to train")
            }
        }
        for (k, phase) in lesson.schedule.enumerated() {
            let epochs = phase.epochs * options.epochsScale
            guard !counts[k].isEmpty else { continue }
            if let c = resumeFrom, k < c.phase || (k == c.phase && c.position.epoch >= counts[k].count) { continue }
            if optimizer == nil, let c = resumeFrom {
                // The optimizer as it was: its kind, moments and step count; the phase's lr.
                optimizerKind = c.optimizer
                let opt = makeOptimizer(c.optimizer, model: model, lr: lr(phase))
                if let adam = opt as? Adam { try adam.restore(m: c.moments(adam, "m"), v: c.moments(adam, "v"), stepCount: c.adamStep) }
                optimizer = opt
            }
            if let opt = optimizer { opt.lr = lr(phase); say("set_lrs(opt, \(lr(phase)))") }
            else {
                optimizerKind = phase.optimizer
                optimizer = makeOptimizer(phase.optimizer, model: model, lr: lr(phase))
                say("opt = \(phase.optimizer == .adam ? "optim.Adam" : "optim.SGD")(m.parameters(), \(lr(phase)))")
            }
            say("fit(m, md, \(formatEpochs(epochs)), opt, \(model.predictsSequence ? "nll_loss_seq" : "F.nll_loss"))")
            let start = resumeFrom.flatMap { $0.phase == k ? $0.position : nil } ?? FitPosition()
            let opt = optimizer!
            var current: TrainingStep?
            if beforeStep != nil || afterStep != nil {
                trainer.beforeStep = { rows in
                    let step = TrainingStep(model: model, optimizer: opt, rows: Array(rows), data: data, corpus: corpus,
                                            step: stepsDone + 1, phase: k, epoch: all.count)
                    current = step
                    try beforeStep?(step)
                }
            }
            var epochStart = history.count
            do { try trainer.fit(epochs: epochs, optimizer: opt, from: start, observe: { event in
                if case .batch(_, _, _, let loss, _) = event, let step = current {
                    stepsDone += 1
                    afterStep?(step, loss)
                }
                progress?(event)
                switch event {
                case .batch(_, _, _, let loss, _): history.append(loss)
                case .epoch(let r):
                    all.append(r); say(FitTable.row(r))
                    historyEpochs.append(history.count - epochStart)
                    epochStart = history.count
                }
            }, epochEnded: { position in
                guard let checkpoint else { return }
                var c = Checkpoint(identity: identity, phase: k, position: position, rng: rng.state,
                                   optimizer: optimizerKind, optimizerState: opt, results: all, model: model)
                c.batchLosses = history
                c.epochBatches = historyEpochs
                try c.write(to: checkpoint.path)
                wroteCheckpoint = true
            }) } catch var stop as Interrupted {
                stop.note = " of phase \(k + 1)"
                if let checkpoint, wroteCheckpoint || options.resume != nil {
                    stop.note += "; the last checkpoint is \(wroteCheckpoint ? checkpoint.path : options.resume!) (continue with --resume)"
                }
                throw stop
            }
        }
        return (model, corpus, all)
    }

    /// The memory one training step needs is mostly activations and their gradients, linear in
    /// the batch: refuse sizes (from the lesson file or --batch) that would not fit, with the
    /// estimate, instead of growing until the system kills the process.
    public func checkMemory(batch: Int, vocabSize: Int, tracedInMemory: Bool) throws {
        let estimate = MemoryBudget.stepBytes(batch: batch, chars: lesson.model == .char3 ? 3 : lesson.seqLength,
                                              nFac: lesson.nFac, nHidden: lesson.nHidden, vocab: vocabSize,
                                              sequenceOutput: lesson.model == .charSeqRnn, tracedInMemory: tracedInMemory)
        let budget = MemoryBudget.bytes
        if estimate > budget {
            throw InputError("\(lesson.id): a step with batch \(batch), n_hidden \(lesson.nHidden), n_fac \(lesson.nFac), \(lesson.model == .char3 ? 3 : lesson.seqLength) characters needs about \(MemoryBudget.text(estimate)); the memory budget is \(MemoryBudget.text(budget)) (half this machine's memory, at most 8 GB): use a smaller batch or n_hidden")
        }
    }

    /// A schedule scaled so small that no phase has a batch to train would save untrained
    /// weights: refused before any work.
    public func checkScheduleTrains() throws {
        guard lesson.model != .linearSGD else { return }
        let total = lesson.schedule.map { Trainer.epochCount($0.epochs * options.epochsScale) }.reduce(0, +)
        if total == 0 {
            throw InputError("--epochs-scale \(options.epochsScale): no phase of \(lesson.id)'s schedule has a batch left to train (a phase needs more than 1e-9 of an epoch)")
        }
    }

    /// Batches of every epoch of every phase, as `Trainer.fit` will train them.
    public func epochBatches(trainRows: Int) -> [[Int]] {
        let perEpoch = (trainRows + lesson.batchSize - 1) / lesson.batchSize
        return lesson.schedule.map { Trainer.batchCounts(epochs: $0.epochs * options.epochsScale, batchesPerEpoch: perEpoch) }
    }

    /// A checkpoint's counters against this lesson's schedule: its phase and epoch exist, its
    /// optimizer is the one the schedule starts, and Adam's step count, the smoother's count
    /// and the table agree with the batches trained so far. Each was read range-checked; here
    /// they must also be the numbers an honest run would have written.
    public func checkProgress(_ c: Checkpoint, counts: [[Int]], source: String) throws {
        func wrong(_ what: String) -> InputError { InputError("checkpoint \(source): \(what); it does not belong to this lesson's schedule") }
        guard c.phase < counts.count, !counts[c.phase].isEmpty else {
            throw wrong("'phase' is \(c.phase), but \(lesson.id) has \(counts.filter { !$0.isEmpty }.count) phases that train (numbered from 0: \(counts.indices.filter { !counts[$0].isEmpty }.map(String.init).joined(separator: ", ")))")
        }
        guard (1...counts[c.phase].count).contains(c.position.epoch) else {
            throw wrong("'epoch' is \(c.position.epoch), but phase \(c.phase) has \(counts[c.phase].count) epochs")
        }
        let first = lesson.schedule.indices.first { !counts[$0].isEmpty }!
        guard c.optimizer == lesson.schedule[first].optimizer else {
            throw wrong("'optimizer' is \(c.optimizer), but the schedule trains with \(lesson.schedule[first].optimizer)")
        }
        let done = Array(counts[..<c.phase].joined()) + counts[c.phase][..<c.position.epoch]
        guard c.results.count == done.count, c.epochBatches == done else {
            throw wrong("it has \(c.results.count) table rows, \(done.count) expected after epoch \(c.position.epoch) of phase \(c.phase)")
        }
        let steps = c.optimizer == .adam ? done.reduce(0, +) : 0
        guard c.adamStep == steps else { throw wrong("'adamStep' is \(c.adamStep), \(steps) expected after \(done.count) epochs") }
        let inPhase = counts[c.phase][..<c.position.epoch].reduce(0, +)
        guard c.position.smoother.count == inPhase else {
            throw wrong("'smoother' counts \(c.position.smoother.count) batches, \(inPhase) expected in phase \(c.phase)")
        }
    }

    func formatEpochs(_ e: Double) -> String {
        e == e.rounded() ? String(Int(e)) : String(format: "%.3g", e)
    }

    /// Lesson 1: the seed's hand-written gradient descent on y = a·x + b.
    public func runLinearSGD(say: (String) -> Void) throws -> (a: Float, b: Float, maxGradDiff: Float, losses: [Float]) {
        try runtime.activate { try trainLinearSGD(say: say) }
    }

    func trainLinearSGD(say: (String) -> Void) throws -> (a: Float, b: Float, maxGradDiff: Float, losses: [Float]) {
        try options.validate()
        let d = lesson.linearData
        let story = LinearStory(runner: self)
        let (x, y, a0, b0) = (story.x, story.y, story.a0, story.b0)
        say("\(lesson.title)")
        say("x, y = gen_fake_data(\(d.points), \(d.a), \(d.b))    # x ~ U(0,1), y = a·x + b + 0.1·N(0,3)")
        say(String(format: "a, b = %.4f, %.4f    # random start (the same in step, play, watch, draw and book)", a0, b0))
        var maxDiff: Float = 0
        var losses: [Float] = []
        var (a, b) = (a0, b0)
        for phase in lesson.schedule {
            let iterations = max(1, Int((Double(phase.iterations) * options.epochsScale).rounded()))
            say("learning_rate = \(lr(phase)); \(iterations) iterations")
            (a, b) = try LinearSGD.fit(x: x, y: y, a0: a, b0: b, lr: lr(phase), iterations: iterations) { step in
                maxDiff = max(maxDiff, abs(step.autogradDA - step.handDA), abs(step.autogradDB - step.handDB))
                losses.append(step.loss)
                if step.iteration % phase.printEvery == 0 { say(String(format: "%-10d %.6f", step.iteration, step.loss)) }
            }
        }
        say(String(format: "a = %.4f, b = %.4f    (data made with a = %g, b = %g)", a, b, d.a, d.b))
        say(String(format: "autograd vs hand-derived gradients: max |difference| = %.2e over %d steps", maxDiff, losses.count))
        return (a, b, maxDiff, losses)
    }
}

/// The seed's fit table, printed the way numpy printed it: `[ 0.       2.09804  5.12998]`.
public enum FitTable {
    public static let header = "[ epoch  trn_loss  val_loss ]"
    public static func row(_ r: EpochResult) -> String {
        let epoch = "\(r.epoch).".padding(toLength: 8, withPad: " ", startingAt: 0)
        return "[ " + epoch + String(format: " %-8.5f %.5f]", r.trainLoss, r.validLoss)
    }
}

/// What a training step may use: half the machine's memory, at most 8 GB.
public enum MemoryBudget {
    public static var bytes: Int {
        let physical = Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
        return min(8 << 30, max(physical / 2, 256 << 20))
    }

    /// Floats a step keeps alive: per input character the embedding and three hidden-sized
    /// tensors (input layer, sum, tanh), the output's logits, log-softmax and gradient (once, or
    /// per character for a sequence model); with gradients and the kernels' temporaries 3.5
    /// copies, 5 with a trace kept in memory (calibrated against peak RSS, docs/robustness.md);
    /// parameters with gradient and Adam's two moments are four copies.
    public static func stepBytes(batch: Int, chars: Int, nFac: Int, nHidden: Int, vocab: Int,
                                 sequenceOutput: Bool, tracedInMemory: Bool) -> Int {
        let perRow = chars * (nFac + 4 * nHidden) + (sequenceOutput ? chars : 1) * 3 * vocab
        let activations = 2 * batch * perRow * (tracedInMemory ? 10 : 7)
        let parameters = 4 * 4 * (vocab * nFac + nFac * nHidden + nHidden * nHidden + nHidden * vocab + 2 * nHidden + vocab)
        return activations + parameters
    }

    public static func text(_ bytes: Int) -> String {
        bytes >= 1 << 30 ? String(format: "%.1f GB", Double(bytes) / Double(1 << 30)) : "\(bytes >> 20) MB"
    }
}
