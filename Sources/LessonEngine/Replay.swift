import Foundation
import Models
import TensorCore

/// One training step of a lesson, recorded with every value: forward ops in order, the loss,
/// backward rules in reverse, and the optimizer's update of each parameter. The step CLI, the
/// trace command and the graph renderer all read this.
public struct Replay {
    public let lesson: Lesson
    public let events: [TraceEvent]
    /// The model's parameter names (empty for linear SGD's a and b, which are named a, b).
    public let parameterNames: [String]
    /// What the learner should know about the batch (`512 rows of 3 characters`).
    public let batchDescription: String

    /// Forward values by tensor id (outputs of forward events, and leaf inputs), for printing
    /// and explaining.
    public let valuesByID: [Int: TracedTensor]
    /// The corpus's characters by index (empty for linear SGD), to label a class axis.
    public internal(set) var vocabulary: [Unicode.Scalar] = []

    init(lesson: Lesson, events: [TraceEvent], parameterNames: [String], batchDescription: String) {
        self.lesson = lesson
        self.events = events
        self.parameterNames = parameterNames
        self.batchDescription = batchDescription
        var values: [Int: TracedTensor] = [:]
        for e in events where e.phase == .forward {
            for t in e.inputs where t.values != nil && values[t.id] == nil { values[t.id] = t }
            for t in e.outputs { values[t.id] = t }
        }
        valuesByID = values
    }

    /// A beat `at:` a label that no forward op of the step carries would never be shown: an
    /// error naming it, instead of narration that silently disappears.
    /// `sizes` matches labels whatever their batch, width or rating range (`Lesson.checkBeatLabels`).
    static func checkBeats(_ lesson: Lesson, _ events: [TraceEvent], ignoringSizes sizes: Bool = false) throws {
        let events = sizes ? events.map { e -> TraceEvent in var e = e; e.label = Lesson.withoutSizes(e.label); return e } : events
        for (i, original) in lesson.beats.enumerated() {
            var beat = original
            if sizes { beat.at = beat.at.map(Lesson.withoutSizes) }
            // A beat at a label belongs to an op of its phase (forward unless it names one).
            if let at = original.at, beat.anchor(in: events) == nil {
                let phase = beat.phase ?? "forward"
                let labels = Set(events.lazy.filter { $0.phase.rawValue == phase }.map(\.label))
                let near = labels.min { editDistance($0, at) < editDistance($1, at) }
                    .flatMap { editDistance($0, at) <= 3 ? " (did you mean '\($0)'?)" : nil } ?? ""
                throw InputError("lesson \(lesson.source): beats[\(i)].at '\(at.oneLine)' is not the label of any \(phase) op of \(lesson.id)'s step\(near)")
            }
        }
    }

    public func count(_ phase: TracePhase) -> Int { events.filter { $0.phase == phase }.count }

    /// The checks `record` makes on its arguments before any work, callable alone (`step` and
    /// `trace` make them before opening any output).
    public static func checkArguments(options: RunOptions, batch: Int?, atStep: Int, weights: String?) throws {
        guard atStep >= 0 else { throw InputError(usage: "--at-step: expected a whole number ≥ 0, got \(atStep)") }
        if weights != nil && (atStep > 0 || options.resume != nil) {
            throw InputError("--weights replays the first step with those weights; it does not combine with --at-step or --resume")
        }
        if let batch, !(1...Lesson.Limits.batch).contains(batch) {
            throw InputError(usage: "--batch: expected a whole number from 1 to \(Lesson.Limits.batch), got \(batch)")
        }
        try options.validate()
    }

    /// Record one step of `lesson` at `level` (`full` for stepping). `batch` overrides the
    /// lesson's batch size (smaller batches make values easier to read). `atStep` N trains N
    /// steps with the lesson's schedule first (untraced, as `run` would, after `options.resume`'s
    /// checkpoint when given) and records step N + 1 on its real batch. `weights` (a safetensors
    /// file) replaces the model's initial weights, to replay a trained model's first step.
    public static func record(lesson: Lesson, options: RunOptions, batch: Int? = nil,
                              level: TraceLevel = .full, sink: TraceSink? = nil, atStep: Int = 0,
                              weights: String? = nil) throws -> Replay {
        try checkArguments(options: options, batch: batch, atStep: atStep, weights: weights)
        // One runtime for the whole replay: with --at-step, training up to the step and the
        // recorded step share tensor ids, so the trace numbers them once.
        let runner = LessonRunner(lesson: lesson, options: options)
        return try runner.runtime.activate {
            try record(runner, batch: batch, level: level, sink: sink, atStep: atStep, weights: weights)
        }
    }

    static func record(_ runner: LessonRunner, batch: Int?, level: TraceLevel, sink: TraceSink?, atStep: Int,
                       weights: String?) throws -> Replay {
        let (lesson, options) = (runner.lesson, runner.options)
        let memory = MemorySink()
        let target: TraceSink = sink ?? memory
        if lesson.model == .linearSGD {
            if weights != nil { throw InputError("--weights: linear-sgd's a and b are not read from a weights file") }
            let story = LinearStory(runner: runner)
            let lr = story.lr
            let a = Tensor(shape: [1], data: [story.a0], label: "a", requiresGrad: true)
            let b = Tensor(shape: [1], data: [story.b0], label: "b", requiresGrad: true)
            if atStep > 0 {
                // The lesson's own loop, untraced, on all the points (the run trains on all of them).
                let (a1, b1) = try LinearSGD.fit(x: story.x, y: story.y, a0: story.a0, b0: story.b0, lr: lr, iterations: atStep) { _ in }
                a.assign([a1]); b.assign([b1])
            }
            // --batch shows the first n of the same points, to keep the numbers readable.
            let n = min(batch ?? story.x.count, story.x.count)
            let (x, y) = (Array(story.x.prefix(n)), Array(story.y.prefix(n)))
            let position = atStep > 0 ? String(format: "; iteration %d at a = %.4f, b = %.4f", atStep + 1, a.data[0], b.data[0]) : ""
            let opt = SGD([("a", a), ("b", b)], lr: lr)
            Tracer.recording(level: level, to: target) {
                let loss = LinearSGD.loss(a: a, b: b, x: Tensor(shape: [n], data: x, label: "x"),
                                          y: Tensor(shape: [n], data: y, label: "y"))
                loss.backward()
                opt.step()
            }
            if sink == nil { try checkBeats(lesson, memory.events) }
            return Replay(lesson: lesson, events: memory.events, parameterNames: ["a", "b"],
                          batchDescription: (n < story.x.count ? "the first \(n) of " : "") + story.summary
                            + position)
        }
        if lesson.model.isRatings {
            guard atStep == 0, options.resume == nil else {
                throw InputError("--at-step/--resume: the collab lesson records its first step only")
            }
            return try recordCollab(lesson: lesson, options: options, runner: runner, batch: batch, level: level, target: target, memory: memory)
        }
        let corpus: Corpus, data: CharDataset, model: CharModel, opt: Optimizer, rows: [Int], phase: Lesson.Phase
        var position = ""
        if atStep > 0 || options.resume != nil {
            // Train as `run` would and stop before step atStep + 1, whose batch is recorded.
            var o = options
            o.checkpointDirectory = nil
            var reached: TrainingStep?
            do {
                _ = try LessonRunner(lesson: lesson, options: o, runtime: runner.runtime).runCharModel(say: { _ in }, beforeStep: { step in
                    if step.step == atStep + 1 { reached = step; throw ReachedStep() }
                })
                throw InputError("--at-step \(atStep): the schedule\(options.epochsScale != 1 ? " (scaled by --epochs-scale)" : "") ends before step \(atStep + 1)")
            } catch is ReachedStep {
                let r = reached!
                (corpus, data, model, opt) = (r.corpus, r.data, r.model, r.optimizer)
                rows = Array(r.rows.prefix(batch ?? r.rows.count))
                phase = lesson.schedule[r.phase]
                position = ", step \(r.step) (epoch \(r.epoch + 1), phase \(r.phase + 1))"
            }
        } else {
            let split: Split
            (corpus, data, split) = try runner.loadData(batch: batch, tracedInMemory: sink == nil)
            model = runner.makeModel(vocabSize: corpus.vocabSize)
            if let weights { try Weights.load(weights, into: model) }
            let size = min(batch ?? lesson.batchSize, split.train.count)
            // The first shuffled mini-batch, as fit() would draw it.
            let order = BatchOrder(count: split.train.count, rng: runner.rng)
            rows = (0..<size).map { split.train[order[$0]] }
            phase = lesson.schedule[0]
            opt = runner.makeOptimizer(phase.optimizer, model: model, lr: runner.lr(phase))
        }
        let size = rows.count
        let (x, y) = data.batch(rows[...])
        opt.zeroGrad()
        Tracer.recording(level: level, to: target) {
            let loss = model.loss(model.forward(x), y)
            loss.backward()
            opt.step()
        }
        if sink == nil { try checkBeats(lesson, memory.events) }
        let preview = (0..<min(size, 2)).map { r in
            "'" + corpus.decode((0..<data.width).map { Int(x.data[r * data.width + $0]) }).oneLine + "'"
        }.joined(separator: ", ")
        var replay = Replay(lesson: lesson, events: memory.events, parameterNames: model.parameters.map(\.name),
                            batchDescription: "\(size) rows of \(data.width) characters (\(preview), …) from \(corpus.source); \(model.kind), \(phase.optimizer) lr \(phase.lr)\(position)")
        replay.vocabulary = corpus.chars
        return replay
    }

    /// The collab lesson's first training step, as `run collab` takes it: the same initial
    /// weights and first shuffled batch, Adam at SGDR's first learning rate.
    static func recordCollab(lesson: Lesson, options: RunOptions, runner: LessonRunner, batch: Int?, level: TraceLevel,
                             target: TraceSink, memory: MemorySink) throws -> Replay {
        let movies = try options.ratings.load(default: lesson.ratings)
        let cf = CollabFilterDataset(movies)
        let split = cf.cvSplit()
        guard !split.train.isEmpty else { throw InputError("\(movies.directory): no training rows") }
        let model = CollabRunner.makeModel(lesson, data: cf, titles: movies.titles, rng: runner.rng)
        let size = min(batch ?? lesson.batchSize, split.train.count)
        let order = runner.rng.permutation(split.train.count)
        let rows = order[0..<size].map { split.train[$0] }
        let (users, items, y) = cf.batch(rows[...])
        let phase = lesson.schedule[0]
        let batches = (split.train.count + lesson.batchSize - 1) / lesson.batchSize
        var schedule = CosineAnnealing(batchesPerEpoch: batches, cycleLen: phase.sgdr?.cycleLen ?? 1, cycleMult: phase.sgdr?.cycleMult ?? 1)
        let lr = schedule.next(base: runner.lr(phase))
        let opt = Adam(model.parameters, lr: lr, weightDecay: phase.weightDecay)
        Tracer.recording(level: level, to: target) {
            let loss = model.loss(model.forward(users: users, items: items), y)
            loss.backward()
            opt.step()
        }
        let first = (0..<min(size, 2)).map { r in "user \(cf.users[Int(users.data[r])]) rated movie \(cf.items[Int(items.data[r])]) \(y.data[r])" }
        return Replay(lesson: lesson, events: memory.events, parameterNames: model.parameters.map(\.name),
                      batchDescription: "\(size) ratings (\(first.joined(separator: ", ")), …) from \(movies.isSynthetic ? "the SYNTHETIC set" : movies.directory); \(model.kind), adam lr \(lr) (SGDR's first batch), weight_decay \(phase.weightDecay)")
    }
}
