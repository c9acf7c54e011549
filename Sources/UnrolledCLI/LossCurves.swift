import ArgumentParser
import Diagrams
import Foundation
import LessonEngine
import Models
import TensorCore
#if canImport(Glibc)
import Glibc
#endif

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
    func write(to dir: URL, logarithmic: Bool = false) throws -> [URL] {
        var plot = try LossPlot(train: train, batchesPerEpoch: 1, validation: validation)
        plot.smoothedTrain = SmoothedLoss.curve(train)
        plot.logarithmic = logarithmic
        plot.trainPositions = trainX
        plot.validationPositions = validationX
        plot.title = "\(lesson.id): loss" + (epochsScale == 1 ? "" : " (--epochs-scale \(epochsScale))")
        return try DiagramWriter.writeLossPlot(plot, to: dir)
    }

    /// Linear SGD has no epochs: one full-batch loss per iteration, unsmoothed.
    /// The loss falls from tens to under 0.1, so its axis is logarithmic unless asked otherwise.
    static func writeLinearSGD(losses: [Float], lesson: Lesson, to dir: URL, logarithmic: Bool = true) throws -> [URL] {
        var plot = try LossPlot(train: losses.map(Double.init), batchesPerEpoch: 1)
        plot.logarithmic = logarithmic
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

/// Check, before any training, that pictures `names` can be written into `dir`: every existing
/// part of the path is a folder, the first missing one can be made, no name is too long, and
/// files already there are replaceable regular files that are not an input. Nothing is created.
func checkPictureOutputs(_ dir: URL, names: [String], flag: String = "--out",
                         inputs: [(what: String, path: String)] = []) throws {
    var path = ""
    for component in dir.standardizedFileURL.pathComponents {
        if component.utf8.count > Int(NAME_MAX) - 16 {
            throw InputError("\(flag) \(dir.path): the folder name '\(component.prefix(40))…' is \(component.utf8.count) bytes; at most \(Int(NAME_MAX) - 16)")
        }
        let parent = path.isEmpty ? "/" : path
        path = component == "/" ? "/" : (path == "/" ? "/" : path + "/") + component
        var st = stat()
        if stat(path, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFDIR else {
                throw InputError("\(flag) \(dir.path): \(path) is not a folder")
            }
            continue
        }
        guard access(parent, W_OK) == 0 else {
            throw InputError("\(flag) \(dir.path): cannot create \(path) (\(parent) is not writable)")
        }
        return  // the rest is made when the pictures are written
    }
    for name in names {
        do { try AtomicFile.checkDestination(dir.appendingPathComponent(name).path, probe: true, notOverwriting: inputs) }
        catch let e as FileWriteError { throw InputError("\(flag) \(e.description)") }
    }
}

/// `--loss-axis log|linear` for the loss plot of `run` and `draw --view loss`.
struct LossAxisOption: ParsableArguments {
    enum Axis: String, ExpressibleByArgument, CaseIterable { case log, linear }

    @Option(name: .long, help: "The loss plot's y axis: log or linear (default: log for linear-sgd, whose loss falls from tens to under 0.1; linear otherwise).")
    var lossAxis: Axis?

    func logarithmic(for lesson: Lesson) -> Bool {
        (lossAxis ?? (lesson.model == .linearSGD ? .log : .linear)) == .log
    }
}
