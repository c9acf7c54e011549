import ArgumentParser
import Foundation
import LessonEngine
import Models
import TensorCore

struct Step: ChecksInputs {
    static let configuration = CommandConfiguration(
        abstract: "Step through one training step of a lesson, one operation at a time.",
        discussion: "Records forward ops, the loss, backward rules and the optimizer update with every value, then lets you walk them. Commands are read line by line from stdin (h for help), so it works under tmux and with commands piped in.")

    @Argument(help: "Lesson id or path to a lesson .yaml file.")
    var lesson: String

    @Option(name: .long, parsing: .unconditional, help: "Rows in the mini-batch (default: the lesson's batch size).")
    var batch: Int?

    @OptionGroup var options: LessonOptions

    @OptionGroup var replayAt: ReplayOptions

    @Flag(name: .long, help: "Print every op and exit.")
    var all = false

    @Option(name: .long, help: "Print ops up to and including the first one labelled LABEL, then exit.")
    var until: String?

    @Option(name: .long, help: "Print only the ops of one phase (forward, backward or update), then exit.")
    var phase: String?

    @Flag(name: .long, help: "With --all, --until or --phase: one JSON event per line instead of text.")
    var json = false

    /// The lesson, the options its step is replayed with, and the one phase to print (if any).
    func checkInputs() throws -> (lesson: Lesson, options: RunOptions, only: TracePhase?) {
        let lesson = try catalog().lesson(self.lesson)
        var only: TracePhase?
        if let phase {
            guard let p = TracePhase(rawValue: phase) else { throw InputError(usage: "--phase: expected forward, backward or update, got '\(phase)'") }
            only = p
        }
        var runOptions = try options.runOptions()
        replayAt.apply(to: &runOptions)
        try Replay.checkArguments(options: runOptions, batch: batch, atStep: replayAt.atStep, weights: replayAt.weights)
        return (lesson, runOptions, only)
    }

    func run() throws {
        try reportingErrors {
            let (lesson, runOptions, only) = try checkInputs()
            // Replaying to --at-step trains: Ctrl-C stops it between steps; the prompt afterwards ends at once.
            let replay = try Interruption.cooperating {
                try Replay.record(lesson: lesson, options: runOptions, batch: batch, atStep: replayAt.atStep, weights: replayAt.weights)
            }
            let session = StepSession(replay: replay, colour: isatty(1) != 0 && !json)
            let batchMode = all || until != nil || only != nil || json
            if batchMode {
                var last = replay.events.count - 1
                if let until {
                    guard let i = replay.events.firstIndex(where: { $0.label == until }) else {
                        throw InputError("--until: no op labelled '\(until)' in \(lesson.id)")
                    }
                    last = i
                }
                for (i, e) in replay.events.enumerated() where i <= last && (only == nil || e.phase == only) {
                    if json { say(TraceJSON.line(e)) } else {
                        try session.goTo(String(i + 1))
                        say(session.show())
                    }
                }
                return
            }
            let interactive = isatty(0) != 0
            say("\(lesson.title)")
            say("one training step: \(replay.batchDescription)")
            say("\(replay.count(.forward)) forward ops, \(replay.count(.backward)) backward, \(replay.count(.update)) updates. h for help, q to quit.")
            say(session.show())
            while true {
                if interactive { print("step> ", terminator: ""); flushStandardOutput() }
                guard let line = readLine() else { break }
                if !interactive { say("> \(line)") }
                let (text, quit) = session.execute(line)
                if quit { break }
                say(text)
            }
        }
    }
}

