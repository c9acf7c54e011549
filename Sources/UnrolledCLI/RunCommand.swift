import ArgumentParser
import Foundation
import LessonEngine
import Models

struct Run: ChecksInputs {
    static let configuration = CommandConfiguration(
        abstract: "Train a lesson's model with the seed's schedule and print the fit table.")

    @Argument(help: "Lesson id (see `unrolled list`) or path to a lesson .yaml file.")
    var lesson: String

    @OptionGroup var options: LessonOptions

    @OptionGroup var schedule: EpochsScaleOption

    @Option(name: .long, help: "Save the trained weights as safetensors (PyTorch state_dict names).")
    var save: String?

    @Option(name: .long, help: ArgumentHelp("Where the loss plot goes: DIR/<lesson id>/loss.svg and .png.", valueName: "DIR"))
    var out: String = "output"

    @Flag(name: .long, help: "Do not write the loss plot.")
    var noPlot = false

    @OptionGroup var axis: LossAxisOption

    @OptionGroup var training: TrainingOptions

    /// The lesson and the options it trains with, every flag checked against it.
    func checkInputs() throws -> (lesson: Lesson, options: RunOptions) {
        let lesson = try catalog().lesson(self.lesson)
        var runOptions = try options.runOptions(epochsScale: schedule.epochsScale)
        training.apply(to: &runOptions)
        try runOptions.validate()
        try training.check(lesson: lesson, save: save)
        if !lesson.model.isRatings { try LessonRunner(lesson: lesson, options: runOptions).checkScheduleTrains() }
        return (lesson, runOptions)
    }

    func run() throws {
        try reportingErrors {
            let (lesson, runOptions) = try checkInputs()
            try training.prepare(lesson: lesson, save: save, corpus: options.corpus)
            let plotDir = lessonOutputDirectory(out, lesson)
            // Every output is checked before training: a bad --out must not cost the run.
            if !noPlot {
                try checkPictureOutputs(plotDir, names: ["loss.svg", "loss.png"], inputs: training.inputs(lesson, corpus: options.corpus))
            }
            if lesson.model.isRatings {
                try runCollab(lesson, seed: runOptions.seed, epochsScale: schedule.epochsScale, ratings: runOptions.ratings,
                              save: save, plotDir: noPlot ? nil : plotDir)
                return
            }
            let runner = LessonRunner(lesson: lesson, options: runOptions)
            if lesson.model == .linearSGD {
                let result = try runner.runLinearSGD(say: say)
                if !noPlot { say("loss plot: \(displayPath(try LossRecorder.writeLinearSGD(losses: result.losses, lesson: lesson, to: plotDir, logarithmic: axis.logarithmic(for: lesson))[0]))") }
                return
            }
            let losses = LossRecorder(lesson: lesson, epochsScale: schedule.epochsScale)
            let model = try trainShowingProgress(runner, observe: losses.add)
            if let save {
                try Weights.save(model, to: save, metadata: ["lesson": lesson.id, "model": model.kind])
                say("saved \(model.parameters.count) tensors (\(model.parameterCount) values) to \(save)")
            }
            // After --save, so a picture that cannot be written never costs the weights.
            if !noPlot { say("loss plot: \(displayPath(try losses.write(to: plotDir, logarithmic: axis.logarithmic(for: lesson))[0]))") }
        }
    }
}

/// Train a character lesson with its schedule: the fit table on stdout, a progress bar on
/// stderr (cleared before every line and at the end), and every FitEvent to `observe`.
func trainShowingProgress(_ runner: LessonRunner, observe: @escaping (FitEvent) -> Void = { _ in }) throws -> CharModel {
    let progress = ProgressBar()
    defer { progress.clear() }
    let (model, _, _) = try runner.runCharModel(say: { progress.clear(); say($0) },
                                                progress: { progress.update($0); observe($0) })
    return model
}

/// A one-line progress bar on a terminal (stderr); silent when stderr is not a terminal, so
/// piped output holds only the table.
final class ProgressBar {
    let enabled = isatty(2) != 0
    var shown = false

    func update(_ event: FitEvent) {
        guard enabled, case .batch(let epoch, let batch, let total, _, let smoothed) = event else { return }
        guard batch == total || batch % 5 == 0 else { return }
        let width = 30
        let filled = width * batch / max(total, 1)
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = String(format: "\repoch %d %@ %d/%d  loss %.4f", epoch, bar, batch, total, smoothed)
        FileHandle.standardError.write(Data(line.utf8))
        shown = true
    }

    func clear() {
        guard shown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        shown = false
    }
}
