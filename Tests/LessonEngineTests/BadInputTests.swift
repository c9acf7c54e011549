import XCTest
@testable import LessonEngine
import Models

/// Each bad lesson file gives one line naming the file, line:column, the field and what was expected.
final class BadInputTests: XCTestCase {
    func message(_ yaml: String) -> String? {
        do { _ = try Lesson.parse(yaml: yaml, source: "x.yaml"); return nil } catch { return (error as? InputError)?.message ?? "\(error)" }
    }

    let base = "id: x\ntitle: t\nmodel: Char3Model\ndata: {layout: every-3rd}\nschedule:\n  - optimizer: adam\n"

    func testMessages() {
        XCTAssertEqual(message(base + "    lr: 0.01\n    epohcs: 1\n"),
                       "x.yaml:8:5: unknown key 'epohcs' in schedule[0] (did you mean 'epochs'?); expected one of: optimizer, lr, epochs, iterations, print_every")
        XCTAssertEqual(message(base + "    lr: 1e300\n    epochs: 1\n"), "x.yaml:7:9: schedule[0].lr: 1e300 is too large (at most 3.4028235e+38)")
        XCTAssertEqual(message(base + "    lr: 1e-50\n    epochs: 1\n"), "x.yaml:7:9: schedule[0].lr: 1e-50 is too small for a 32-bit float")
        XCTAssertEqual(message(base + "    lr: 0.01\n    epochs: 1e9\n"), "x.yaml:8:13: schedule[0].epochs: 1e9 is too large (at most 1000)")
        XCTAssertEqual(message(base + "    lr: 0.01\n    epochs: 1\nhyperparameters: {n_hidden: 100000000}\n"),
                       "x.yaml:9:29: hyperparameters.n_hidden: 100000000 is too large (at most 4096)")
        XCTAssertEqual(message(base + "    lr: 0.01\n    lr: 0.02\n    epochs: 1\n"), "x.yaml:7:5: malformed YAML: duplicate key 'lr' in one mapping")
        XCTAssertEqual(message("id: |\n  two\n  lines\ntitle: t\nmodel: LinearSGD\n"), "x.yaml:1:5: lesson.id: expected letters, digits, '-' or '_', got 'two\\nlines\\n'")
        XCTAssertEqual(message("id: [unclosed\n"), "x.yaml:2:1: malformed YAML: did not find expected ',' or ']' while parsing a flow sequence")
        XCTAssertThrowsError(try Lesson.parse(data: Data([0x69, 0x64, 0x3a, 0xff]), source: "b.yaml")) { error in
            XCTAssertEqual((error as? InputError)?.message, "lesson b.yaml: not valid UTF-8")
        }
    }

    /// A beat is told at an op (at), a phase's first op (phase), or an op of a phase (both).
    func testBeatAnchors() throws {
        let ok = try Lesson.parse(yaml: base + "    lr: 0.01\n    epochs: 1\nbeats:\n  - {at: h1, phase: backward, text: t}\n", source: "x.yaml")
        XCTAssertEqual(ok.beats, [Lesson.Beat(at: "h1", phase: "backward", text: "t")])
        XCTAssertEqual(message(base + "    lr: 0.01\n    epochs: 1\nbeats:\n  - {text: t}\n"),
                       "x.yaml:10:5: beats[0]: give 'at' (an op label), 'phase', or both")
        XCTAssertEqual(message(base + "    lr: 0.01\n    epochs: 1\nbeats:\n  - {at: h1, phase: train, text: t}\n")?.hasSuffix(
            "beats[0].phase: an 'at' beat belongs to an op of forward, backward or update, got 'train'"), true)
    }

    let collab = "id: c\ntitle: t\nmodel: EmbeddingDotBias\nschedule:\n  - optimizer: adam\n    lr: 0.01\n"

    func testCollabSchedule() throws {
        let ok = try Lesson.parse(yaml: collab + "    wd: 2e-4\n    sgdr: {cycles: 2, cycle_len: 1, cycle_mult: 2}\n", source: "c.yaml")
        XCTAssertEqual(ok.schedule[0].sgdr, Lesson.SGDR(cycles: 2, cycleLen: 1, cycleMult: 2))
        XCTAssertEqual(ok.schedule[0].weightDecay, 2e-4)
        XCTAssertEqual(ok.schedule[0].epochs, 3)
        XCTAssertEqual(ok.ratings, .movielens)
        XCTAssertEqual(message(collab), "x.yaml:5:5: schedule[0]: missing 'sgdr' (cycles, cycle_len, cycle_mult)")
        XCTAssertEqual(message(collab + "    epochs: 1\n"),
                       "x.yaml:7:5: unknown key 'epochs' in schedule[0]; expected one of: optimizer, lr, sgdr, wd")
        XCTAssertEqual(message(collab + "    sgdr: {cycles: 2, cycle_mul: 2}\n"),
                       "x.yaml:7:23: unknown key 'cycle_mul' in schedule[0].sgdr (did you mean 'cycle_mult'?); expected one of: cycles, cycle_len, cycle_mult")
        XCTAssertEqual(message(collab + "    sgdr: {cycles: 12, cycle_mult: 10}\n"),
                       "x.yaml:7:11: schedule[0].sgdr: 12 cycles of 1 epoch(s) × 10 is more than 1000 epochs")
        XCTAssertEqual(message(collab + "    sgdr: {cycles: 1}\ndata: {ratings: imdb}\n"),
                       "x.yaml:8:17: data.ratings: expected one of: movielens, synthetic, got 'imdb'")
    }

    func testCorpusTooShortForOneBatch() throws {
        var options = RunOptions()
        options.corpusPath = try Tiny.corpus(characters: 60)
        let lesson = try Tiny.lesson()
        XCTAssertThrowsError(try LessonRunner(lesson: lesson, options: options).loadData()) { error in
            XCTAssertTrue((error as? InputError)?.message.contains("needs at least one batch of 64 training rows") ?? false, "\(error)")
        }
    }

    func testRunOptionsOutOfRange() {
        var o = RunOptions()
        o.epochsScale = 1e300
        XCTAssertThrowsError(try o.validate())
        o.epochsScale = 1
        o.lr = 0
        XCTAssertThrowsError(try o.validate())
    }
}
