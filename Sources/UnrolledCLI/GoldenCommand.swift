import ArgumentParser
import Foundation
import LessonEngine
import Models
import Formats
import TensorCore

struct Golden: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare a lesson's model, op by op, with PyTorch's committed numbers.",
        discussion: "Loads Tests/ModelsTests/Fixtures/golden/<model>.safetensors (written by tools/golden/make_golden.py), runs the same batch through Unrolled and prints one row per labelled value: forward values, gradients, and the parameters after three Adam steps.")

    @Argument(help: "Lesson id (char3, char-loop, char-loop-concat, char-rnn, char-seq-rnn, collab, embedding-net, mixed-input).")
    var lesson: String

    @Option(name: .long, help: "CharSeqRnn's log_softmax axis: vocab or legacy.")
    var softmax: String?

    @Option(name: .long, help: "Fixture directory.")
    var fixtures: String?

    func run() throws {
        try reportingErrors(interruptible: true) {
            let cat = try catalog()
            let lesson = try cat.lesson(self.lesson)
            let dir = fixtures ?? URL(fileURLWithPath: cat.directory).deletingLastPathComponent()
                .appendingPathComponent("Tests/ModelsTests/Fixtures/golden").path
            if let which = [Lesson.ModelKind.embeddingNet: MixedGolden.Model.embeddingNet, .mixedInput: .mixedInput][lesson.model] {
                let path = "\(dir)/\(which.rawValue).safetensors"
                let file: SafeTensorsFile
                do { file = try SafeTensors.readFile(URL(fileURLWithPath: path)) } catch { throw InputError("golden fixture \(error)") }
                try report(try MixedGolden.run(which, fixture: file.tensors, source: path), kind: which.kind, path: path)
                return
            }
            if lesson.model == .embeddingDotBias {
                let path = "\(dir)/collab.safetensors"
                let file: SafeTensorsFile
                do { file = try SafeTensors.readFile(URL(fileURLWithPath: path)) } catch { throw InputError("golden fixture \(error)") }
                try report(try CollabGolden.run(fixture: file.tensors, source: path), kind: "EmbeddingDotBias", path: path)
                return
            }
            guard lesson.model != .linearSGD else {
                throw InputError("golden: \(lesson.id) is checked by `make test` (GoldenModelTests.testLinearSGD); pick a character lesson")
            }
            var options = RunOptions()
            if let softmax {
                guard let mode = SoftmaxMode(rawValue: softmax) else { throw InputError(usage: "--softmax: expected 'vocab' or 'legacy', got '\(softmax)'") }
                options.softmax = mode
            }
            let runner = LessonRunner(lesson: lesson, options: options)
            let model = runner.makeModel(vocabSize: 85)
            let path = "\(dir)/\(GoldenCheck.fixtureName(for: model)).safetensors"
            let file: SafeTensorsFile
            do { file = try SafeTensors.readFile(URL(fileURLWithPath: path)) } catch {
                throw InputError("golden fixture \(error)")
            }
            let info = (file.metadata["golden"].flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: Any]) ?? [:]
            let lr = Float(info["lr"] as? Double ?? Double(lesson.schedule[0].lr))
            try report(try GoldenCheck.run(model: model, fixture: file.tensors, lr: lr, source: path), kind: model.kind, path: path)
        }
    }

    /// One row per compared value; exit status 1 at the first divergence.
    func report(_ rows: [GoldenCheck.Row], kind: String, path: String) throws {
        // The comparison is a few steps on one batch; Ctrl-C during it stops here, before the table.
        try Interruption.check(while: "comparing with PyTorch")
        say("\(kind) against \(path)")
        say("rules: forward \(GoldenTolerance.forward); gradients \(GoldenTolerance.gradient); Adam's change Δ over 3 steps the same, "
            + "plus up to lr per step where that step's gradient was rounding noise (docs/golden.md)")
        say("a row passes when every element is within its bound; 'worst' is the share of its bound the worst element used")
        let w = max(24, rows.map(\.label.count).max() ?? 0)
        say("label".padding(toLength: w, withPad: " ", startingAt: 0) + "  phase       max|ref|   max|a−b|/max|ref|  worst")
        for r in rows {
            let mark = r.passed ? "✓" : "✗"
            let head = r.label.padding(toLength: w, withPad: " ", startingAt: 0) + "  "
                + r.phase.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
            guard let c = r.comparison else { say(head + "  " + r.verdict + "  " + mark); continue }
            say(head + String(format: "  %10.3e  %17.3e  %6.1f%%  %@", c.scale, c.maxAbsDiffOfScale, 100 * c.worstOfBound, mark))
        }
        let failed = rows.filter { !$0.passed }
        say("\(rows.count - failed.count) of \(rows.count) match PyTorch")
        if let first = failed.first {
            say("first divergence: \(first.label) (\(first.phase.rawValue)): \(first.verdict)")
            throw ExitCode(1)
        }
    }
}
