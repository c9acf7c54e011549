import Diagrams
import Foundation
import LessonEngine
import Models

/// Collects what `fit` reports into loss curves for `run` and `draw --view loss`. Each batch is
/// placed at its true position in epochs, so a scaled schedule (`--epochs-scale 0.05`, which
/// trains 5% of each epoch) still reads as a fraction of an epoch.
final class LossRecorder {
    private(set) var train: [Double] = [], trainX: [Double] = []
    private(set) var validation: [Double] = [], validationX: [Double] = []
    /// How much of a full epoch each epoch that `fit` reports covers, in order. Mirrors
    /// `Trainer.fit`: a phase of e epochs trains whole epochs, then the remaining fraction.
    private let shares: [Double]
    private var epoch = 0
    private var start = 0.0
    private let lesson: Lesson
    private let epochsScale: Double

    init(lesson: Lesson, epochsScale: Double) {
        self.lesson = lesson
        self.epochsScale = epochsScale
        var shares: [Double] = []
        for phase in lesson.schedule {
            var remaining = phase.epochs * epochsScale
            while remaining > 1e-9 {
                shares.append(min(remaining, 1))
                remaining -= min(remaining, 1)
            }
        }
        self.shares = shares
    }

    func add(_ event: FitEvent) {
        let share = epoch < shares.count ? shares[epoch] : 1
        switch event {
        case .batch(_, let batch, let of, let loss, _):
            train.append(Double(loss))
            trainX.append(start + share * Double(batch) / Double(max(of, 1)))
        case .epoch(let result):
            start += share
            validation.append(Double(result.validLoss))
            validationX.append(start)
            epoch += 1
        }
    }

    /// Write `dir/loss.svg` and `dir/loss.png`; returns the paths.
    func write(to dir: URL) throws -> [URL] {
        var plot = try LossPlot(train: train, batchesPerEpoch: 1, validation: validation)
        plot.trainPositions = trainX
        plot.validationPositions = validationX
        plot.title = "\(lesson.id): loss" + (epochsScale == 1 ? "" : " (--epochs-scale \(epochsScale))")
        return try DiagramWriter.writeLossPlot(plot, to: dir)
    }

    /// Linear SGD has no epochs: one full-batch loss per iteration, unsmoothed.
    static func writeLinearSGD(losses: [Float], lesson: Lesson, to dir: URL) throws -> [URL] {
        var plot = try LossPlot(train: losses.map(Double.init), batchesPerEpoch: 1)
        plot.smoothing = 0
        plot.xName = "iteration"
        plot.title = "\(lesson.id): mean squared error per SGD iteration"
        return try DiagramWriter.writeLossPlot(plot, to: dir)
    }
}

/// `out/<lesson id>`: every picture of one lesson goes in its own folder.
func lessonOutputDirectory(_ out: String, _ lesson: Lesson) -> URL {
    URL(fileURLWithPath: out, isDirectory: true).appendingPathComponent(lesson.id, isDirectory: true)
}

/// Paths as the user typed the output folder (relative stays relative), for "wrote …" lines.
func displayPath(_ url: URL) -> String {
    let cwd = FileManager.default.currentDirectoryPath + "/"
    return url.path.hasPrefix(cwd) ? String(url.path.dropFirst(cwd.count)) : url.path
}
