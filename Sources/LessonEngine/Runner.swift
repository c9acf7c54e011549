import Foundation
import Models
import TensorCore

/// Options shared by `run`, `step`, `trace` and friends.
public struct RunOptions: Sendable {
    public var corpusPath: String?
    public var epochsScale: Double = 1
    public var seed: UInt64 = 42
    public var softmax: SoftmaxMode?
    public init() {}
}

/// Where the corpus comes from when `--corpus` is not given: `UNROLLED_CORPUS`, the download
/// cache, then the development copy beside a checkout (`../shared/data/nietzsche.txt`).
public enum CorpusLocator {
    public static var cachePath: String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return base + "/unrolled/nietzsche.txt"
    }

    public static func resolve(_ explicit: String?) -> String {
        if let explicit { return explicit }
        let env = ProcessInfo.processInfo.environment
        if let p = env["UNROLLED_CORPUS"], !p.isEmpty { return p }
        let fm = FileManager.default
        for p in [cachePath, "../shared/data/nietzsche.txt"] where fm.fileExists(atPath: p) { return p }
        return cachePath
    }
}

/// Builds what a lesson needs — corpus, data layout, split, model, optimizer — and runs its
/// schedule. `say` receives every line the lesson prints.
public struct LessonRunner {
    public let lesson: Lesson
    public let options: RunOptions
    public let rng: SeededGenerator

    public init(lesson: Lesson, options: RunOptions) {
        self.lesson = lesson
        self.options = options
        rng = SeededGenerator(seed: options.seed)
    }

    public var softmax: SoftmaxMode { options.softmax ?? lesson.softmax }

    public func makeModel(vocabSize: Int) -> CharModel {
        let config = CharModelConfig(vocabSize: vocabSize, nFac: lesson.nFac, nHidden: lesson.nHidden)
        switch lesson.model {
        case .char3: return Char3Model(config, rng: rng)
        case .charLoop: return CharLoopModel(config, rng: rng)
        case .charLoopConcat: return CharLoopConcatModel(config, rng: rng)
        case .charRnn: return CharRnn(config, rng: rng)
        case .charSeqRnn: return CharSeqRnn(config, softmax: softmax, rng: rng)
        case .linearSGD: preconditionFailure("LinearSGD is not a character model")
        }
    }

    public func makeOptimizer(_ name: String, model: Module, lr: Float) -> Optimizer {
        name == "sgd" ? SGD(model.parameters, lr: lr) : Adam(model.parameters, lr: lr)
    }

    /// The corpus, its rows in the lesson's layout, and the seed's validation split.
    public func loadData() throws -> (Corpus, CharDataset, Split) {
        let path = CorpusLocator.resolve(options.corpusPath)
        let corpus = try Corpus.load(path: path)
        let layout = lesson.layout ?? .windows
        let data = CharDataset(idx: corpus.idx, layout: layout, seqLength: lesson.model == .char3 ? 3 : lesson.seqLength)
        let needed = lesson.batchSize + (lesson.validation == "last-row" ? 1 : lesson.batchSize / 4 + 1)
        guard data.rows >= needed else {
            throw InputError("corpus \(path): \(corpus.length) characters give \(data.rows) rows in the \(layout.rawValue) layout; \(lesson.id) needs at least \(needed) (one batch of \(lesson.batchSize) plus validation rows)")
        }
        let split: Split
        if lesson.validation == "last-row" {
            split = .lastRow(rows: data.rows)
        } else {
            // The seed's get_cv_idxs argument: len(idx)-cs-1 for windows, len(xs)-cs-1 for sequences.
            let n = layout == .sequences ? data.rows - lesson.seqLength - 1 : data.rows
            split = .cv(rows: data.rows, n: n, rng: SeededGenerator(seed: options.seed))
        }
        return (corpus, data, split)
    }

    /// Train with the lesson's schedule (scaled), printing the seed's fit table.
    public func runCharModel(say: (String) -> Void, progress: ((FitEvent) -> Void)? = nil) throws -> (CharModel, Corpus, [EpochResult]) {
        let (corpus, data, split) = try loadData()
        let model = makeModel(vocabSize: corpus.vocabSize)
        say("\(lesson.title)")
        say("corpus: \(corpus.source), \(corpus.length) characters, vocab \(corpus.vocabSize); \(data.rows) rows (\(split.train.count) train, \(split.valid.count) valid)")
        say("model: \(model.kind) (\(model.parameterCount) parameters)\(lesson.model == .charSeqRnn ? ", log_softmax over \(softmax == .vocab ? "the vocabulary (dim 2)" : "time (dim 0, PyTorch 0.3's implicit dim)")" : "")")
        let trainer = Trainer(model: model, data: data, split: split, batchSize: lesson.batchSize, rng: rng)
        var all: [EpochResult] = []
        var optimizer: Optimizer?
        for phase in lesson.schedule {
            let epochs = phase.epochs * options.epochsScale
            guard epochs > 0 else { continue }
            if let opt = optimizer { opt.lr = phase.lr; say("set_lrs(opt, \(phase.lr))") }
            else {
                optimizer = makeOptimizer(phase.optimizer, model: model, lr: phase.lr)
                say("opt = \(phase.optimizer == "adam" ? "optim.Adam" : "optim.SGD")(m.parameters(), \(phase.lr))")
            }
            say("fit(m, md, \(formatEpochs(epochs)), opt, \(model.predictsSequence ? "nll_loss_seq" : "F.nll_loss"))")
            let rows = trainer.fit(epochs: epochs, optimizer: optimizer!) { event in
                progress?(event)
                if case .epoch(let r) = event { say(FitTable.row(r)) }
            }
            all += rows
        }
        return (model, corpus, all)
    }

    func formatEpochs(_ e: Double) -> String {
        e == e.rounded() ? String(Int(e)) : String(format: "%.3g", e)
    }

    /// Lesson 1: the seed's hand-written gradient descent on y = a·x + b.
    public func runLinearSGD(say: (String) -> Void) -> (a: Float, b: Float, maxGradDiff: Float, losses: [Float]) {
        let d = lesson.linearData
        let (x, y) = LinearSGD.fakeData(n: d.points, a: d.a, b: d.b, rng: rng)
        let a0 = rng.normal(), b0 = rng.normal()
        say("\(lesson.title)")
        say("x, y = gen_fake_data(\(d.points), \(d.a), \(d.b))    # x ~ U(0,1), y = a·x + b + 0.1·N(0,3)")
        say(String(format: "a, b = %.4f, %.4f    # random start", a0, b0))
        var maxDiff: Float = 0
        var losses: [Float] = []
        var (a, b) = (a0, b0)
        for phase in lesson.schedule {
            let iterations = max(1, Int((Double(phase.iterations) * options.epochsScale).rounded()))
            say("learning_rate = \(phase.lr); \(iterations) iterations")
            (a, b) = LinearSGD.train(x: x, y: y, a0: a, b0: b, lr: phase.lr, iterations: iterations) { step in
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
