import ArgumentParser
import Foundation
import LessonEngine
import Models

struct Play: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Walk a lesson's narration through one recorded step, then train with its schedule.")

    @Argument(help: "Lesson id or path to a lesson .yaml file.")
    var lesson: String

    @OptionGroup var options: LessonOptions

    @OptionGroup var schedule: EpochsScaleOption

    func run() throws {
        try reportingErrors {
            let lesson = try catalog().lesson(self.lesson)
            let runOptions = try options.runOptions(epochsScale: schedule.epochsScale)
            // Linear SGD's step is the run's first iteration on all its points; a character
            // lesson's is a batch of 4 rows, small enough to read.
            let linear = lesson.model == .linearSGD
            let replay = try Replay.record(lesson: lesson, options: runOptions, batch: linear ? nil : 4)
            let session = StepSession(replay: replay, colour: isatty(1) != 0)
            say("\(lesson.title)\n")
            say("One training step, narrated (\(linear ? replay.batchDescription : "a batch of 4"); `unrolled step \(lesson.id)` walks every op):\n")
            say(session.narration())
            say("\nNow the whole schedule:\n")
            let runner = LessonRunner(lesson: lesson, options: runOptions)
            if lesson.model.isRatings {
                try runCollab(lesson, seed: runOptions.seed, epochsScale: schedule.epochsScale, ratings: runOptions.ratings,
                              save: nil, plotDir: nil)
            } else if lesson.model == .linearSGD {
                _ = try runner.runLinearSGD(say: say)
            } else {
                _ = try trainShowingProgress(runner)
            }
        }
    }
}
