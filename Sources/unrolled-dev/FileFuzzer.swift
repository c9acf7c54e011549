import Foundation
import LessonEngine
import Models
import Formats
import TensorCore

/// Mutation fuzzing of the files Unrolled reads besides lessons: safetensors headers, checkpoint
/// metadata and golden fixtures. Each case goes through the code the commands run (SafeTensors
/// decoding, `Checkpoint.decode` and the resume checks, `GoldenCheck.run`), not a copy of it,
/// and must end in a clean one-line error or be accepted. A trap would stop the fuzzer itself,
/// which is the point: it is how the overflows and preconditions of issue #24 showed.
public struct FileFuzzer {
    public struct Report {
        public var cases = 0, accepted = 0, rejected = 0
        public var failures: [String] = []
        public var slowest = 0.0
    }

    let rng: SeededGenerator
    public init(seed: UInt64) { rng = SeededGenerator(seed: seed ^ 0xF11E) }

    func pick<T>(_ xs: [T]) -> T { xs[rng.index(below: xs.count)] }

    static let numbers = ["0", "-1", "1", "2", "7", "255", "256", "2147483647", "2147483648", "4294967296",
                          "9223372036854775807", "9223372036854775307", "-9223372036854775808", "18446744073709551616",
                          "1e308", "1.5", "nan", "", " ", "0x10", "+3", "٣", "ffffffffffffffff", "-", "1,2", "1 2"]

    /// Run `body` on one case and file its outcome.
    func attempt(_ report: inout Report, _ index: Int, _ what: () -> String, _ body: () throws -> Void) {
        let start = Date()
        do {
            try body()
            report.accepted += 1
        } catch let e as InputError {
            report.rejected += 1
            if e.message.contains("\n") { report.failures.append("case \(index): message spans lines: \(e.message)") }
        } catch let e as SafeTensorsError {
            report.rejected += 1
            if e.description.contains("\n") { report.failures.append("case \(index): message spans lines: \(e.description)") }
        } catch {
            report.failures.append("case \(index) (\(what())): not a clean error: \(type(of: error)): \(error)")
        }
        report.slowest = max(report.slowest, Date().timeIntervalSince(start))
        report.cases += 1
    }

    // MARK: safetensors headers

    /// Mutated headers of a small valid file: duplicate and missing keys, extreme shapes and
    /// offsets, unknown dtypes, a wrong length prefix, flipped and cut bytes.
    public func safetensors(count: Int) -> Report {
        var report = Report()
        let base = (try? SafeTensors.encode(["a": Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6]), "b": Tensor(shape: [4], data: [0, 1, 2, 3])],
                                            metadata: ["lesson": "char3"])) ?? []
        let headerLength = base.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = String(decoding: base[8..<(8 + headerLength)], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        let entries = [#""a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}"#,
                       #""b":{"dtype":"F32","shape":[4],"data_offsets":[24,40]}"#]
        for index in 0..<count {
            var text = header
            switch rng.index(below: 9) {
            case 0: text = text.replacingOccurrences(of: "{\"a\"", with: "{" + pick(entries) + ",\"a\"")  // duplicate key
            case 1: text = text.replacingOccurrences(of: "[2,3]", with: "[\(pick(FileFuzzer.numbers)),\(pick(FileFuzzer.numbers))]")
            case 2: text = text.replacingOccurrences(of: "[24,40]", with: "[\(pick(FileFuzzer.numbers)),\(pick(FileFuzzer.numbers))]")
            case 3: text = text.replacingOccurrences(of: "\"F32\"", with: pick(["\"F16\"", "\"I64\"", "\"I32\"", "\"\"", "1", "null", "\"F32\",\"dtype\":\"I8\""]))
            case 4: text = text.replacingOccurrences(of: "\"char3\"", with: pick(["1", "null", "{\"x\":\"y\"}", "\"a\",\"lesson\":\"b\"", "\"\\u0000\""]))
            case 5: text = String(text.prefix(rng.index(below: text.count + 1)))
            case 6: text = String(repeating: "[", count: 1 + rng.index(below: 5000)) + text
            default: break
            }
            var bytes = Array(text.utf8)
            let data = Array(base[(8 + headerLength)...])
            var length = UInt64(bytes.count)
            if rng.index(below: 8) == 0 { length = pick([0, 1, 7, UInt64(bytes.count + 1), UInt64(SafeTensors.maxHeaderBytes) + 1, .max]) }
            bytes = (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + bytes + data
            if rng.index(below: 6) == 0 { for _ in 0..<(1 + rng.index(below: 4)) { bytes[rng.index(below: bytes.count)] = UInt8(truncatingIfNeeded: rng.next()) } }
            if rng.index(below: 10) == 0 { bytes = Array(bytes.prefix(rng.index(below: bytes.count + 1))) }
            attempt(&report, index, { String(decoding: bytes.prefix(200), as: UTF8.self) }) {
                _ = try SafeTensors.decode(bytes, file: "fuzz-\(index).safetensors")
            }
        }
        return report
    }

    // MARK: checkpoints

    /// A real checkpoint of a tiny lesson, made in memory, with one to three metadata fields
    /// replaced or removed (or a tensor dropped or reshaped), then put through everything
    /// `run --resume` checks before training: decoding, identity, the schedule's counters,
    /// the weights and Adam's state.
    public func checkpoints(count: Int) throws -> Report {
        var report = Report()
        let lesson = try Lesson.parse(yaml: """
            id: tiny
            title: t
            model: Char3Model
            hyperparameters: {n_hidden: 4, n_fac: 2, batch_size: 8}
            data: {layout: every-3rd, validation: last-row}
            schedule:
              - {optimizer: adam, lr: 0.01, epochs: 2}
              - {lr: 0.001, epochs: 1.5}
            """, source: "tiny.yaml")
        let corpus = Corpus(text: String(repeating: "the will to power. ", count: 20))
        let runner = LessonRunner(lesson: lesson, options: RunOptions())
        let model = runner.makeModel(vocabSize: corpus.vocabSize)
        let rows = CharDataset(idx: corpus.idx, layout: .char3).rows - 1
        let counts = runner.epochBatches(trainRows: rows)
        let identity = Checkpoint.Identity(lesson: lesson, options: runner.options, softmax: runner.softmax, corpus: corpus)
        let done = counts[0] + counts[1].prefix(1)
        var base = Checkpoint(identity: identity, phase: 1, position: FitPosition(epoch: 1, smoother: SmoothedLoss(average: 1.5, count: counts[1][0])),
                              rng: runner.rng.state, optimizer: .adam, optimizerState: Adam(model.parameters, lr: 0.01),
                              results: done.indices.map { EpochResult(epoch: $0, trainLoss: 2, validLoss: 2) }, model: model)
        base.adamStep = done.reduce(0, +)
        base.epochBatches = Array(done)
        base.batchLosses = [Float](repeating: 2, count: base.adamStep)
        let json = try JSONSerialization.jsonObject(with: Data(base.metadata()[Checkpoint.metadataKey]!.utf8))
        let paths = FileFuzzer.paths(in: json)
        // JSON has no NaN or infinity (the checkpoint writes them as strings, and "nan" is below).
        let values: [Any] = FileFuzzer.numbers.compactMap { Double($0) }.filter(\.isFinite) + FileFuzzer.numbers + [
            Int.max, Int.max - 500, Int.min, -1, 0, 1.5, UInt64.max, "adam", "sgd", "cv-20", "last-row", "nan",
            NSNull(), true, [Any](), [1, 2], ["average": 1], [0, 0, 0, 0]]
        for index in 0..<count {
            var tree = json
            var tensors = base.tensors()
            var garbage = ""
            for _ in 0...rng.index(below: 3) {
                switch rng.index(below: 6) {
                case 0: tree = FileFuzzer.replacing(pick(paths), in: tree, with: nil)
                case 1: garbage = pick(["", "}", ",", "x", "{\"a\":", "\u{0}"])
                case 2: // drop or reshape a tensor
                    let name = pick(Array(tensors.keys).sorted())
                    let n = 1 + rng.index(below: 5)
                    tensors[name] = rng.index(below: 2) == 0 ? nil : Tensor(shape: [n], data: [Float](repeating: pick([.nan, 1]), count: n))
                default: tree = FileFuzzer.replacing(pick(paths), in: tree, with: pick(values))
                }
            }
            let text = String(decoding: try JSONSerialization.data(withJSONObject: tree, options: [.sortedKeys]), as: UTF8.self) + garbage
            let meta = [Checkpoint.metadataKey: text]
            attempt(&report, index, { String(text.prefix(400)) }) {
                // Through bytes, as a file would come.
                let bytes = try SafeTensors.encode(tensors, metadata: meta)
                let file = try SafeTensors.decode(bytes, file: "fuzz-\(index).safetensors")
                let c = try Checkpoint.decode(file, file: "fuzz-\(index).safetensors")
                try c.identity.check(against: identity, source: "fuzz")
                try runner.checkProgress(c, counts: counts, source: "fuzz")
                try Weights.assign(c.parameters, to: model, source: "fuzz")
                let adam = Adam(model.parameters, lr: 0.01)
                try adam.restore(m: c.moments(adam, "m"), v: c.moments(adam, "v"), stepCount: c.adamStep)
                // What resuming does with the counters next: one more step and smoothed loss.
                var smoother = c.position.smoother
                smoother.add(1)
                _ = adam.stepCount + 1
            }
        }
        return report
    }

    /// Every key path in a JSON tree (`["identity", "seed"]`, `["results", 0]`).
    static func paths(in tree: Any, prefix: [AnyHashable] = []) -> [[AnyHashable]] {
        var out: [[AnyHashable]] = prefix.isEmpty ? [] : [prefix]
        if let d = tree as? [String: Any] {
            for (k, v) in d.sorted(by: { $0.key < $1.key }) { out += paths(in: v, prefix: prefix + [k]) }
        } else if let a = tree as? [Any] {
            for (i, v) in a.enumerated() { out += paths(in: v, prefix: prefix + [i]) }
        }
        return out
    }

    /// `tree` with the value at `path` replaced (or removed, for nil).
    static func replacing(_ path: [AnyHashable], in tree: Any, with value: Any?) -> Any {
        guard let head = path.first else { return value ?? NSNull() }
        let rest = Array(path.dropFirst())
        if var d = tree as? [String: Any], let k = head as? String {
            if rest.isEmpty && value == nil { d[k] = nil } else if let v = d[k] { d[k] = replacing(rest, in: v, with: value) }
            return d
        }
        if var a = tree as? [Any], let i = head as? Int, a.indices.contains(i) {
            if rest.isEmpty && value == nil { a.remove(at: i) } else { a[i] = replacing(rest, in: a[i], with: value) }
            return a
        }
        return tree
    }

    // MARK: golden fixtures

    /// The committed Char3 fixture with its batch or weights damaged: indices out of range,
    /// fractional, NaN or infinite; wrong shapes; missing tensors; a bad learning rate.
    public func goldenFixtures(count: Int, fixture path: String) throws -> Report {
        var report = Report()
        let base = try SafeTensors.readFile(URL(fileURLWithPath: path))
        let lesson = try Lesson.parse(yaml: "id: char3\ntitle: t\nmodel: Char3Model\ndata: {layout: every-3rd, validation: last-row}\nschedule:\n  - {optimizer: adam, lr: 0.001, epochs: 1}\n", source: "char3.yaml")
        let runner = LessonRunner(lesson: lesson, options: RunOptions())
        let odd: [Float] = [-1, 85, 86, 1.5, .nan, .infinity, -.infinity, 1e30, -0.0, 84]
        let names = Array(base.tensors.keys).sorted()
        for index in 0..<count {
            var tensors = base.tensors
            var lr: Float = 0.001
            for _ in 0...rng.index(below: 2) {
                switch rng.index(below: 5) {
                case 0, 1: // a bad index in the batch
                    let name = pick(["input.x", "input.y"])
                    if var t = tensors[name], !t.data.isEmpty {
                        var d = t.data
                        d[rng.index(below: d.count)] = pick(odd)
                        t = Tensor(shape: t.shape, data: d)
                        tensors[name] = t
                    }
                case 2: // a batch of another shape
                    let name = pick(["input.x", "input.y"])
                    let shape = pick([[4, 4], [0, 3], [4], [2, 3], [1, 3, 1], [], [3]])
                    tensors[name] = Tensor(shape: shape, data: [Float](repeating: 1, count: shape.reduce(1, *)))
                case 3: tensors[pick(names)] = nil
                default: lr = pick([0, -1, .nan, .infinity, 1e-30, 1])
                }
            }
            let model = runner.makeModel(vocabSize: 85)
            attempt(&report, index, { "lr \(lr)" }) {
                _ = try GoldenCheck.run(model: model, fixture: tensors, lr: lr, source: "fuzz-\(index)")
            }
        }
        return report
    }
}
