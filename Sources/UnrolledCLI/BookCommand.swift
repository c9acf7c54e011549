import ArgumentParser
import Book
import Foundation
import LessonEngine
import Models
import TensorCore

struct BookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "book",
        abstract: "Write the lesson book: one interactive HTML page per lesson, replaying one training step.",
        discussion: """
        Each page holds one recorded step (the same replay `step` walks): the computation graph, \
        the architecture, the seed's code, every op's inputs and outputs as heatmaps, explain, \
        shared-weight contributions and the narration. Pages open from file:// with no network. \
        Writes OUT/LESSON.html and OUT/index.html.
        """)

    @Argument(help: "Lesson id or path to a lesson .yaml file.")
    var lesson: String?

    @Flag(name: .long, help: "Write every lesson's page and the index.")
    var all = false

    @Option(name: .long, help: ArgumentHelp("Output folder.", valueName: "DIR"))
    var out: String = "output/book"

    @Option(name: .long, parsing: .unconditional, help: "Rows in the recorded mini-batch (points for linear-sgd).")
    var batch: Int = 4

    @Option(name: .long, help: "Trained weights (safetensors from `unrolled run --save`): the page also shows the step replayed with them.")
    var weights: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Train N steps with the lesson's schedule, then record step N + 1.", valueName: "N"))
    var atStep: Int = 0

    @Option(name: .long, help: ArgumentHelp("Start from this checkpoint (`run --checkpoint`); --at-step counts from there.", valueName: "FILE"))
    var resume: String?

    @OptionGroup var options: LessonOptions

    func validate() throws {
        if all {
            guard lesson == nil else { throw ValidationError("--all writes every lesson; leave out '\(lesson!)'") }
            guard weights == nil else { throw ValidationError("--weights belongs to one lesson's model; name the lesson") }
        } else if lesson == nil {
            throw ValidationError("name a lesson (see `unrolled list`) or pass --all")
        }
    }

    func run() throws {
        try reportingErrors(interruptible: true) {
            let cat = try catalog()
            let lessons = all ? try cat.all() : [try cat.lesson(lesson!)]
            let resources = try BookResources.locate()
            let dir = URL(fileURLWithPath: out, isDirectory: true)
            var runOptions = try options.runOptions()
            if let resume { runOptions.resume = resume }
            // Record everything before writing, so a bad lesson leaves no half-written book.
            var pages: [(Lesson, String, String)] = []
            var skipped: [String] = []
            for lesson in lessons {
                try Interruption.check(while: "recording \(lesson.id)'s step")
                let replay: Replay
                do {
                    replay = try Replay.record(lesson: lesson, options: runOptions, batch: batch, atStep: atStep)
                } catch let error as InputError where all {
                    // --all writes what it can (the collab lesson needs ratings, the others a corpus).
                    skipped.append("\(lesson.id) (\(error.message))")
                    continue
                }
                var trained: Replay?
                if let weights {
                    trained = try Replay.record(lesson: lesson, options: runOptions, batch: batch, weights: weights)
                }
                var command = "unrolled step \(lesson.id) --batch \(batch)"
                if atStep > 0 { command += " --at-step \(atStep)" }
                if let resume { command += " --resume \(resume)" }
                if options.seed != 42 { command += " --seed \(options.seed)" }
                let html = try LessonBook.page(replay: replay, trained: trained, trainedSource: weights ?? "",
                                               seed: options.seed, resources: resources, command: command)
                let summary = "\(replay.count(.forward)) forward, \(replay.count(.backward)) backward, \(replay.count(.update)) update ops; \(replay.batchDescription)"
                pages.append((lesson, html, summary))
            }
            // The last moment Ctrl-C stops the book: writing its few pages takes milliseconds.
            try Interruption.check(while: "making the book")
            for (lesson, html, _) in pages {
                let url = dir.appendingPathComponent(lesson.id + ".html")
                try writeFile(html, to: url)
                say("wrote \(displayPath(url)) (\(html.utf8.count / 1024) KB)")
            }
            // The index lists every lesson whose page is in the folder, in catalog order.
            var entries: [(file: String, title: String, summary: String)] = []
            for lesson in try cat.all() {
                let file = lesson.id + ".html"
                guard FileManager.default.fileExists(atPath: dir.appendingPathComponent(file).path) else { continue }
                let summary = pages.first { $0.0.id == lesson.id }?.2 ?? ""
                entries.append((file, lesson.title, summary))
            }
            guard !pages.isEmpty else { throw InputError("book --all: no lesson could be recorded: \(skipped.joined(separator: "; "))") }
            let index = dir.appendingPathComponent("index.html")
            try writeFile(try LessonBook.index(entries: entries, resources: resources), to: index)
            say("wrote \(displayPath(index))")
            for s in skipped { say("skipped \(s)") }
        }
    }

    func writeFile(_ text: String, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        // Walk up to the first folder that exists: it must be a folder, or --out names a file.
        var probe = dir
        while !FileManager.default.fileExists(atPath: probe.path, isDirectory: &isDirectory) && probe.path != "/" {
            probe = probe.deletingLastPathComponent()
        }
        guard isDirectory.boolValue else { throw InputError("--out: \(probe.path) is a file, not a folder") }
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw InputError("--out: cannot create \(dir.path) (\((error as NSError).localizedFailureReason ?? "permission denied?"))")
        }
        try AtomicFile.write(Array(text.utf8), to: url.path)
    }
}
