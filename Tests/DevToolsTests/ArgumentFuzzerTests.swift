import Foundation
import LessonEngine
import UnrolledCLI
import XCTest
@testable import unrolled_dev

/// The argument fuzzer runs the commands' own `checkInputs()`: an input that a command rejects
/// before any work is rejected here with the same line, and would be accepted here if the
/// command's check were dropped.
final class ArgumentFuzzerTests: XCTestCase {
    static let lessons = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("lessons").path

    override func setUp() { setenv("UNROLLED_LESSONS", ArgumentFuzzerTests.lessons, 1) }

    func testEachCommandsOwnChecksRejectWithItsLine() {
        let batchLimit = Lesson.Limits.batch
        let cases: [([String], ArgumentFuzzer.Outcome)] = [
            // Trace.checkInputs
            (["trace", "char3", "--hash", "--level", "off"], .rejected("--level: expected summary or full, got 'off'")),
            // Replay.checkArguments, through Step.checkInputs and Trace.checkInputs
            (["step", "char3", "--batch", "0"], .rejected("--batch: expected a whole number from 1 to \(batchLimit), got 0")),
            (["trace", "char3", "--hash", "--batch", "\(batchLimit + 1)"],
             .rejected("--batch: expected a whole number from 1 to \(batchLimit), got \(batchLimit + 1)")),
            (["step", "char3", "--weights", "w.safetensors", "--at-step", "2"],
             .rejected("--weights replays the first step with those weights; it does not combine with --at-step or --resume")),
            // Step.checkInputs
            (["step", "char3", "--phase", "sideways"], .rejected("--phase: expected forward, backward or update, got 'sideways'")),
            // Run.checkInputs (TrainingOptions.check)
            (["run", "linear-sgd", "--checkpoint", "ck"],
             .rejected("--checkpoint/--resume: linear-sgd runs in seconds; checkpoints are for the character lessons")),
            (["run", "linear-sgd", "--save", "w.safetensors"],
             .rejected("--save: linear-sgd fits two numbers (a, b), not a model with weights; --save is for the character lessons")),
            (["run", "char3", "--epochs-scale", "1e-12"],
             .rejected("--epochs-scale 1e-12: no phase of char3's schedule has a batch left to train (a phase needs more than 1e-9 of an epoch)")),
            // Generate.checkInputs
            (["generate", "linear-sgd", "--weights", "w.safetensors"], .rejected("lesson linear-sgd has no text model to generate with")),
            // LessonOptions.runOptions, shared by all four
            (["run", "char3", "--softmax", "sideways"], .rejected("--softmax: expected 'vocab' or 'legacy', got 'sideways'")),
            // ArgumentParser's validate(), before any of the above
            (["trace", "char3", "--hash", "--threads", "0"], .rejected("--threads must be between 1 and 64, got 0")),
            // What the checks let through, the fuzzer accepts.
            (["step", "char3", "--batch", "4", "--phase", "forward"], .accepted),
            (["run", "char3", "--epochs-scale", "0.1", "--save", "w.safetensors"], .accepted),
            (["trace", "char3", "--hash", "--level", "full"], .accepted),
        ]
        for (args, expected) in cases {
            XCTAssertEqual(ArgumentFuzzer.outcome(args), expected, "\(args)")
        }
    }

    /// Which commands the fuzzer takes past parsing: those with a `checkInputs()`.
    func testRunStepTraceAndGenerateCheckTheirInputsInOneMethod() {
        let checking = Unrolled.configuration.subcommands.filter { $0 is any ChecksInputs.Type }.map { $0._commandName }
        XCTAssertEqual(checking, ["run", "step", "trace", "generate"])
    }

    /// The developer commands live in `unrolled-dev` only.
    func testFuzzAndBenchRunAreNotUnrolledCommands() {
        let names = Unrolled.configuration.subcommands.map { $0._commandName }
        XCTAssertFalse(names.contains("fuzz"), "\(names)")
        XCTAssertFalse(names.contains("bench-run"), "\(names)")
        XCTAssertEqual(UnrolledDev.configuration.subcommands.map { $0._commandName }, ["fuzz", "bench-run"])
    }

    func testAFewHundredVectorsEndCleanly() throws {
        let ids = try Catalog(directory: ArgumentFuzzerTests.lessons).all().map(\.id)
        let report = ArgumentFuzzer(seed: 3, lessons: ids).run(count: 300)
        XCTAssertEqual(report.cases, 300)
        XCTAssertEqual(report.failures, [])
        XCTAssertGreaterThan(report.accepted, 0)
        XCTAssertGreaterThan(report.rejected, report.accepted)
    }
}
