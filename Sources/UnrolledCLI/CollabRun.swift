import Diagrams
import Foundation
import LessonEngine
import Models

/// `unrolled run collab`: the fit table with each epoch's learning rates, the weights, and the
/// loss and SGDR learning-rate plots.
func runCollab(_ lesson: Lesson, seed: UInt64, epochsScale: Double, ratings: RatingsOptions,
               save: String?, plotDir: URL?) throws {
    let movies = try ratings.load(default: lesson.ratings)
    let progress = ProgressBar()
    defer { progress.clear() }
    let outcome = try CollabRunner(lesson: lesson, seed: seed, epochScale: epochsScale)
        .run(movies, say: { progress.clear(); say($0) }, progress: { event in
            if case .batch(let e, let b, let of, let loss, let smoothed, _) = event {
                progress.update(.batch(epoch: e, batch: b, of: of, loss: loss, smoothed: smoothed))
            }
        })
    progress.clear()
    if let save {
        try Weights.save(outcome.model, to: save, metadata: ["lesson": lesson.id, "model": outcome.model.kind,
                                                            "data": movies.isSynthetic ? "synthetic" : movies.directory])
        say("saved \(outcome.model.stateDict.count) tensors (\(outcome.model.stateDict.reduce(0) { $0 + $1.tensor.count }) values\(outcome.model.buffers.isEmpty ? "" : ", batch norm's running statistics included")) to \(save)")
    }
    guard let plotDir else { return }
    let perEpoch = Double(outcome.batchesPerEpoch)
    let x = outcome.losses.indices.map { Double($0 + 1) / perEpoch }
    var loss = try LossPlot(train: outcome.losses.map(Double.init), batchesPerEpoch: 1, validation: outcome.results.map { Double($0.validLoss) })
    loss.trainPositions = x
    loss.smoothedTrain = SmoothedLoss.curve(loss.train)
    loss.title = "\(lesson.id): MSE loss" + (movies.isSynthetic ? " (SYNTHETIC data)" : "") + (epochsScale == 1 ? "" : " (--epochs-scale \(epochsScale))")
    var lr = try LossPlot(train: outcome.lrs.map(Double.init), batchesPerEpoch: 1)
    lr.trainPositions = x
    lr.yName = "learning rate"
    lr.trainLegend = "lr per batch"
    lr.title = "\(lesson.id): SGDR learning rate per batch (cycle_len 1, cycle_mult 2)"
    let files = try DiagramWriter.writeLossPlot(loss, to: plotDir) + DiagramWriter.writeLossPlot(lr, to: plotDir, name: "lr")
    say("plots: " + files.filter { $0.pathExtension == "svg" }.map(displayPath).joined(separator: ", "))
}
