import ArgumentParser
import Foundation
import LessonEngine
import Models
import TensorCore

/// `run`'s flags for long runs: a learning-rate override, checkpoints and resuming. Kept apart
/// from RunCommand.swift so the command itself stays a short list of steps.
struct TrainingOptions: ParsableArguments {
    @Option(name: .long, parsing: .unconditional,
            help: "Replace every phase's learning rate (> 0). A large one shows anomaly detection naming the first non-finite op.")
    var lr: Float?

    @Option(name: .long, help: "Directory for a checkpoint written atomically after every epoch (weights, Adam state, position, RNG).")
    var checkpoint: String?

    @Option(name: .long, help: "Continue from a checkpoint file (or a directory holding one) to the same result as an uninterrupted run.")
    var resume: String?

    func validate() throws {
        if let lr, !(lr.isFinite && lr > 0) { throw ValidationError("--lr must be a number > 0, got \(lr)") }
    }

    func apply(to options: inout RunOptions) {
        options.lr = lr
        options.checkpointDirectory = checkpoint
        options.resume = resume
    }

    /// Whether these flags fit the lesson (part of `Run.checkInputs`; nothing is touched on disk).
    func check(lesson: Lesson, save: String?) throws {
        if save != nil && lesson.model == .linearSGD {
            throw InputError("--save: \(lesson.id) fits two numbers (a, b), not a model with weights; --save is for the character lessons")
        }
        if lesson.model.isRatings && (checkpoint != nil || resume != nil) {
            throw InputError("--checkpoint/--resume: not yet for \(lesson.id); checkpoints are for the character lessons")
        }
        if lesson.model == .linearSGD && (checkpoint != nil || resume != nil) {
            throw InputError("--checkpoint/--resume: \(lesson.id) runs in seconds; checkpoints are for the character lessons")
        }
    }

    /// Just before training: a `--save` path that cannot be written fails now (a probe file is
    /// created and removed), not after an hour of epochs; then the Ctrl-C handler goes in, so
    /// from here on SIGINT stops between batches.
    func prepare(lesson: Lesson, save: String?, corpus: String?) throws {
        if let save {
            do { try AtomicFile.checkDestination(save, probe: true, notOverwriting: inputs(lesson, corpus: corpus)) }
            catch let e as FileWriteError { throw InputError("--save \(e.description)") }
        }
        Interruption.installHandler()
    }

    /// What `run` reads, which no output may overwrite.
    func inputs(_ lesson: Lesson, corpus: String?) -> [(what: String, path: String)] {
        var list = [(what: "lesson file", path: lesson.source)]
        if lesson.model != .linearSGD { list.append((what: "corpus", path: CorpusLocator.resolve(corpus))) }
        if let resume { list.append((what: "--resume checkpoint", path: resume)) }
        return list
    }
}
