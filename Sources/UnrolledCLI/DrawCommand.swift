import ArgumentParser
import Diagrams
import Foundation
import LessonEngine
import Models
import TensorCore

struct Draw: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw a lesson's pictures: architecture, one step's computation graph, the SGD animation, loss curves.",
        discussion: """
        Files go to OUT/<lesson id>/ as SVG and PNG. Without --view: arch, graph (and sgd for \
        linear-sgd). --all does that for every lesson and writes OUT/index.html. Loss curves need \
        training, so only --view loss (or `unrolled run`) draws them.
        """)

    enum View: String, ExpressibleByArgument, CaseIterable {
        case arch, graph, sgd, loss
    }

    @Argument(help: "Lesson id (see `unrolled list`) or path to a lesson .yaml file.")
    var lesson: String?

    @Option(name: .long, help: "What to draw (default: arch, graph, and sgd where the lesson has one).")
    var view: View?

    @Option(name: .long, help: ArgumentHelp("With --view graph: highlight the op at trace position N, forward or backward (the numbers `unrolled step` shows).", valueName: "N"))
    var step: Int?

    @Flag(name: .long, help: "With --view graph: one numbered picture per forward and backward op, each highlighted.")
    var frames = false

    @Flag(name: .long, help: "With --view graph: write the gradient of the loss into every op's box.")
    var backward = false

    @Option(name: .long, help: "With --view graph: rows in the traced mini-batch (default 4, small keeps the numbers readable; linear-sgd: all its points, as run fits them).")
    var batch: Int?

    /// With --view loss only (checked in validate).
    @OptionGroup var schedule: EpochsScaleOption

    @OptionGroup var axis: LossAxisOption

    @Flag(name: .long, help: "Draw every lesson (arch, graph, sgd; not loss, which needs training) and OUT/index.html.")
    var all = false

    @Option(name: .long, help: ArgumentHelp("Output folder; each lesson gets a folder inside it.", valueName: "DIR"))
    var out: String = "output"

    @OptionGroup var options: LessonOptions

    @OptionGroup var replayAt: ReplayOptions

    func validate() throws {
        if all {
            guard lesson == nil else { throw ValidationError("--all draws every lesson; leave out '\(lesson!)'") }
            guard view == nil else { throw ValidationError("--all draws arch, graph and sgd; use LESSON --view \(view!.rawValue) for one kind") }
        } else if lesson == nil {
            throw ValidationError("name a lesson (see `unrolled list`) or pass --all")
        }
        let graphOnly = step != nil || frames || backward || batch != nil
        if graphOnly && (all || (view != nil && view != .graph)) {
            throw ValidationError("--step, --frames, --backward and --batch go with --view graph")
        }
        if schedule.epochsScale != 1 && view != .loss {
            throw ValidationError("--epochs-scale goes with --view loss")
        }
        if axis.lossAxis != nil && view != .loss {
            throw ValidationError("--loss-axis goes with --view loss")
        }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
    }

    func run() throws {
        try reportingErrors(interruptible: true) {
            let cat = try catalog()
            if all {
                var sections: [GallerySection] = []
                var skipped: [String] = []
                // Without a corpus, the character lessons' graphs cannot be recorded: draw the
                // rest and say what was left out, rather than stop half way.
                let corpus = CorpusLocator.existing(options.corpus)
                for lesson in try cat.all() {
                    try Interruption.check(while: "drawing \(lesson.id)")
                    let dir = lessonOutputDirectory(out, lesson)
                    var files: [URL]
                    if corpus == nil && lesson.needsCorpus {
                        files = try drawArchitectures(lesson, to: dir)
                        skipped.append("\(lesson.id): graph")
                    } else {
                        files = try drawDefault(lesson, to: dir)
                    }
                    // A loss plot from an earlier `run` belongs in the gallery too.
                    files += ["loss.svg", "loss.png"].map { dir.appendingPathComponent($0) }
                        .filter { FileManager.default.fileExists(atPath: $0.path) }
                    sections.append(GallerySection(title: lesson.title, folder: dir, files: files))
                }
                let page = try Gallery.write(sections: sections, to: URL(fileURLWithPath: out, isDirectory: true))
                say("wrote \(displayPath(page))")
                if !skipped.isEmpty {
                    say("skipped (no corpus: pass --corpus FILE or run `unrolled corpus download`): \(skipped.joined(separator: ", "))")
                }
                return
            }
            let lesson = try cat.lesson(self.lesson!)
            let dir = lessonOutputDirectory(out, lesson)
            switch view {
            case nil: _ = try drawDefault(lesson, to: dir)
            case .arch: _ = try drawArchitectures(lesson, to: dir)
            case .graph: _ = try drawGraph(lesson, to: dir)
            case .sgd: _ = try drawSGD(lesson, to: dir)
            case .loss: try drawLoss(lesson, to: dir)
            }
        }
    }

    /// arch + graph (+ sgd): everything that needs no training. Returns the files for a gallery.
    func drawDefault(_ lesson: Lesson, to dir: URL) throws -> [URL] {
        var files = try drawArchitectures(lesson, to: dir)
        files += try drawGraph(lesson, to: dir)
        if lesson.model == .linearSGD { files += try drawSGD(lesson, to: dir) }
        return files
    }

    // MARK: arch

    /// The lesson's model in the lecture's notation; linear SGD's is y = a·x + b itself.
    static func architectures(for lesson: Lesson) -> [(name: String, architecture: Architecture)] {
        let steps = lesson.seqLength
        switch lesson.model {
        case .linearSGD: return [("arch-linear", .linear())]
        case .char3: return [("arch-char3", .char3())]
        case .charLoop: return [("arch-rolled", .charLoop(unrolled: false)), ("arch-unrolled", .charLoop(unrolled: true, steps: steps))]
        case .charLoopConcat:
            return [("arch-rolled", .charLoopConcat(unrolled: false)), ("arch-unrolled", .charLoopConcat(unrolled: true, steps: steps))]
        case .charRnn: return [("arch-rolled", .charRnn(unrolled: false)), ("arch-unrolled", .charRnn(unrolled: true, steps: steps))]
        case .charSeqRnn:
            return [("arch-rolled", .charSeqRnn(unrolled: false)), ("arch-unrolled", .charSeqRnn(unrolled: true, steps: steps))]
        case .embeddingDotBias: return [("arch-collab", .embeddingDotBias(factors: lesson.nFactors))]
        case .embeddingNet: return [("arch-embedding-net", .embeddingNet(factors: lesson.nFactors))]
        case .mixedInput: return [("arch-mixed-input", .mixedInput())]
        }
    }

    func drawArchitectures(_ lesson: Lesson, to dir: URL) throws -> [URL] {
        var files: [URL] = []
        for (name, architecture) in Self.architectures(for: lesson) {
            files += try DiagramWriter.writeArchitecture(architecture, to: dir, name: name)
        }
        report(files)
        return files
    }

    // MARK: graph

    func drawGraph(_ lesson: Lesson, to dir: URL) throws -> [URL] {
        var runOptions = try options.runOptions()
        replayAt.apply(to: &runOptions)
        // The graph's shape does not depend on the ratings: without MovieLens, draw it on the
        // synthetic set (small) rather than fail `draw --all`.
        if lesson.model.isRatings, runOptions.ratings.directory == nil, !runOptions.ratings.synthetic,
           !FileManager.default.fileExists(atPath: MovieLensDownload.defaultDirectory + "/ratings.csv") {
            runOptions.ratings.synthetic = true
            runOptions.ratings.syntheticConfig = .small()
        }
        let rows = batch ?? (lesson.model == .linearSGD ? nil : 4)
        let replay = try Replay.record(lesson: lesson, options: runOptions, batch: rows, level: .summary, atStep: replayAt.atStep, weights: replayAt.weights)
        if lesson.model == .linearSGD { say("graph of one SGD step: \(replay.batchDescription)") }
        let graph = ComputationGraph(events: replay.events)
        if let step {
            guard graph.nodeIndex(forSeq: step) != nil else {
                throw InputError("--step \(step): \(stepProblem(step, replay.events)) (\(lesson.id): \(positionRanges(replay.events)))")
            }
        }
        var files: [URL] = []
        var name = "graph"
        if let step { name += "-step-\(step)" }
        if backward { name += "-backward" }
        files += try DiagramWriter.writeComputationGraph(events: replay.events, to: dir, name: name,
                                                         highlight: step, showBackward: backward,
                                                         context: replay.batchDescription)
        report(files)
        if frames {
            // One frame per op the graph can point at: forward ops in order, then backward rules.
            let positions = replay.events.map(\.seq).filter { graph.nodeIndex(forSeq: $0) != nil }
            let framesDir = dir.appendingPathComponent(backward ? "graph-frames-backward" : "graph-frames", isDirectory: true)
            let digits = String(positions.count).count
            for (k, seq) in positions.enumerated() {
                try Interruption.check(while: "drawing frame \(k + 1) of \(positions.count)")
                let number = String(k + 1).leftPadded(to: digits)
                files += try DiagramWriter.writeComputationGraph(events: replay.events, to: framesDir, name: "frame-\(number)-seq-\(seq)",
                                                                 highlight: seq, showBackward: backward,
                                                                 context: replay.batchDescription)
            }
            say("wrote \(positions.count) frames (PNG + SVG) to \(displayPath(framesDir))/")
        }
        return files
    }

    /// "forward 1…28, backward 29…56, update 57…63".
    func positionRanges(_ events: [TraceEvent]) -> String {
        [TracePhase.forward, .backward, .update].compactMap { phase in
            let seqs = events.filter { $0.phase == phase }.map(\.seq)
            guard let lo = seqs.min(), let hi = seqs.max() else { return nil }
            return "\(phase.rawValue) \(lo)…\(hi)"
        }.joined(separator: ", ")
    }

    /// Why a trace position has no box to highlight.
    func stepProblem(_ step: Int, _ events: [TraceEvent]) -> String {
        guard let e = events.first(where: { $0.seq == step }) else { return "no such position" }
        switch e.phase {
        case .update: return "#\(step) is the optimizer's update of \(e.label), which has no box in the graph; pick a forward or backward position"
        default: return "#\(step) (\(e.op) \(e.label)) has no box in the graph"
        }
    }

    // MARK: sgd

    func drawSGD(_ lesson: Lesson, to dir: URL) throws -> [URL] {
        guard lesson.model == .linearSGD else {
            throw InputError("--view sgd: \(lesson.id) has no SGD animation; it belongs to the linear-sgd lesson")
        }
        let story = LinearStory(runner: LessonRunner(lesson: lesson, options: try options.runOptions()))
        let (path, perFrame) = story.trajectory(frames: lesson.animation.frames)
        var animation = try LinearSGDAnimation(x: story.x, y: story.y, frames: path.map { LineFit(a: $0.a, b: $0.b) },
                                               updatesPerFrame: perFrame)
        animation.drawnPoints = lesson.animation.points
        animation.subtitle = story.summary
        let written = try DiagramWriter.writeSGDAnimation(animation, to: dir, name: "sgd")
        say("wrote \(written.framePNGs.count) frames (PNG + SVG) to \(displayPath(dir))/sgd-frame-*")
        report([written.player, written.apng, written.animatedSVG] + written.contour)
        // The gallery shows the moving versions, the contour, and the first and last frame.
        return [written.player, written.apng, written.animatedSVG] + written.contour
            + [written.frameSVGs.first!, written.frameSVGs.last!]
    }

    // MARK: loss

    func drawLoss(_ lesson: Lesson, to dir: URL) throws {
        let runner = LessonRunner(lesson: lesson, options: try options.runOptions(epochsScale: schedule.epochsScale))
        if lesson.model == .linearSGD {
            let result = try runner.runLinearSGD(say: say)
            report(try LossRecorder.writeLinearSGD(losses: result.losses, lesson: lesson, to: dir, logarithmic: axis.logarithmic(for: lesson)))
            return
        }
        let recorder = LossRecorder(lesson: lesson, epochsScale: schedule.epochsScale)
        _ = try trainShowingProgress(runner, observe: recorder.add)
        report(try recorder.write(to: dir, logarithmic: axis.logarithmic(for: lesson)))
    }

    /// One line per picture: "wrote output/char3/arch-char3.svg + .png".
    func report(_ files: [URL]) {
        let paths = files.map(displayPath)
        for path in paths where !(path.hasSuffix(".png") && paths.contains(String(path.dropLast(4)) + ".svg")) {
            let png = String(path.dropLast(4)) + ".png"
            say("wrote \(path)" + (path.hasSuffix(".svg") && paths.contains(png) ? " + .png" : ""))
        }
    }
}

extension String {
    /// "7" → "007" for file names that sort in order.
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
