import Foundation
import Models
import Formats
import TensorCore

/// Everything needed to continue `run` after a whole epoch as if it had never stopped: the
/// weights, Adam's moments and step count, the position in the schedule, the smoothed loss, the
/// generator's state (it draws the next epoch's batch order) and the table so far. One
/// safetensors file: tensors under their state_dict names (`adam.m.<name>`, `adam.v.<name>` for
/// the moments) and the rest as one `Checkpoint.Metadata` value, JSON in the header's metadata.
public struct Checkpoint {
    /// What must match between the run that wrote a checkpoint and the one resuming it.
    public struct Identity: Equatable, Codable {
        public var lesson: String
        public var model: String
        public var seed: UInt64
        public var epochsScale: Double
        public var lr: Float?
        public var softmax: String
        public var batchSize: Int
        public var corpusLength: Int
        public var vocabSize: Int
        /// The lesson's schedule (`adam 0.001 x1; adam 0.0001 x2`) and validation mode, and the
        /// corpus's size and SHA-256: a changed lesson file or data is a different run.
        public var schedule: String
        public var validation: Lesson.Validation
        public var corpusBytes: Int
        public var corpusSHA256: String

        public init(lesson: Lesson, options: RunOptions, softmax: SoftmaxMode, corpus: Corpus) {
            self.lesson = lesson.id; model = lesson.model.rawValue; seed = options.seed
            epochsScale = options.epochsScale; lr = options.lr; self.softmax = softmax.rawValue
            batchSize = lesson.batchSize; corpusLength = corpus.length; vocabSize = corpus.vocabSize
            schedule = Identity.describe(lesson.schedule); validation = lesson.validation
            corpusBytes = corpus.byteCount; corpusSHA256 = corpus.sha256
        }

        init(lesson: String, model: String, seed: UInt64, epochsScale: Double, lr: Float?, softmax: String,
             batchSize: Int, corpusLength: Int, vocabSize: Int, schedule: String, validation: Lesson.Validation,
             corpusBytes: Int, corpusSHA256: String) {
            self.lesson = lesson; self.model = model; self.seed = seed; self.epochsScale = epochsScale
            self.lr = lr; self.softmax = softmax; self.batchSize = batchSize
            self.corpusLength = corpusLength; self.vocabSize = vocabSize
            self.schedule = schedule; self.validation = validation
            self.corpusBytes = corpusBytes; self.corpusSHA256 = corpusSHA256
        }

        static func describe(_ schedule: [Lesson.Phase]) -> String {
            schedule.map { "\($0.optimizer) \($0.lr) x\($0.epochs)" }.joined(separator: "; ")
        }

        /// The first difference, as one line.
        public func check(against run: Identity, source: String) throws {
            func differ(_ what: String, _ saved: Any, _ now: Any) -> InputError {
                InputError("checkpoint \(source) was made with \(what) \(saved); this run has \(now)")
            }
            if lesson != run.lesson { throw differ("lesson", lesson, run.lesson) }
            if model != run.model { throw differ("model", model, run.model) }
            if seed != run.seed { throw differ("--seed", seed, run.seed) }
            if epochsScale.bitPattern != run.epochsScale.bitPattern { throw differ("--epochs-scale", epochsScale, run.epochsScale) }
            if lr?.bitPattern != run.lr?.bitPattern { throw differ("--lr", lr.map { "\($0)" } ?? "(none)", run.lr.map { "\($0)" } ?? "(none)") }
            if softmax != run.softmax { throw differ("--softmax", softmax, run.softmax) }
            if batchSize != run.batchSize { throw differ("batch size", batchSize, run.batchSize) }
            if schedule != run.schedule { throw differ("the schedule", "'\(schedule)'", "'\(run.schedule)'") }
            if validation != run.validation { throw differ("validation", validation, run.validation) }
            if corpusLength != run.corpusLength || vocabSize != run.vocabSize {
                throw differ("a corpus of", "\(corpusLength) characters (vocab \(vocabSize))", "\(run.corpusLength) (vocab \(run.vocabSize))")
            }
            if corpusBytes != run.corpusBytes || corpusSHA256 != run.corpusSHA256 {
                throw differ("a corpus of", "\(corpusBytes) bytes, sha256 \(corpusSHA256.prefix(12))…", "\(run.corpusBytes) bytes, sha256 \(run.corpusSHA256.prefix(12))…")
            }
        }
    }

    public var identity: Identity
    /// Index of the schedule phase being trained.
    public var phase: Int
    /// Position inside that phase's `fit`.
    public var position: FitPosition
    public var rng: SeededGenerator.State
    public var optimizer: Lesson.OptimizerKind
    public var adamStep: Int
    public var results: [EpochResult]
    /// Every training batch's loss so far and how many batches each epoch had, so a resumed
    /// run's loss plot shows the whole run.
    public var batchLosses: [Float] = []
    public var epochBatches: [Int] = []
    public var parameters: [String: Tensor]
    /// `adam.m.<name>` and `adam.v.<name>`.
    public var optimizerTensors: [String: Tensor]

    public static let format = "unrolled-checkpoint-3"
    /// The safetensors metadata key holding `Metadata` as JSON.
    public static let metadataKey = "unrolled_checkpoint"
    static let historyTensor = "history.batch_loss"
    /// Bounds on counters read from a file, checked before any arithmetic uses them.
    static let maxCount = Int(Int32.max)

    public init(identity: Identity, phase: Int, position: FitPosition, rng: SeededGenerator.State,
                optimizer: Lesson.OptimizerKind, optimizerState: Optimizer, results: [EpochResult], model: Module) {
        self.identity = identity; self.phase = phase; self.position = position; self.rng = rng
        self.optimizer = optimizer; self.results = results
        parameters = Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0.tensor.detached()) })
        var extra: [String: Tensor] = [:]
        adamStep = 0
        if let adam = optimizerState as? Adam {
            adamStep = adam.stepCount
            for (i, (name, p)) in model.parameters.enumerated() {
                extra["adam.m.\(name)"] = Tensor(shape: p.shape, data: adam.m[i])
                extra["adam.v.\(name)"] = Tensor(shape: p.shape, data: adam.v[i])
            }
        }
        optimizerTensors = extra
    }

    /// Adam's first ("m") or second ("v") moments in the optimizer's parameter order.
    public func moments(_ adam: Adam, _ which: String) throws -> [[Float]] {
        try adam.parameterNames.map { name in
            guard let t = optimizerTensors["adam.\(which).\(name)"] else {
                throw InputError("checkpoint: missing Adam state 'adam.\(which).\(name)'")
            }
            return t.data
        }
    }

    /// An exclusive flock(2) on a checkpoint directory, held while the run lives: two runs
    /// writing one directory would overwrite each other's epochs.
    public final class DirectoryLock {
        let fd: Int32
        init(_ directory: String) throws {
            fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { throw InputError("--checkpoint \(directory): cannot open (\(String(cString: strerror(errno))))") }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                close(fd)
                throw InputError("--checkpoint \(directory): another run is writing checkpoints here (the directory is locked); wait for it or choose another directory")
            }
        }
        deinit { close(fd) }
    }

    /// `DIR/<lesson>.checkpoint.safetensors`, after making sure DIR exists and is writable, and
    /// the lock that keeps other runs out of DIR.
    public static func prepare(directory: String, lesson: String) throws -> (path: String, lock: DirectoryLock) {
        var isDir: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) {
            do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                throw InputError("--checkpoint \(directory): cannot create directory (\(String(cString: strerror(errno))))")
            }
        } else if !isDir.boolValue {
            throw InputError("--checkpoint \(directory): is a file, expected a directory")
        }
        let path = (directory.hasSuffix("/") ? directory : directory + "/") + "\(lesson).checkpoint.safetensors"
        let lock = try DirectoryLock(directory)
        do { try AtomicFile.checkDestination(path, probe: true) } catch let e as FileWriteError {
            throw InputError("--checkpoint \(e.description)")
        }
        return (path, lock)
    }

    // MARK: file

    public func write(to path: String) throws {
        do {
            try SafeTensors.write(tensors(), to: URL(fileURLWithPath: path), metadata: metadata())
        } catch let e as SafeTensorsError {
            throw InputError("checkpoint \(e.description)")
        }
    }

    /// What the file holds: parameters, Adam's moments and the loss history.
    public func tensors() -> [String: Tensor] {
        var tensors = parameters.merging(optimizerTensors) { a, _ in a }
        tensors[Checkpoint.historyTensor] = Tensor(shape: [batchLosses.count], data: batchLosses)
        return tensors
    }

    /// Everything in a checkpoint but its tensors. Floats round-trip exactly: JSON numbers are
    /// written as the shortest text that reads back to the same value.
    public struct Metadata: Codable, Equatable {
        public var format: String
        public var identity: Identity
        public var phase: Int
        public var epoch: Int
        public var smoother: Smoother
        public var rng: SeededGenerator.State
        public var optimizer: Lesson.OptimizerKind
        public var adamStep: Int
        public var results: [EpochResult]
        /// Batches per epoch, for the loss history tensor.
        public var epochBatches: [Int]

        public struct Smoother: Codable, Equatable {
            public var average: Double
            public var count: Int
        }

        static func coders() -> (JSONEncoder, JSONDecoder) {
            let encoder = JSONEncoder(), decoder = JSONDecoder()
            encoder.outputFormatting = [.sortedKeys]
            // A diverged run's losses are NaN or infinite; JSON has no such numbers.
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            return (encoder, decoder)
        }
    }

    public var metadataValue: Metadata {
        Metadata(format: Checkpoint.format, identity: identity, phase: phase, epoch: position.epoch,
                 smoother: .init(average: position.smoother.average, count: position.smoother.count),
                 rng: rng, optimizer: optimizer, adamStep: adamStep, results: results, epochBatches: epochBatches)
    }

    /// The header's metadata: `Metadata` as JSON under one key.
    public func metadata() -> [String: String] {
        let json = try! Metadata.coders().0.encode(metadataValue)  // plain structs of numbers and strings
        return [Checkpoint.metadataKey: String(decoding: json, as: UTF8.self)]
    }

    /// Read and check a checkpoint; any missing or malformed field is one `InputError` line.
    public static func read(_ path: String) throws -> Checkpoint {
        var file = path
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            let found = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".checkpoint.safetensors") }.sorted()
            guard found.count == 1 else {
                throw InputError("--resume \(path): a directory with \(found.count) checkpoint files; name the file")
            }
            file = path + "/" + found[0]
        }
        if let problem = InputFile.problem(file) { throw InputError("--resume \(file): \(problem)") }
        let st: SafeTensorsFile
        do { st = try SafeTensors.readFile(URL(fileURLWithPath: file)) } catch let e as SafeTensorsError {
            throw InputError("checkpoint \(e.description)")
        }
        return try decode(st, file: file)
    }

    /// Check a checkpoint's fields, already read from `file` (the fuzzer calls this directly).
    public static func decode(_ st: SafeTensorsFile, file: String) throws -> Checkpoint {
        guard let text = st.metadata[metadataKey] else {
            let old = st.metadata["format"].map { " (format '\($0)', expected '\(format)')" } ?? ""
            throw InputError("checkpoint \(file): no '\(metadataKey)' metadata\(old); not a checkpoint written by this version of `unrolled run --checkpoint`")
        }
        let m: Metadata
        do { m = try Metadata.coders().1.decode(Metadata.self, from: Data(text.utf8)) } catch let error as DecodingError {
            throw InputError("checkpoint \(file): \(describe(error))")
        }
        guard m.format == format else { throw InputError("checkpoint \(file): format '\(m.format.prefix(40))', expected '\(format)'") }
        func bad(_ key: String, _ value: Any, _ expected: String) -> InputError {
            InputError("checkpoint \(file): '\(key)' is \(String(describing: value).prefix(40)), expected \(expected)")
        }
        // Every count is bounded before any arithmetic uses it.
        let counts: [(String, Int)] = [("phase", m.phase), ("epoch", m.epoch), ("adamStep", m.adamStep),
                                       ("smoother.count", m.smoother.count), ("identity.batchSize", m.identity.batchSize),
                                       ("identity.corpusLength", m.identity.corpusLength), ("identity.vocabSize", m.identity.vocabSize),
                                       ("identity.corpusBytes", m.identity.corpusBytes)]
            + m.results.map { ("results.epoch", $0.epoch) }
        for (key, v) in counts where !(0...maxCount).contains(v) {
            throw bad(key, v, "a whole number from 0 to \(maxCount)")
        }
        for n in m.epochBatches where !(1...maxCount).contains(n) {
            throw bad("epochBatches", n, "a whole number of batches from 1 to \(maxCount)")
        }
        guard m.rng.words.count == 4, m.rng.words.contains(where: { $0 != 0 }) else {
            throw bad("rng.words", m.rng.words, "four words, not all zero")
        }
        var c = Checkpoint(identity: m.identity, phase: m.phase,
                           position: FitPosition(epoch: m.epoch, smoother: SmoothedLoss(average: m.smoother.average, count: m.smoother.count)),
                           rng: m.rng, optimizer: m.optimizer, adamStep: m.adamStep, results: m.results,
                           parameters: [:], optimizerTensors: [:])
        let epochBatches = m.epochBatches
        for (name, t) in st.tensors {
            if name == historyTensor { c.batchLosses = t.data }
            else if name.hasPrefix("adam.") { c.optimizerTensors[name] = t } else { c.parameters[name] = t }
        }
        c.epochBatches = epochBatches
        guard epochBatches.count == m.results.count, epochBatches.reduce(0, +) == c.batchLosses.count else {
            throw InputError("checkpoint \(file): its loss history (\(c.batchLosses.count) batches in \(epochBatches.count) epochs) does not match its \(m.results.count) table rows")
        }
        return c
    }

    init(identity: Identity, phase: Int, position: FitPosition, rng: SeededGenerator.State, optimizer: Lesson.OptimizerKind,
         adamStep: Int, results: [EpochResult], parameters: [String: Tensor], optimizerTensors: [String: Tensor]) {
        self.identity = identity; self.phase = phase; self.position = position; self.rng = rng
        self.optimizer = optimizer; self.adamStep = adamStep; self.results = results
        self.parameters = parameters; self.optimizerTensors = optimizerTensors
    }
}

/// A decoding failure as the field it happened at and what was wrong there.
private func describe(_ error: DecodingError) -> String {
    func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }
    switch error {
    case .keyNotFound(let key, let c): return "missing '\(path(c.codingPath + [key]))'"
    case .valueNotFound(_, let c): return "'\(path(c.codingPath))' is null"
    case .typeMismatch(let type, let c): return "malformed '\(path(c.codingPath))' field (expected \(type))"
    case .dataCorrupted(let c):
        return c.codingPath.isEmpty ? "its metadata is not JSON" : "malformed '\(path(c.codingPath))' field (\(c.debugDescription.prefix(80)))"
    @unknown default: return "malformed metadata"
    }
}
