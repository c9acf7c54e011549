import ArgumentParser
import Foundation
import LessonEngine
import Models
import TensorCore
import UnrolledCLI

/// `make bench`'s measured unit of work (`unrolled-dev bench-run`): one lesson trained for a given number of
/// epochs at its schedule's first learning rate, with every step traced at a given level to a
/// sink that only counts events, reported as one JSON line. Times training (steps and the
/// per-epoch validation) only, like bench/pytorch_lessons.py; not corpus loading.
struct BenchRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-run",
        abstract: "Time one lesson's training for make bench (one JSON line).")

    @Argument(help: "Lesson id or path to a lesson .yaml file.")
    var lesson: String

    @OptionGroup var options: LessonOptions

    @Option(name: .long, help: "Epochs at the first phase's learning rate (iterations × this for linear-sgd).")
    var epochs: Double = 1

    @Option(name: .long, help: "off, summary or full: every op of every step is traced to a counting sink.")
    var traceLevel: String = "off"

    func run() throws {
        try reportingErrors {
            guard let level = TraceLevel(rawValue: traceLevel) else {
                throw InputError(usage: "--trace-level: expected off, summary or full, got '\(traceLevel)'")
            }
            guard epochs > 0, epochs.isFinite else { throw InputError("--epochs must be positive") }
            guard Tracer.compiledIn || level == .off else {
                throw InputError("--trace-level \(level.rawValue): this build has tracing compiled out (UNROLLED_NO_TRACE=1); only off runs")
            }
            var lesson = try catalog().lesson(self.lesson)
            lesson.schedule = [lesson.schedule[0]]
            lesson.schedule[0].epochs = epochs
            let sink = CountingSink()
            var result: [String: Any] = ["lesson": lesson.id, "trace_level": level.rawValue,
                                         "trace_compiled_in": Tracer.compiledIn, "blas_threads": BLAS.threads]
            if lesson.model.isRatings {
                // The synthetic set at ml-latest-small's size (100,004 ratings), as bench/pytorch_collab.py reads it.
                let movies = try options.runOptions().ratings.load(default: .synthetic)
                let cf = CollabFilterDataset(movies)
                let phase = lesson.schedule[0]
                let rng = SeededGenerator(seed: options.seed)
                let model = CollabRunner.makeModel(lesson, data: cf, titles: movies.titles, rng: rng)
                let trainer = CollabTrainer(model: model, data: cf, split: cf.cvSplit(), batchSize: lesson.batchSize, rng: rng)
                let count = max(1, Int(epochs.rounded()))
                let schedule = SGDRSchedule(lr: phase.lr, cycles: 1, cycleLen: count, cycleMult: 1, weightDecay: phase.weightDecay)
                var rows: [EpochResult] = []
                let seconds = try timed(level: level, sink: sink) {
                    rows = try trainer.fit(schedule, optimizer: Adam(model.parameters, lr: phase.lr, weightDecay: phase.weightDecay))
                }
                result["work"] = "\(count) epoch (SGDR cycle) of \(cf.count) synthetic ratings, \(trainer.batchesPerEpoch) batches of \(lesson.batchSize)"
                result["final_trn_loss"] = Double(rows.last?.trainLoss ?? .nan)
                result["final_val_loss"] = Double(rows.last?.validLoss ?? .nan)
                result["train_seconds"] = seconds
            } else if lesson.model == .linearSGD {
                let runner = LessonRunner(lesson: lesson, options: try options.runOptions())
                let d = lesson.linearData
                let (x, y) = LinearSGD.fakeData(n: d.points, a: d.a, b: d.b, rng: runner.rng)
                let iterations = max(1, Int((Double(lesson.schedule[0].iterations) * epochs).rounded()))
                var last: Float = .nan
                let seconds = timed(level: level, sink: sink) {
                    _ = LinearSGD.train(x: x, y: y, a0: runner.rng.normal(), b0: runner.rng.normal(),
                                        lr: lesson.schedule[0].lr, iterations: iterations,
                                        checkHandGradients: false) { last = $0.loss }
                }
                result["work"] = "\(iterations) iterations, \(d.points) points"
                result["final_loss"] = Double(last)
                result["train_seconds"] = seconds
            } else {
                let runner = LessonRunner(lesson: lesson, options: try options.runOptions())
                let (corpus, data, split) = try runner.loadData()
                let model = runner.makeModel(vocabSize: corpus.vocabSize)
                let trainer = Trainer(model: model, data: data, split: split, batchSize: lesson.batchSize, rng: runner.rng)
                let phase = lesson.schedule[0]
                let optimizer = runner.makeOptimizer(phase.optimizer, model: model, lr: phase.lr)
                var rows: [EpochResult] = []
                var batches = 0
                let seconds = try timed(level: level, sink: sink) {
                    rows = try trainer.fit(epochs: epochs, optimizer: optimizer) { event in
                        if case .batch = event { batches += 1 }
                    }
                }
                result["work"] = "\(epochs) epoch at lr \(phase.lr), \(batches) batches of \(lesson.batchSize)"
                result["final_trn_loss"] = Double(rows.last?.trainLoss ?? .nan)
                result["final_val_loss"] = Double(rows.last?.validLoss ?? .nan)
                result["train_seconds"] = seconds
            }
            result["gemm_gflop"] = Double(Runtime.current.work.flops) / 1e9
            result["gemm_seconds"] = Double(Runtime.current.work.nanoseconds) / 1e9
            result["gemm_pairs"] = Runtime.current.work.pairs
            result["parallel_regions"] = Runtime.current.work.regions
            result["trace_events"] = sink.count
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            result["peak_rss_mb"] = Double(usage.ru_maxrss) / 1024
            let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
            say(String(decoding: json, as: UTF8.self))
        }
    }

    /// Wall seconds of `body`, traced at `level` throughout.
    func timed(level: TraceLevel, sink: CountingSink, _ body: () throws -> Void) rethrows -> Double {
        Runtime.current.work = Work()
        let start = DispatchTime.now().uptimeNanoseconds
        if level == .off { try body() } else { try Tracer.recording(level: level, to: sink, body) }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}

