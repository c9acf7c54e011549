import Foundation
import Models
import TensorCore
import Yams

/// A lesson file (`lessons/*.yaml`): data, not code. It names a model and its hyperparameters,
/// the data layout, the seed's training schedule, and narrative beats anchored to op labels or
/// phases. See lessons/README.md for the schema.
public struct Lesson: Sendable, Equatable {
    public enum ModelKind: String, CaseIterable, Sendable {
        case linearSGD = "LinearSGD"
        case char3 = "Char3Model"
        case charLoop = "CharLoopModel"
        case charLoopConcat = "CharLoopConcatModel"
        case charRnn = "CharRnn"
        case charSeqRnn = "CharSeqRnn"
        case embeddingDotBias = "EmbeddingDotBias"
        case embeddingNet = "EmbeddingNet"
        case mixedInput = "MixedInputModel"

        /// Trained on MovieLens ratings by CollabRunner (SGDR schedule, ratings data).
        public var isRatings: Bool { [.embeddingDotBias, .embeddingNet, .mixedInput].contains(self) }
    }

    /// The character lessons read the corpus; lesson 1 makes its points, collab has a synthetic set.
    public var needsCorpus: Bool {
        [.char3, .charLoop, .charLoopConcat, .charRnn, .charSeqRnn].contains(model)
    }

    /// `optim.Adam` or `optim.SGD`, as a lesson's schedule names it.
    public enum OptimizerKind: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
        case adam, sgd
        public var description: String { rawValue }
    }

    /// Which rows are held out: the seed's `get_cv_idxs` (20%), or the layout's last row.
    public enum Validation: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
        case cv20 = "cv-20"
        case lastRow = "last-row"
        public var description: String { rawValue }
    }

    public struct Phase: Sendable, Equatable {
        public var optimizer: OptimizerKind
        public var lr: Float
        /// Epochs for character models (fractions allowed), iterations for linear SGD.
        public var epochs: Double
        public var iterations: Int
        public var printEvery: Int
        /// `fit(lr, cycles, cycle_len=, cycle_mult=)`: SGDR instead of a constant rate (collab).
        public var sgdr: SGDR?
        /// Adam's weight_decay (`wds=` in fastai 0.7).
        public var weightDecay: Float = 0
    }

    /// fastai 0.7's cosine annealing with restarts, one learning rate per batch.
    public struct SGDR: Sendable, Equatable {
        public var cycles: Int
        public var cycleLen: Int
        public var cycleMult: Int
    }

    /// Where the collab lesson's ratings come from unless `--ratings` or `--synthetic` says.
    public enum RatingsSource: String, CaseIterable, Sendable {
        /// ml-latest-small in the download cache (`unrolled data download movielens`).
        case movielens
        /// The planted-factor set, generated in memory (no download needed).
        case synthetic
    }

    public struct Beat: Sendable, Equatable {
        /// The op label this beat belongs to (`l_hidden(h+in1)`), or nil for a phase beat.
        public var at: String?
        /// The phase this beat opens (`forward`, `backward`, `update`); with `at`, the phase of
        /// the op it belongs to (`at: h1, phase: backward` is h1's backward rule); forward when nil.
        public var phase: String?
        public var text: String
    }

    public struct LinearData: Sendable, Equatable {
        public var points: Int = 10_000
        public var a: Float = 3
        public var b: Float = 8
    }

    /// How lesson 1's SGD run is shown: its points, start and learning rate are the run's own.
    public struct Animation: Sendable, Equatable {
        /// How many of the points are drawn (all of them are fitted).
        public var points = 50
        /// Pictures spread evenly over the run's iterations, start and end included.
        public var frames = 21
    }

    public var id: String
    public var title: String
    public var model: ModelKind
    public var nHidden = 256
    public var nFac = 42
    public var seqLength = 8
    public var batchSize = 512
    public var softmax: SoftmaxMode = .vocab
    public var layout: Layout?
    public var validation = Validation.cv20
    public var nFactors = 50
    public var ratings: RatingsSource = .movielens
    public var linearData = LinearData()
    public var animation = Animation()
    public var schedule: [Phase] = []
    public var beats: [Beat] = []
    /// Where it was read from, for messages.
    public var source = ""
}

// MARK: reading

extension Lesson {
    /// Upper bounds that keep a lesson within memory and time a laptop has; beyond them a typo
    /// (`n_hidden: 25600000`) would end in an out-of-memory kill instead of a message.
    public enum Limits {
        public static let width = 4096
        public static let seqLength = 1024
        public static let batch = 65_536
        public static let points = 10_000_000
        public static let iterations = 10_000_000
        public static let epochs = 1000.0
        public static let idBytes = 64
    }
}

extension Double {
    /// `1e+38`, `1000`: short enough for a message.
    var formatted: String { self == rounded() && Swift.abs(self) < 1e15 ? String(Int(self)) : "\(Float(self))" }
}

extension Lesson {
    /// Read and check a lesson file; every problem is one `InputError` line naming the file,
    /// the line and column, the field, and what was expected.
    public static func load(path: String) throws -> Lesson {
        if let problem = InputFile.problem(path) { throw InputError("lesson \(path): \(problem)") }
        guard InputFile.size(path) <= 1_000_000 else {
            throw InputError("lesson \(path): \(InputFile.size(path)) bytes; a lesson file is a small YAML file (at most 1 MB)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError("lesson \(path): cannot read file")
        }
        return try parse(data: data, source: path)
    }

    /// Parse a lesson file's bytes: size and encoding are checked before YAML sees them.
    public static func parse(data: Data, source: String) throws -> Lesson {
        guard data.count <= 1_000_000 else {
            throw InputError("lesson \(source): \(data.count) bytes; a lesson file is a small YAML file (at most 1 MB)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputError("lesson \(source): not valid UTF-8")
        }
        if let nul = text.unicodeScalars.firstIndex(of: "\0") {
            throw InputError("lesson \(source): NUL byte at offset \(text.unicodeScalars.distance(from: text.unicodeScalars.startIndex, to: nul)); expected YAML text")
        }
        return try parse(yaml: text, source: source)
    }

    public static func parse(yaml: String, source: String) throws -> Lesson {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw InputError("\(source): empty lesson file, expected a mapping with id, title, model, schedule")
            }
            root = node
        } catch let error as YamlError {
            throw InputError("\(source):\(yamlLocation(error)) malformed YAML: \(yamlProblem(error).split(separator: "\n").joined(separator: " "))")
        }
        return try LessonReader(source: source).lesson(root)
    }

    static func yamlLocation(_ e: YamlError) -> String {
        switch e {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return "\(mark.line):\(mark.column):"
        case .duplicatedKeysInMapping(_, let context):
            return "\(context.mark.line):\(context.mark.column):"
        default: return ""
        }
    }

    static func yamlProblem(_ e: YamlError) -> String {
        switch e {
        case .scanner(let ctx, let problem, _, _), .parser(let ctx, let problem, _, _), .composer(let ctx, let problem, _, _):
            return ctx.map { "\(problem) \($0.text)" } ?? problem
        case .reader(let problem, _, _, _): return problem
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicate key\(duplicates.count == 1 ? "" : "s") \(duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")) in one mapping"
        default:
            // Any other description, cut to its first line: messages here are one line.
            return "\(e)".split(separator: "\n").first.map(String.init) ?? "unreadable YAML"
        }
    }
}

/// Walks the YAML node tree with positions, so an unknown key or a wrong type is reported at
/// its line and column. (Codable decoding would silently ignore a typo like `epohcs`.)
struct LessonReader {
    let source: String

    func fail(_ node: Node?, _ message: String) -> InputError {
        let at = node?.mark.map { "\($0.line):\($0.column):" } ?? ""
        return InputError("\(source):\(at) \(message.oneLine)")
    }

    func mapping(_ node: Node, _ path: String, allowed: [String]) throws -> [String: Node] {
        guard case .mapping(let m) = node else { throw fail(node, "\(path): expected a mapping") }
        var out: [String: Node] = [:]
        for (k, v) in m {
            guard let key = k.string else { throw fail(k, "\(path): keys must be strings") }
            guard allowed.contains(key) else {
                let hint = DidYouMean.hint(for: key, among: allowed).map { " (\($0))" } ?? ""
                throw fail(k, "unknown key '\(key)' in \(path)\(hint); expected one of: \(allowed.joined(separator: ", "))")
            }
            out[key] = v
        }
        return out
    }

    func string(_ m: [String: Node], _ key: String, _ path: String, required: Bool = false) throws -> String? {
        guard let n = m[key] else {
            if required { throw InputError("\(source): \(path) is missing required key '\(key)'") }
            return nil
        }
        guard case .scalar(let s) = n else { throw fail(n, "\(path).\(key): expected a string") }
        return s.string
    }

    func number(_ m: [String: Node], _ key: String, _ path: String, positive: Bool = false, allowZero: Bool = false,
                max: Double = Double(Float.greatestFiniteMagnitude)) throws -> Double? {
        guard let n = m[key] else { return nil }
        guard case .scalar = n, let v = n.float ?? n.int.map(Double.init), v.isFinite else {
            throw fail(n, "\(path).\(key): expected a number, got '\(n.string ?? "?")'")
        }
        if positive && !(v > 0 || (allowZero && v == 0)) {
            throw fail(n, "\(path).\(key): expected a number \(allowZero ? "≥ 0" : "> 0"), got \(n.string ?? "\(v)")")
        }
        // Values are used as 32-bit floats: 1e300 would become inf and 1e-300 zero.
        guard Swift.abs(v) <= max else { throw fail(n, "\(path).\(key): \(n.string ?? "\(v)") is too large (at most \(max.formatted))") }
        if v != 0 && Float(v) == 0 { throw fail(n, "\(path).\(key): \(n.string ?? "\(v)") is too small for a 32-bit float") }
        return v
    }

    func integer(_ m: [String: Node], _ key: String, _ path: String, min: Int = 1, max: Int = 1_000_000_000) throws -> Int? {
        guard let n = m[key] else { return nil }
        guard case .scalar = n, let v = n.int else { throw fail(n, "\(path).\(key): expected a whole number, got '\(n.string ?? "?")'") }
        guard v >= min else { throw fail(n, "\(path).\(key): expected a whole number ≥ \(min), got \(v)") }
        guard v <= max else { throw fail(n, "\(path).\(key): \(v) is too large (at most \(max))") }
        return v
    }

    func lesson(_ root: Node) throws -> Lesson {
        let allowed = ["id", "title", "model", "hyperparameters", "data", "animation", "schedule", "beats"]
        // A file that is not a lesson at all (a password file, a CSV) is named as such; quoting
        // its first key would print a line of someone else's file.
        guard case .mapping(let m) = root, m.keys.contains(where: { $0.string.map(allowed.contains) ?? false }) else {
            throw InputError("\(source): not a lesson file (expected a YAML mapping with id, title, model and schedule)")
        }
        let top = try mapping(root, "lesson", allowed: allowed)
        let id = try string(top, "id", "lesson", required: true)!
        guard !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw fail(top["id"], "lesson.id: expected letters, digits, '-' or '_', got '\(id.prefix(80))'")
        }
        // The id names output folders and checkpoint files, whose names are limited to 255 bytes.
        guard id.utf8.count <= Lesson.Limits.idBytes else {
            throw fail(top["id"], "lesson.id: \(id.utf8.count) bytes long; at most \(Lesson.Limits.idBytes) (it names files and folders)")
        }
        let title = try string(top, "title", "lesson", required: true)!
        let modelName = try string(top, "model", "lesson", required: true)!
        guard let model = Lesson.ModelKind(rawValue: modelName) else {
            throw fail(top["model"], "lesson.model: unknown model '\(modelName)'; expected one of: \(Lesson.ModelKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var lesson = Lesson(id: id, title: title, model: model, source: source)

        if let h = top["hyperparameters"] {
            let m = try mapping(h, "hyperparameters", allowed: ["n_hidden", "n_fac", "n_factors", "seq_length", "batch_size", "softmax"])
            lesson.nFactors = try integer(m, "n_factors", "hyperparameters", max: Lesson.Limits.width) ?? lesson.nFactors
            lesson.nHidden = try integer(m, "n_hidden", "hyperparameters", max: Lesson.Limits.width) ?? lesson.nHidden
            lesson.nFac = try integer(m, "n_fac", "hyperparameters", max: Lesson.Limits.width) ?? lesson.nFac
            lesson.seqLength = try integer(m, "seq_length", "hyperparameters", max: Lesson.Limits.seqLength) ?? lesson.seqLength
            lesson.batchSize = try integer(m, "batch_size", "hyperparameters", max: Lesson.Limits.batch) ?? lesson.batchSize
            if let s = try string(m, "softmax", "hyperparameters") {
                guard let mode = SoftmaxMode(rawValue: s) else {
                    throw fail(m["softmax"], "hyperparameters.softmax: expected 'vocab' or 'legacy', got '\(s)'")
                }
                lesson.softmax = mode
            }
        }

        if let d = top["data"] {
            if model.isRatings {
                let m = try mapping(d, "data", allowed: ["ratings", "validation"])
                if let r = try string(m, "ratings", "data") {
                    guard let source = Lesson.RatingsSource(rawValue: r) else {
                        throw fail(m["ratings"], "data.ratings: expected one of: \(Lesson.RatingsSource.allCases.map(\.rawValue).joined(separator: ", ")), got '\(r)'")
                    }
                    lesson.ratings = source
                }
                if let v = try string(m, "validation", "data"), v != Lesson.Validation.cv20.rawValue {
                    throw fail(m["validation"], "data.validation: expected 'cv-20' (the seed's get_cv_idxs), got '\(v)'")
                }
            } else if model == .linearSGD {
                let m = try mapping(d, "data", allowed: ["points", "a", "b"])
                lesson.linearData.points = try integer(m, "points", "data", min: 2, max: Lesson.Limits.points) ?? lesson.linearData.points
                lesson.linearData.a = Float(try number(m, "a", "data") ?? Double(lesson.linearData.a))
                lesson.linearData.b = Float(try number(m, "b", "data") ?? Double(lesson.linearData.b))
            } else {
                let m = try mapping(d, "data", allowed: ["layout", "validation"])
                if let l = try string(m, "layout", "data") {
                    guard let layout = Layout(rawValue: l) else {
                        throw fail(m["layout"], "data.layout: expected one of: \(Layout.allCases.map(\.rawValue).joined(separator: ", ")), got '\(l)'")
                    }
                    lesson.layout = layout
                }
                if let v = try string(m, "validation", "data") {
                    guard let validation = Lesson.Validation(rawValue: v) else {
                        throw fail(m["validation"], "data.validation: expected 'cv-20' or 'last-row', got '\(v)'")
                    }
                    lesson.validation = validation
                }
            }
        }
        if model != .linearSGD && !model.isRatings && lesson.layout == nil {
            throw InputError("\(source): data.layout is required for \(model.rawValue)")
        }

        if let a = top["animation"] {
            let m = try mapping(a, "animation", allowed: ["points", "frames"])
            lesson.animation.points = try integer(m, "points", "animation", min: 2, max: Lesson.Limits.points) ?? lesson.animation.points
            lesson.animation.frames = try integer(m, "frames", "animation", min: 2, max: 10_000) ?? lesson.animation.frames
        }

        guard let s = top["schedule"] else { throw InputError("\(source): lesson is missing required key 'schedule'") }
        guard case .sequence(let phases) = s, !phases.isEmpty else {
            throw fail(s, "schedule: expected a non-empty list of phases")
        }
        var optimizer: Lesson.OptimizerKind?
        for (i, p) in phases.enumerated() {
            let path = "schedule[\(i)]"
            let m = try mapping(p, path, allowed: model.isRatings ? ["optimizer", "lr", "sgdr", "wd"]
                                                : ["optimizer", "lr", "epochs", "iterations", "print_every"])
            if let o = try string(m, "optimizer", path) {
                guard let named = Lesson.OptimizerKind(rawValue: o) else { throw fail(m["optimizer"], "\(path).optimizer: expected 'adam' or 'sgd', got '\(o)'") }
                optimizer = named
            }
            guard let opt = optimizer else { throw fail(p, "\(path): the first phase must name its optimizer (adam or sgd)") }
            guard let lr = try number(m, "lr", path, positive: true) else { throw fail(p, "\(path): missing 'lr'") }
            var phase = Lesson.Phase(optimizer: opt, lr: Float(lr), epochs: 0, iterations: 0, printEvery: 0)
            if model.isRatings {
                guard opt == .adam else { throw fail(m["optimizer"] ?? p, "\(path).optimizer: the collab lesson trains with adam, got '\(opt)'") }
                guard let sg = m["sgdr"] else { throw fail(p, "\(path): missing 'sgdr' (cycles, cycle_len, cycle_mult)") }
                let c = try mapping(sg, "\(path).sgdr", allowed: ["cycles", "cycle_len", "cycle_mult"])
                guard let cycles = try integer(c, "cycles", "\(path).sgdr", max: 20) else { throw fail(sg, "\(path).sgdr: missing 'cycles'") }
                let sgdr = Lesson.SGDR(cycles: cycles, cycleLen: try integer(c, "cycle_len", "\(path).sgdr", max: 100) ?? 1,
                                       cycleMult: try integer(c, "cycle_mult", "\(path).sgdr", max: 10) ?? 1)
                guard CosineAnnealing.epochs(cycles: sgdr.cycles, cycleLen: sgdr.cycleLen, cycleMult: sgdr.cycleMult) <= Int(Lesson.Limits.epochs) else {
                    throw fail(sg, "\(path).sgdr: \(sgdr.cycles) cycles of \(sgdr.cycleLen) epoch(s) × \(sgdr.cycleMult) is more than \(Int(Lesson.Limits.epochs)) epochs")
                }
                phase.sgdr = sgdr
                phase.weightDecay = Float(try number(m, "wd", path, positive: true, allowZero: true, max: 1) ?? 0)
                phase.epochs = Double(CosineAnnealing.epochs(cycles: sgdr.cycles, cycleLen: sgdr.cycleLen, cycleMult: sgdr.cycleMult))
            } else if model == .linearSGD {
                guard let it = try integer(m, "iterations", path, max: Lesson.Limits.iterations) else { throw fail(p, "\(path): missing 'iterations'") }
                phase.iterations = it
                phase.printEvery = try integer(m, "print_every", path) ?? max(it / 10, 1)
            } else {
                guard let e = try number(m, "epochs", path, positive: true, allowZero: true, max: Lesson.Limits.epochs) else { throw fail(p, "\(path): missing 'epochs'") }
                phase.epochs = e
            }
            lesson.schedule.append(phase)
        }

        if let b = top["beats"] {
            guard case .sequence(let beats) = b else { throw fail(b, "beats: expected a list") }
            for (i, beat) in beats.enumerated() {
                let path = "beats[\(i)]"
                let m = try mapping(beat, path, allowed: ["at", "phase", "text"])
                guard let text = try string(m, "text", path) else { throw fail(beat, "\(path): missing 'text'") }
                let at = try string(m, "at", path), phase = try string(m, "phase", path)
                guard at != nil || phase != nil else { throw fail(beat, "\(path): give 'at' (an op label), 'phase', or both") }
                if at != nil, let phase, phase == "train" {
                    throw fail(m["phase"], "\(path).phase: an 'at' beat belongs to an op of forward, backward or update, got 'train'")
                }
                if let phase, !["forward", "backward", "update", "train"].contains(phase) {
                    throw fail(m["phase"], "\(path).phase: expected forward, backward, update or train, got '\(phase)'")
                }
                lesson.beats.append(Lesson.Beat(at: at, phase: phase, text: text))
            }
        }
        return lesson
    }
}

extension String {
    /// Control characters shown escaped (`\n`, `\t`, `\u{0}`), so a value echoed into a
    /// message or a character preview (`'PREFACE\n\n'`) stays on one line.
    var oneLine: String {
        var out = ""
        for c in unicodeScalars {
            switch c {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if c.value < 32 || c.value == 127 { out += "\\u{\(String(c.value, radix: 16))}" } else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }
}

/// "did you mean 'char3'?" for a mistyped key, lesson id or subcommand: the closest candidate
/// within 3 edits, if any.
public enum DidYouMean {
    public static func hint(for typed: String, among candidates: [String]) -> String? {
        guard typed.count <= 64, let best = candidates.min(by: { editDistance($0, typed) < editDistance($1, typed) }),
              editDistance(best, typed) <= 3 else { return nil }
        return "did you mean '\(best)'?"
    }
}

/// Levenshtein distance, for "did you mean" hints on mistyped keys.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    for i in 1...a.count {
        var cur = [i] + [Int](repeating: 0, count: b.count)
        for j in 1...b.count {
            cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        prev = cur
    }
    return prev[b.count]
}

extension Lesson.Beat {
    /// The event this beat is told at: the first op of its phase (forward when only `at` is
    /// given) with its label, or the first op of its phase; nil when the step has none.
    public func anchor(in events: [TraceEvent]) -> Int? {
        let p = phase.flatMap(TracePhase.init(rawValue:))
        if let at { return events.firstIndex { $0.phase == (p ?? .forward) && $0.label == at } }
        guard let p else { return nil }
        return events.firstIndex { $0.phase == p }
    }
}
