import ArgumentParser
import Foundation
import LessonEngine
import Models
import TensorCore

struct Trace: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the whole trace of one training step as JSON lines.",
        discussion: "One event per line: forward ops, backward rules, optimizer updates (schema in README.md, \"Trace schema\"). The file appears only when complete (written to a temporary file, then renamed).")

    @Argument(help: "Lesson id or path to a lesson .yaml file.")
    var lesson: String

    @Option(name: .long, help: "summary (statistics of every tensor) or full (every value).")
    var level: String = "summary"

    @Option(name: .long, help: "Output file (.jsonl).")
    var out: String

    @Option(name: .long, parsing: .unconditional, help: "Rows in the mini-batch (default: the lesson's batch size).")
    var batch: Int?

    @OptionGroup var options: LessonOptions

    func run() throws {
        try reportingErrors {
            guard let level = TraceLevel(rawValue: self.level), level != .off else {
                throw InputError("--level: expected summary or full, got '\(self.level)'")
            }
            let lesson = try catalog().lesson(self.lesson)
            let sink: JSONLSink
            do { sink = try JSONLSink(path: out) } catch { throw InputError("--out \(out): \(error)") }
            let start = Date()
            let replay = try Replay.record(lesson: lesson, options: try options.runOptions(), batch: batch, level: level, sink: sink)
            do { try sink.close() } catch { throw InputError("--out \(out): \(error)") }
            let size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
            _ = replay
            say(String(format: "wrote %@ (%.1f MB, %@ level) in %.2f s", out as NSString, Double(size) / 1e6, level.rawValue as NSString, Date().timeIntervalSince(start)))
        }
    }
}
