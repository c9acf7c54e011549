import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C in every long loop (issue #24): each long command, sent SIGINT (or SIGTERM) while it
/// works, stops between steps with one line saying where, exit 130 (143), and leaves no
/// temporary file and no half-written output.
extension AdversarialCLITests {
    /// A lesson that trains for a long time on the test corpus (many epochs, small batches).
    func longLesson(model: String = "Char3Model", layout: String = "every-3rd") -> String {
        """
        id: long
        title: "A long tiny run"
        model: \(model)
        hyperparameters:
          n_hidden: 16
          n_fac: 4
          batch_size: 8
        data:
          layout: \(layout)
          validation: last-row
        schedule:
          - optimizer: adam
            lr: 1.0e-3
            epochs: 500

        """
    }

    struct Stopped { let result: Result; let seconds: Double }

    /// Start `args`, wait until `busy()` (checked every 10 ms) or `after` seconds, send `signal`,
    /// and return how the process ended and how long it took after the signal.
    func interrupt(_ args: [String], signal: Int32 = SIGINT, after: Double, busy: (() -> Bool)? = nil) throws -> Stopped {
        let p = UnrolledProcess.make(args, in: dir)
        let errPath = NSTemporaryDirectory() + "unrolled-interrupt-\(UUID().uuidString).err"
        FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { unlink(errPath) }
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = FileHandle(forWritingAtPath: errPath)
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try p.run()
        let start = Date()
        while p.isRunning && Date().timeIntervalSince(start) < after && !(busy?() ?? false) { usleep(10_000) }
        let sent = Date()
        kill(p.processIdentifier, signal)
        while p.isRunning && Date().timeIntervalSince(sent) < 60 { usleep(10_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        return Stopped(result: Result(status: p.terminationStatus, stdout: "",
                                      stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""),
                       seconds: Date().timeIntervalSince(sent))
    }

    /// Every `.tmp-` file under the test folder, however deep.
    func temporaryFiles() -> [String] {
        (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? []).filter { $0.contains(".tmp-") }
    }

    /// Stopped between steps: the status, one line naming where, within a few seconds (a debug
    /// build on shared cores; tools/adversarial/signals.sh measures release), nothing left.
    func assertStopped(_ s: Stopped, status: Int32 = 130, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(s.result.status, status, s.result.stderr, file: file, line: line)
        XCTAssertTrue(s.result.stderr.hasPrefix("error: interrupted "), s.result.stderr, file: file, line: line)
        XCTAssertEqual(s.result.stderr.split(separator: "\n").count, 1, s.result.stderr, file: file, line: line)
        XCTAssertLessThan(s.seconds, 5, "took \(s.seconds) s to stop", file: file, line: line)
        XCTAssertEqual(temporaryFiles(), [], file: file, line: line)
    }

    func bigText(_ bytes: Int) -> String {
        let line = "abcdefghij klmnopqrst uvwxyz. "
        return String(repeating: line, count: bytes / line.utf8.count + 1)
    }

    func testCtrlCStopsATraceBeforeItIsPublished() throws {
        try tinyLesson(id: "wide", batch: 4096, hidden: 64).write(toFile: dir + "/wide.yaml", atomically: true, encoding: .utf8)
        try bigText(40_000).write(toFile: dir + "/big.txt", atomically: true, encoding: .utf8)
        for signal in [SIGINT, SIGTERM] {
            let s = try interrupt(["trace", "wide.yaml", "--corpus", "big.txt", "--out", "t.jsonl", "--level", "full"],
                                  signal: signal, after: 60, busy: { !self.temporaryFiles().isEmpty })
            assertStopped(s, status: 128 + signal)
            XCTAssertTrue(s.result.stderr.contains("while writing the trace"), s.result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/t.jsonl"))
        }
    }

    func testCtrlCStopsReplayingToAStepInStepTraceDrawAndBook() throws {
        try longLesson().write(toFile: dir + "/long.yaml", atomically: true, encoding: .utf8)
        for args in [["step", "long.yaml", "--at-step", "100000", "--all"],
                     ["trace", "long.yaml", "--at-step", "100000", "--out", "t.jsonl"],
                     ["draw", "long.yaml", "--view", "graph", "--at-step", "100000", "--out", "pictures"],
                     ["book", "long.yaml", "--at-step", "100000", "--out", "book"]] {
            let s = try interrupt(args + ["--corpus", corpus], after: 2)
            assertStopped(s)
            XCTAssertTrue(s.result.stderr.contains("interrupted at epoch"), "\(args[0]): \(s.result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/t.jsonl"))
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/book/long.html"))
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/pictures/long/graph.svg"))
        }
    }

    func testCtrlCStopsDrawingFramesAndWatching() throws {
        try longLesson().write(toFile: dir + "/long.yaml", atomically: true, encoding: .utf8)
        let frames = dir + "/pictures/long/graph-frames"
        let draw = try interrupt(["draw", "long.yaml", "--corpus", corpus, "--view", "graph", "--frames", "--out", "pictures"],
                                 after: 60, busy: { ((try? FileManager.default.contentsOfDirectory(atPath: frames)) ?? []).count >= 2 })
        assertStopped(draw)
        XCTAssertTrue(draw.result.stderr.contains("drawing frame"), draw.result.stderr)
        let watch = try interrupt(["watch", "long.yaml", "--corpus", corpus, "--steps", "100000", "--every", "10", "--out", "pictures", "l_out"],
                                  after: 2)
        assertStopped(watch)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/pictures/long/watch.svg"))
    }

    func testCtrlCStopsGeneratingAndEvaluating() throws {
        XCTAssertEqual(try run(["run", lesson, "--corpus", corpus, "--no-plot", "--save", "w.safetensors"]).status, 0)
        let generate = try interrupt(["generate", "--weights", "w.safetensors", lesson, "--corpus", corpus, "-n", "100000", "--prompt", "the"],
                                     after: 2)
        assertStopped(generate)
        XCTAssertTrue(generate.result.stderr.contains("generating"), generate.result.stderr)
        try bigText(3_000_000).write(toFile: dir + "/big.txt", atomically: true, encoding: .utf8)
        try longLesson(model: "CharRnn", layout: "overlapping-windows").replacingOccurrences(of: "last-row", with: "cv-20")
            .write(toFile: dir + "/rnn.yaml", atomically: true, encoding: .utf8)
        // Trained on a small file with big.txt's characters, evaluated on big.txt's 600,000 validation rows.
        try bigText(6000).write(toFile: dir + "/small.txt", atomically: true, encoding: .utf8)
        let trained = try run(["run", "rnn.yaml", "--corpus", "small.txt", "--no-plot", "--epochs-scale", "0.002", "--save", "r.safetensors"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let eval = try interrupt(["eval", "rnn.yaml", "--weights", "r.safetensors", "--corpus", "big.txt"], after: 2)
        assertStopped(eval)
        XCTAssertTrue(eval.result.stderr.contains("validation"), eval.result.stderr)
    }

    func testCtrlCStopsReadingALargeCorpus() throws {
        try bigText(60_000_000).write(toFile: dir + "/big.txt", atomically: true, encoding: .utf8)
        let s = try interrupt(["corpus", "info", "--corpus", "big.txt"], after: 0.6)
        assertStopped(s)
        XCTAssertTrue(s.result.stderr.contains("reading the corpus"), s.result.stderr)
    }
}
