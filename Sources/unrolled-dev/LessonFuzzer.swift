import Foundation
import LessonEngine
import Models
import TensorCore

/// Mutation fuzzing of lesson files: start from the real lessons, break them the ways people
/// and disks do (deleted or misspelt keys, wrong types, extreme numbers, garbage bytes, deep
/// nesting, truncation), and check that the reader and validators answer every input with a
/// clean `InputError`, never a crash or another error type. In-process and bounded: each case
/// is at most a few kilobytes of YAML parsed once.
public struct LessonFuzzer {
    public struct Failure: CustomStringConvertible {
        public var index: Int
        public var input: [UInt8]
        public var problem: String
        public var description: String {
            "case \(index): \(problem)\n" + (String(bytes: input.prefix(600), encoding: .utf8) ?? "\(input.prefix(200))")
        }
    }

    public struct Report {
        public var cases = 0
        public var accepted = 0
        public var rejected = 0
        public var failures: [Failure] = []
        public var slowest = 0.0
        /// Rejection messages by their first words, for a glance at what was exercised.
        public var kinds: [String: Int] = [:]
    }

    let seeds: [String]
    let rng: SeededGenerator

    public init(seeds: [String], seed: UInt64) {
        self.seeds = seeds.isEmpty ? ["id: x\ntitle: t\nmodel: LinearSGD\nschedule:\n  - optimizer: sgd\n    lr: 0.1\n    iterations: 10\n"] : seeds
        rng = SeededGenerator(seed: seed)
    }

    static let values = ["0", "-0", "-1", "1e308", "-1e308", "1e39", "3.4028236e38", "1e-46", "1e-320", ".nan", ".inf", "-.inf",
                         "nan", "inf", "99999999999999999999", "9223372036854775807", "-9223372036854775808", "0x7fffffff",
                         "0o777", "1_000", "2.5", "1e9", "1000000001", "4097", "65537", "\"\"", "~", "null", "true", "no",
                         "[]", "{}", "[1, 2]", "{a: 1}", "'quoted'", "\"\\u0000\"", "héllo", "🙂", "!!binary aGk=",
                         "!!python/object:os.system ls", "&a 1", "*a", "*undefined", "|\n  block", ">-\n  folded",
                         "adam", "sgd", "vocab", "legacy", "every-3rd", "last-row", "Char3Model", "LinearSGD", "CharSeqRnn"]
    static let keys = ["id", "title", "model", "hyperparameters", "n_hidden", "n_fac", "seq_length", "batch_size", "softmax",
                       "data", "layout", "validation", "points", "a", "b", "animation", "a0", "b0", "lr", "frames",
                       "updates_per_frame", "schedule", "optimizer", "epochs", "iterations", "print_every", "beats", "at",
                       "phase", "text", "<<", "? complex", "epohcs", "Lr", ""]

    func pick<T>(_ xs: [T]) -> T { xs[rng.index(below: xs.count)] }

    /// One mutated lesson file.
    public func next() -> [UInt8] {
        var lines = pick(seeds).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for _ in 0...rng.index(below: 3) { mutate(&lines) }
        var bytes = Array(lines.joined(separator: "\n").utf8)
        switch rng.index(below: 12) {
        case 0: // garbage bytes somewhere (often not UTF-8)
            for _ in 0..<(1 + rng.index(below: 8)) where !bytes.isEmpty {
                bytes[rng.index(below: bytes.count)] = UInt8(truncatingIfNeeded: rng.next())
            }
        case 1: bytes = Array(bytes.prefix(rng.index(below: bytes.count + 1)))  // truncated
        default: break
        }
        return bytes
    }

    func mutate(_ lines: inout [String]) {
        guard !lines.isEmpty else { lines = ["{"]; return }
        let i = rng.index(below: lines.count)
        switch rng.index(below: 11) {
        case 0: lines.remove(at: i)
        case 1: lines.insert(lines[i], at: i)
        case 2: // rename the key on this line
            if let colon = lines[i].firstIndex(of: ":") {
                let indent = lines[i].prefix { $0 == " " || $0 == "-" }
                lines[i] = indent + pick(LessonFuzzer.keys) + lines[i][colon...]
            }
        case 3, 4: // replace the value on this line
            if let colon = lines[i].firstIndex(of: ":") {
                lines[i] = lines[i][...colon] + " " + pick(LessonFuzzer.values)
            } else {
                lines[i] = "  - " + pick(LessonFuzzer.values)
            }
        case 5: // deep nesting, flow or block
            let n = 1 + rng.index(below: 3000)
            if rng.index(below: 2) == 0 {
                lines.insert(pick(LessonFuzzer.keys) + ": " + String(repeating: "[", count: n) + String(repeating: "]", count: rng.index(below: n + 1)), at: i)
            } else {
                lines.insert(contentsOf: (0..<min(n, 300)).map { String(repeating: " ", count: $0) + "k\($0):" }, at: i)
            }
        case 6: lines.swapAt(i, rng.index(below: lines.count))
        case 7: // indentation damage
            lines[i] = rng.index(below: 2) == 0 ? String(lines[i].drop { $0 == " " }) : "\t" + lines[i]
        case 8: // a new key with a random value
            lines.insert(String(repeating: " ", count: 2 * rng.index(below: 3)) + pick(LessonFuzzer.keys) + ": " + pick(LessonFuzzer.values), at: i)
        case 9: // random printable junk
            let junk = String((0..<rng.index(below: 40)).map { _ in Character(Unicode.Scalar(UInt8(32 + rng.index(below: 95)))) })
            lines.insert(junk, at: i)
        default: // anchors, aliases and merges
            lines.insert(pick(["x: &a {lr: 1, epochs: 2}", "<<: *a", "y: *a", "z: &b [*b]", "--- !!map", "..."]), at: i)
        }
    }

    /// Run `count` cases through `Lesson.parse(data:)` and, for lessons that parse, the run
    /// options a CLI could combine them with.
    public func run(count: Int) -> Report {
        var report = Report()
        for index in 0..<count {
            let input = next()
            let start = Date()
            do {
                let lesson = try Lesson.parse(data: Data(input), source: "fuzz-\(index).yaml")
                var options = RunOptions()
                options.epochsScale = pick([1, 0.5, 0, -1, .nan, .infinity, 1e300, 1000, 1001, 1e-300])
                options.lr = pick([nil, 1, 0, -1, .nan, .infinity, Float.leastNonzeroMagnitude])
                try options.validate()
                let runner = LessonRunner(lesson: lesson, options: options)
                for phase in lesson.schedule where !(runner.lr(phase).isFinite && runner.lr(phase) > 0) {
                    report.failures.append(Failure(index: index, input: input, problem: "accepted a non-positive lr \(runner.lr(phase))"))
                }
                report.accepted += 1
            } catch let e as InputError {
                report.rejected += 1
                let kind = e.message.split(separator: ":").dropFirst().prefix(2).joined(separator: ":").prefix(40)
                report.kinds[String(kind), default: 0] += 1
                if e.message.contains("\n") {
                    report.failures.append(Failure(index: index, input: input, problem: "message spans lines: \(e.message)"))
                }
            } catch {
                report.failures.append(Failure(index: index, input: input, problem: "not an InputError: \(type(of: error)): \(error)"))
            }
            report.slowest = max(report.slowest, Date().timeIntervalSince(start))
            report.cases += 1
        }
        return report
    }
}
