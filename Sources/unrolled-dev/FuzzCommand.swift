import ArgumentParser
import Foundation
import LessonEngine
import Models
import TensorCore
import UnrolledCLI

/// `unrolled-dev fuzz`: mutated lesson files through the lesson reader, and random argument
/// vectors for `unrolled` through the argument parser and each command's own checks, all in this
/// process. Every input must end in a clean error (or be accepted); anything else is printed and
/// the exit status is 1.
struct Fuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fuzz the lesson reader and the command line (robustness check).",
        discussion: "Half the cases are mutated lessons/*.yaml files (deleted and misspelt keys, wrong types, extreme numbers, garbage bytes, deep nesting, truncation), half are `unrolled` argument vectors, parsed and put through the command's own checkInputs(). Then --files cases each of safetensors headers, checkpoint metadata and golden fixtures go through the checks `run --resume` and `golden` make. Nothing is trained or written. Exit status 1 when any input ends in anything but a clean error.")

    @Option(name: .long, parsing: .unconditional, help: "Number of cases.")
    var count: Int = 10_000

    @Option(name: .long, parsing: .unconditional, help: "Seed for the mutations.")
    var seed: UInt64 = 1

    @Option(name: .long, parsing: .unconditional, help: "Cases for each file target: safetensors headers, checkpoints, golden fixtures.")
    var files: Int = 1000

    func validate() throws {
        guard (1...10_000_000).contains(count) else { throw ValidationError("--count must be between 1 and 10000000, got \(count)") }
        guard (0...10_000_000).contains(files) else { throw ValidationError("--files must be between 0 and 10000000, got \(files)") }
    }

    func run() throws {
        try reportingErrors {
            let cat = try catalog()
            let seeds = try cat.files().map { try String(contentsOfFile: $0, encoding: .utf8) }
            let start = Date()
            let lessons = LessonFuzzer(seeds: seeds, seed: seed).run(count: count - count / 2)
            say(String(format: "lesson files: %d cases, %d accepted, %d rejected with one line, %d failures, slowest %.1f ms",
                       lessons.cases, lessons.accepted, lessons.rejected, lessons.failures.count, lessons.slowest * 1000))
            for (kind, n) in lessons.kinds.sorted(by: { $0.value > $1.value }).prefix(8) { say("  \(n)× \(kind)") }
            let args = ArgumentFuzzer(seed: seed, lessons: try cat.all().map(\.id)).run(count: count / 2)
            say(String(format: "argument vectors: %d cases, %d accepted, %d rejected, %d failures, slowest %.1f ms",
                       args.cases, args.accepted, args.rejected, args.failures.count, args.slowest * 1000))
            let fuzzer = FileFuzzer(seed: seed)
            let fixture = URL(fileURLWithPath: cat.directory).deletingLastPathComponent()
                .appendingPathComponent("Tests/ModelsTests/Fixtures/golden/char3.safetensors").path
            var targets: [(String, FileFuzzer.Report)] = []
            if files > 0 {
                targets.append(("safetensors headers", fuzzer.safetensors(count: files)))
                targets.append(("checkpoints", try fuzzer.checkpoints(count: files)))
                if FileManager.default.fileExists(atPath: fixture) {
                    targets.append(("golden fixtures", try fuzzer.goldenFixtures(count: files, fixture: fixture)))
                } else {
                    say("golden fixtures: skipped (no \(fixture) beside the lessons)")
                }
            }
            for (name, r) in targets {
                say(String(format: "%@: %d cases, %d accepted, %d rejected with one line, %d failures, slowest %.1f ms",
                           name as NSString, r.cases, r.accepted, r.rejected, r.failures.count, r.slowest * 1000))
            }
            let failures = lessons.failures.map(\.description) + args.failures + targets.flatMap(\.1.failures)
            for f in failures.prefix(10) { say("FAIL \(f)") }
            say(String(format: "%d inputs in %.1f s", lessons.cases + args.cases + targets.map(\.1.cases).reduce(0, +), Date().timeIntervalSince(start)))
            if !failures.isEmpty { throw ExitCode(1) }
        }
    }
}

/// Random argument vectors for every `unrolled` subcommand: real flags with extreme, negative,
/// empty or missing values, unknown flags, repeats. Each goes through ArgumentParser and the
/// commands' `validate()`, then, for a command that `ChecksInputs`, through the same
/// `checkInputs()` its `run()` starts with; never the work itself.
struct ArgumentFuzzer {
    let rng: SeededGenerator
    let lessons: [String]

    init(seed: UInt64, lessons: [String]) { rng = SeededGenerator(seed: seed ^ 0x5eed); self.lessons = lessons }

    static let commands = ["list", "run", "step", "trace", "generate", "golden", "corpus", "corpus info", "bogus", ""]
    static let flags = ["--corpus", "--seed", "--softmax", "--epochs-scale", "--save", "--lr", "--checkpoint", "--resume",
                        "--batch", "--all", "--until", "--phase", "--json", "--level", "--out", "--hash", "--threads",
                        "--weights", "--prompt", "-n", "--fixtures", "--count", "--at-step", "--help", "-h", "--bogus", "-", "--", "--seed="]
    static let values = ["0", "-1", "1", "42", "1e300", "-1e300", "nan", "inf", "-inf", "0.02", "18446744073709551616",
                         "-9223372036854775809", "", " ", "abc", "vocab", "legacy", "full", "summary", "off", "forward",
                         "/dev/full", "/proc/x", "/nonexistent/x", "/tmp", "h€llo", "\u{0}", "--seed", "1000", "1001", "65537"]

    func pick<T>(_ xs: [T]) -> T { xs[rng.index(below: xs.count)] }

    func next() -> [String] {
        var args = pick(ArgumentFuzzer.commands).split(separator: " ").map(String.init)
        if rng.index(below: 8) > 0 { args.append(rng.index(below: 6) == 0 ? pick(ArgumentFuzzer.values) : pick(lessons)) }
        for _ in 0..<rng.index(below: 6) {
            let flag = pick(ArgumentFuzzer.flags)
            if flag == "--seed=" { args.append(flag + pick(ArgumentFuzzer.values)); continue }
            args.append(flag)
            if rng.index(below: 5) > 0 { args.append(pick(ArgumentFuzzer.values)) }
        }
        return args
    }

    /// How one argument vector ended.
    enum Outcome: Equatable {
        case accepted
        /// A clean rejection: the one-line message a user would read.
        case rejected(String)
        case failure(String)
    }

    /// Parse `args` as `unrolled` would and make the command's own input checks.
    static func outcome(_ args: [String]) -> Outcome {
        do {
            let command = try Unrolled.parseAsRoot(args)
            if let checked = command as? any ChecksInputs { _ = try checked.checkInputs() }
            return .accepted
        } catch let e as InputError {
            if e.message.contains("\n") { return .failure("message spans lines: \(e.message)") }
            return .rejected(e.message)
        } catch {
            // ArgumentParser's own errors (usage, help requests) are clean by construction:
            // its exit code says which; anything it does not know is a failure.
            let code = Unrolled.exitCode(for: error)
            if code == .validationFailure || code == .success || error is CleanExit || error is ExitCode {
                return .rejected(Unrolled.message(for: error).split(separator: "\n").first.map(String.init) ?? "")
            }
            return .failure("\(type(of: error)): \(error)")
        }
    }

    struct Report {
        var cases = 0, accepted = 0, rejected = 0
        var failures: [String] = []
        var slowest = 0.0
    }

    func run(count: Int) -> Report {
        var report = Report()
        for index in 0..<count {
            let args = next()
            let start = Date()
            switch ArgumentFuzzer.outcome(args) {
            case .accepted: report.accepted += 1
            case .rejected: report.rejected += 1
            case .failure(let why): report.failures.append("case \(index) \(args): \(why)")
            }
            report.slowest = max(report.slowest, Date().timeIntervalSince(start))
            report.cases += 1
        }
        return report
    }
}
