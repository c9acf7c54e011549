import ArgumentParser
import Foundation
import LessonEngine
import Models
import Formats
import TensorCore

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Loss of saved weights on the validation split (or on a range of rows).",
        discussion: "Weights are safetensors with PyTorch state_dict names, so a file saved by PyTorch evaluates here and one saved by `unrolled run --save` loads in PyTorch.")

    @OptionGroup var trained: TrainedWeightsOptions

    @Option(name: .long, help: "Rows START:END of the lesson's layout instead of the validation split.")
    var rows: String?

    @OptionGroup var options: LessonOptions

    func run() throws {
        try reportingErrors(interruptible: true) {
            let lesson = try catalog().lesson(trained.lesson)
            guard lesson.model != .linearSGD else { throw InputError("eval: \(lesson.id) has no saved weights to evaluate") }
            if lesson.model.isRatings {
                guard rows == nil else { throw InputError("--rows: the collab lesson evaluates its validation rows (get_cv_idxs)") }
                let movies = try options.runOptions().ratings.load(default: lesson.ratings)
                let cf = CollabFilterDataset(movies)
                let file: SafeTensorsFile
                do { file = try SafeTensors.readFile(URL(fileURLWithPath: trained.weights)) } catch let e as SafeTensorsError {
                    throw InputError("weights \(e.description)")
                }
                var sized = lesson
                sized.nFactors = file.tensors["u.weight"]?.shape.last ?? lesson.nFactors
                let model = CollabRunner.makeModel(sized, data: cf, titles: movies.titles, rng: SeededGenerator(seed: 0))
                try Weights.assign(file.tensors, to: model, source: trained.weights)
                let split = cf.cvSplit()
                let mse = CollabTrainer(model: model, data: cf, split: split, batchSize: lesson.batchSize).validate()
                say(String(format: "mse_loss %.6f (RMSE %.4f) over %d validation rows", mse, mse.squareRoot(), split.valid.count))
                return
            }
            let runner = LessonRunner(lesson: lesson, options: try options.runOptions())
            let (corpus, data, split) = try runner.loadData()
            let model = runner.makeModel(vocabSize: corpus.vocabSize)
            try Weights.load(trained.weights, into: model)
            var evalSplit = split
            if let rows {
                let parts = rows.split(separator: ":").map { Int($0) }
                guard parts.count == 2, let lo = parts[0], let hi = parts[1], lo >= 0, lo < hi, hi <= data.rows else {
                    throw InputError("--rows: expected START:END within 0:\(data.rows), got '\(rows)'")
                }
                evalSplit = Split(train: [], valid: Array(lo..<hi))
            }
            let trainer = Trainer(model: model, data: data, split: evalSplit, batchSize: lesson.batchSize, rng: runner.rng)
            let loss = try trainer.validate()
            say(String(format: "loss %.6f over %d rows", loss, evalSplit.valid.count))
        }
    }
}
