import ArgumentParser
import Foundation
import LessonEngine
import Models

struct TrainVsEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-vs-eval",
        abstract: "One batch's loss in training mode and in evaluation mode, and why they differ.",
        discussion: "For the ratings lessons (embedding-net, mixed-input): training mode draws dropout masks and normalises with the batch's statistics; evaluation mode drops nothing and uses batch norm's running statistics.")

    @Argument(help: "Lesson id (embedding-net, mixed-input, collab).")
    var lesson: String

    @Option(name: .long, help: "Training batches to run first, so the running statistics have moved. (default: 0)")
    var trainBatches: Int = 0

    @Option(name: .long, help: "Rows in the batch (default: the lesson's batch size).")
    var batch: Int?

    @OptionGroup var options: LessonOptions

    func run() throws {
        try reportingErrors {
            guard trainBatches >= 0, trainBatches <= 1_000_000 else { throw InputError("--train-batches: expected 0…1000000, got \(trainBatches)") }
            if let batch, batch < 2 { throw InputError("--batch: expected at least 2 rows (batch norm needs a variance), got \(batch)") }
            let lesson = try catalog().lesson(self.lesson)
            let run = try options.runOptions()
            let movies = try run.ratings.load(default: lesson.ratings)
            try TrainVsEval(lesson: lesson, seed: options.seed).run(movies, trainBatches: trainBatches, batchSize: batch, say: say)
        }
    }
}
