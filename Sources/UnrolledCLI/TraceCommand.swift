import ArgumentParser
import Foundation
import LessonEngine
import Models
import TensorCore

struct Trace: ChecksInputs {
    static let configuration = CommandConfiguration(
        abstract: "Write the whole trace of one training step as JSON lines.",
        discussion: "One event per line: forward ops, backward rules, optimizer updates (schema in README.md, \"Trace schema\"). The file appears only when complete (written to a temporary file, then renamed). --hash prints the SHA-256 of the trace: the same seed and --threads give the same hash on every run. Across thread counts it can differ: BLIS splits some matrix products differently with 2 threads and rounds a few sums differently (char3's l_out(h3), [512,256]·[256,85]ᵀ, differs in 7 of 43520 values by 1 ulp), so compare hashes made with the same --threads.")

    @Argument(help: "Lesson id or path to a lesson .yaml file.")
    var lesson: String

    @Option(name: .long, help: "summary (statistics of every tensor) or full (every value).")
    var level: String = "summary"

    @Option(name: .long, help: "Output file (.jsonl), or - for standard output; optional with --hash.")
    var out: String?

    @Flag(name: .long, help: "Print the SHA-256 of the trace's bytes: the same seed gives the same hash on every run.")
    var hash = false

    @Option(name: .long, parsing: .unconditional, help: "BLAS threads (1…64; default: BLIS's own choice).")
    var threads: Int?

    @Option(name: .long, parsing: .unconditional, help: "Rows in the mini-batch (default: the lesson's batch size).")
    var batch: Int?

    @OptionGroup var options: LessonOptions

    @OptionGroup var replayAt: ReplayOptions

    func validate() throws {
        guard out != nil || hash else { throw ValidationError("give --out FILE, --hash, or both") }
        if out == "-" && hash { throw ValidationError("--hash reads the trace back from its file; give --out FILE, not -") }
        if let threads, !(1...64).contains(threads) { throw ValidationError("--threads must be between 1 and 64, got \(threads)") }
    }

    /// The trace level, the lesson and the options its step is replayed with.
    func checkInputs() throws -> (level: TraceLevel, lesson: Lesson, options: RunOptions) {
        guard let level = TraceLevel(rawValue: self.level), level != .off else {
            throw InputError(usage: "--level: expected summary or full, got '\(self.level)'")
        }
        let lesson = try catalog().lesson(self.lesson)
        var runOptions = try options.runOptions()
        replayAt.apply(to: &runOptions)
        try Replay.checkArguments(options: runOptions, batch: batch, atStep: replayAt.atStep, weights: replayAt.weights)
        return (level, lesson, runOptions)
    }

    func run() throws {
        try reportingErrors(interruptible: true) {
            let (level, lesson, runOptions) = try checkInputs()
            if let threads { BLAS.setThreads(threads) }
            // With --hash alone the trace goes to a temporary file that is removed afterwards.
            let out = self.out ?? NSTemporaryDirectory() + "unrolled-trace-\(getpid()).jsonl"
            defer { if self.out == nil { unlink(out) } }
            let sink: JSONLSink
            let inputs = [("lesson file", lesson.source), ("corpus", CorpusLocator.resolve(options.corpus))]
            do { sink = try JSONLSink(path: out, inputs: inputs) } catch { throw InputError("--out \(out): \(error)") }
            let start = Date()
            let replay = try Replay.record(lesson: lesson, options: runOptions, batch: batch, level: level, sink: StoppingSink(sink), atStep: replayAt.atStep, weights: replayAt.weights)
            // A trace cut short by Ctrl-C is discarded (the sink removes its temporary file), never published.
            try Interruption.check(while: "writing the trace")
            do { try sink.close() } catch { throw InputError("--out \(out): \(error)") }
            let size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
            _ = replay
            if self.out != nil && out != "-" {
                say(String(format: "wrote %@ (%.1f MB, %@ level) in %.2f s", out as NSString, Double(size) / 1e6, level.rawValue as NSString, Date().timeIntervalSince(start)))
            }
            if hash { say("sha256 \(try Download.sha256(file: out))  \(lesson.id) seed \(options.seed) level \(level.rawValue) BLAS threads \(BLAS.threads)") }
        }
    }
}
