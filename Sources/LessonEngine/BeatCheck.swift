import Models
import TensorCore

extension Lesson {
    /// Every narration beat at a label must name an op of the lesson's step. Checked when the
    /// lesson is loaded, on a miniature of its model (the same ops and labels, a few units wide,
    /// two made-up rows), so every command refuses a misspelt `at:` up front, whether or not
    /// it records the step in memory.
    public func checkBeatLabels() throws {
        guard beats.contains(where: { $0.at != nil }) else { return }
        try Replay.checkBeats(self, try Replay.miniatureStep(self), ignoringSizes: true)
    }

    /// A label with the numbers that follow `[`, `,`, a space or `*` replaced by `#`: the shapes
    /// in `reshape(h8, [1, 512, 256])` and the rating range in `sigmoid(res)*4.5` depend on the
    /// batch, the sizes and the data, the op and its operands (`h8`, `bns.0`) do not.
    static func withoutSizes(_ label: String) -> String {
        var out = "", previous: Character = "\0", inNumber = false
        for c in label {
            let digit = c.isASCII && (c.isNumber || (inNumber && c == "."))
            if digit && (inNumber || "[, *".contains(previous)) {
                if !inNumber { out.append("#") }
                inNumber = true
            } else {
                inNumber = false
                out.append(c)
            }
            previous = c
        }
        return out
    }
}

extension Replay {
    /// The events of one training step of a miniature of `lesson`'s model. It draws from its own
    /// generator, so the run's weights and batches are untouched.
    static func miniatureStep(_ lesson: Lesson) throws -> [TraceEvent] {
        var mini = lesson
        mini.nFac = min(lesson.nFac, 3)
        mini.nHidden = min(lesson.nHidden, 4)
        mini.nFactors = min(lesson.nFactors, 3)
        let runner = LessonRunner(lesson: mini, options: RunOptions())
        let memory = MemorySink()
        let phase = lesson.schedule[0]
        if lesson.model == .linearSGD {
            let a = Tensor(shape: [1], data: [1], label: "a", requiresGrad: true)
            let b = Tensor(shape: [1], data: [1], label: "b", requiresGrad: true)
            let opt = SGD([("a", a), ("b", b)], lr: phase.lr)
            Tracer.recording(level: .summary, to: memory) {
                LinearSGD.loss(a: a, b: b, x: Tensor(shape: [2], data: [0, 1], label: "x"),
                               y: Tensor(shape: [2], data: [1, 2], label: "y")).backward()
                opt.step()
            }
            return memory.events
        }
        if lesson.model.isRatings {
            var ratings = RatingsOptions()
            ratings.synthetic = true
            ratings.syntheticConfig = .small(users: 10, movies: 20, ratings: 60)
            let movies = try ratings.load()
            let cf = CollabFilterDataset(movies)
            let model = CollabRunner.makeModel(mini, data: cf, titles: movies.titles, rng: runner.rng)
            let (users, items, y) = cf.batch([0, 1])
            let opt = Adam(model.parameters, lr: phase.lr, weightDecay: phase.weightDecay)
            Tracer.recording(level: .summary, to: memory) {
                model.loss(model.forward(users: users, items: items), y).backward()
                opt.step()
            }
            return memory.events
        }
        let seqLength = lesson.model == .char3 ? 3 : lesson.seqLength
        let corpus = Corpus(text: String(repeating: "ab", count: 4 * (seqLength + 2)), source: "miniature")
        let data = CharDataset(idx: corpus.idx, layout: lesson.layout ?? .windows, seqLength: seqLength)
        let model = runner.makeModel(vocabSize: corpus.vocabSize)
        let (x, y) = data.batch([0, 1])
        let opt = runner.makeOptimizer(phase.optimizer, model: model, lr: phase.lr)
        Tracer.recording(level: .summary, to: memory) {
            model.loss(model.forward(x), y).backward()
            opt.step()
        }
        return memory.events
    }
}
