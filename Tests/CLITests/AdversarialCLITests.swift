import Foundation
import Formats
import TensorCore
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// What an attacker's run of the CLI broke (issue #24), each case as a user would hit it: special
/// files, outputs that are inputs, symlinks, crafted checkpoints and fixtures, huge sizes,
/// signals. Everything happens in a temporary directory with a small synthetic corpus and a
/// small lesson, so no case needs the real corpus and debug builds stay fast.
final class AdversarialCLITests: XCTestCase {
    var dir = ""
    var corpus: String { dir + "/corpus.txt" }
    var lesson: String { dir + "/tiny.yaml" }

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "unrolled-adversarial-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // Deterministic text with a vocabulary of about 30 characters: words from a fixed list.
        let words = ["the", "will", "to", "power", "is", "a", "truth", "of", "free", "spirits", "and", "what", "lies", "beyond"]
        var text = "", state: UInt32 = 7
        while text.utf8.count < 6000 {
            state = state &* 1_103_515_245 &+ 12345
            text += words[Int(state >> 16) % words.count] + ((state >> 8) % 9 == 0 ? ".\n" : " ")
        }
        try text.write(toFile: corpus, atomically: true, encoding: .utf8)
        try tinyLesson().write(toFile: lesson, atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func tinyLesson(id: String = "tiny", beatAt: String = "in1", batch: Int = 16, hidden: Int = 8, epochs: String = "2") -> String {
        """
        id: \(id)
        title: "A tiny Char3Model"
        model: Char3Model
        hyperparameters:
          n_hidden: \(hidden)
          n_fac: 4
          batch_size: \(batch)
        data:
          layout: every-3rd
          validation: last-row
        schedule:
          - optimizer: adam
            lr: 1.0e-2
            epochs: \(epochs)
          - lr: 1.0e-3
            epochs: 1
        beats:
          - at: \(beatAt)
            text: the first character's hidden input.

        """
    }

    // MARK: running the binary

    struct Result { let status: Int32; let stdout: String; let stderr: String }


    /// Run in `dir`; a run that takes longer than `timeout` seconds is a hang: killed and failed.
    func run(_ args: [String], stdin: String = "", timeout: Double = 120, file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        let p = UnrolledProcess.make(args, in: dir)
        let outPath = dir + "/.stdout-\(UUID().uuidString)", errPath = dir + "/.stderr-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { unlink(outPath); unlink(errPath) }
        p.standardOutput = FileHandle(forWritingAtPath: outPath)
        p.standardError = FileHandle(forWritingAtPath: errPath)
        let inp = Pipe()
        p.standardInput = inp
        try p.run()
        inp.fileHandleForWriting.write(Data(stdin.utf8))
        try inp.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning {
            // SIGTERM first; a process blocked in open(2) on a pipe may only ask to stop, so KILL.
            p.terminate()
            usleep(2_000_000)
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
            XCTFail("\(args.joined(separator: " ")) still running after \(timeout) s: a hang", file: file, line: line)
        }
        p.waitUntilExit()
        return Result(status: p.terminationStatus,
                      stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    /// Exit status 1 and exactly one `error:` line containing `needle`.
    func assertOneLineError(_ r: Result, _ needle: String, status: Int32 = 1, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, status, r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("error: "), r.stderr, file: file, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains(needle), "expected '\(needle)' in: \(r.stderr)", file: file, line: line)
    }

    func leftovers() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.contains(".tmp-") }
    }

    // MARK: 1. outputs

    func testOutputThroughASymlinkReplacesItsTargetAndKeepsTheLink() throws {
        try "old".write(toFile: dir + "/real.jsonl", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.jsonl", withDestinationPath: "real.jsonl")
        let r = try run(["trace", lesson, "--corpus", corpus, "--out", "link.jsonl"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/link.jsonl"), "real.jsonl")
        XCTAssertTrue(try String(contentsOfFile: dir + "/real.jsonl", encoding: .utf8).hasPrefix("{\"seq\":"))
        XCTAssertEqual(leftovers(), [])
    }

    func testADanglingLinkOrADeviceIsNotReplaced() throws {
        try FileManager.default.createSymbolicLink(atPath: dir + "/dangling", withDestinationPath: "/nonexistent/x")
        assertOneLineError(try run(["trace", lesson, "--corpus", corpus, "--out", "dangling"]), "refusing to replace the link")
        XCTAssertNotNil(try? FileManager.default.destinationOfSymbolicLink(atPath: dir + "/dangling"))
        assertOneLineError(try run(["run", lesson, "--corpus", corpus, "--save", "/dev/null", "--no-plot"]), "not a regular file")
    }

    func testAnOutputThatIsAnInputIsRefusedBeforeWork() throws {
        let before = try Data(contentsOf: URL(fileURLWithPath: corpus))
        assertOneLineError(try run(["trace", lesson, "--corpus", corpus, "--out", corpus]), "is the corpus this command reads")
        assertOneLineError(try run(["trace", lesson, "--corpus", corpus, "--out", lesson]), "is the lesson file this command reads")
        assertOneLineError(try run(["run", lesson, "--corpus", corpus, "--save", lesson]), "is the lesson file this command reads")
        // Through a second name (a symlink) too.
        try FileManager.default.createSymbolicLink(atPath: dir + "/alias.txt", withDestinationPath: corpus)
        assertOneLineError(try run(["run", lesson, "--corpus", corpus, "--save", "alias.txt"]), "is the corpus this command reads")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: corpus)), before)
    }

    func testTraceStreamsToStandardOutputWithADash() throws {
        let r = try run(["trace", lesson, "--corpus", corpus, "--out", "-"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertGreaterThan(lines.count, 10)
        XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("{\"seq\":") })
    }

    func testABadPlotFolderFailsBeforeTraining() throws {
        let r = try run(["run", lesson, "--corpus", corpus, "--out", "/dev/null"])
        assertOneLineError(r, "/dev/null is not a folder")
        XCTAssertFalse(r.stdout.contains("[ 0."), "trained before failing: \(r.stdout)")
    }

    // MARK: 2. crashes

    func testAHugePromptIsRefusedNotACrash() throws {
        let prompt = String(repeating: "the ", count: 20_000)
        let r = try run(["generate", "char-rnn", "--weights", "w.safetensors", "--corpus", corpus, "-n", "1", "--prompt", prompt])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("--prompt is 80000 characters; at most 1024"), r.stderr)
    }

    /// Checkpoint counters written by someone else: every one is a one-line error, none traps.
    func testCraftedCheckpointCountersAreErrors() throws {
        let r0 = try run(["run", lesson, "--corpus", corpus, "--checkpoint", "ck", "--no-plot"])
        XCTAssertEqual(r0.status, 0, r0.stderr)
        let path = dir + "/ck/tiny.checkpoint.safetensors"
        let original = try SafeTensors.readFile(URL(fileURLWithPath: path))
        let json = try XCTUnwrap(original.metadata["unrolled_checkpoint"], "checkpoint metadata key")
        let tree = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let cases: [([String], Any, String)] = [
            (["adamStep"], Int.max - 500, "'adamStep' is 9223372036854775307"),
            (["adamStep"], 0, "'adamStep' is 0"),
            (["phase"], Int.max, "'phase' is 9223372036854775807"),
            (["phase"], 99, "'phase' is 99"),
            (["epoch"], 999999999, "'epoch' is 999999999"),
            (["smoother", "count"], Int.max, "'smoother.count' is 9223372036854775807"),
            (["smoother", "count"], "many", "malformed 'smoother.count' field"),
            (["rng"], NSNull(), "'rng' is null"),
            (["optimizer"], "sgd", "'optimizer' is sgd"),
            (["optimizer"], "rmsprop", "malformed 'optimizer' field"),
            (["identity", "validation"], "cv-20", "was made with validation cv-20"),
            (["identity", "corpusSHA256"], String(repeating: "0", count: 64), "sha256 000000000000"),
        ]
        func setting(_ path: [String], _ value: Any, in tree: [String: Any]) -> [String: Any] {
            var t = tree
            t[path[0]] = path.count == 1 ? value : setting(Array(path.dropFirst()), value, in: t[path[0]] as! [String: Any])
            return t
        }
        for (path, value, needle) in cases {
            let edited = try JSONSerialization.data(withJSONObject: setting(path, value, in: tree), options: [.sortedKeys])
            let crafted = dir + "/crafted.safetensors"
            try SafeTensors.write(original.tensors, to: URL(fileURLWithPath: crafted),
                                  metadata: ["unrolled_checkpoint": String(decoding: edited, as: UTF8.self)])
            assertOneLineError(try run(["run", lesson, "--corpus", corpus, "--resume", crafted, "--no-plot"]), needle)
        }
        // A checkpoint of the previous format is refused by name.
        let old = dir + "/old.safetensors"
        try SafeTensors.write(original.tensors, to: URL(fileURLWithPath: old), metadata: ["format": "unrolled-checkpoint-2"])
        assertOneLineError(try run(["run", lesson, "--corpus", corpus, "--resume", old, "--no-plot"]), "format 'unrolled-checkpoint-2', expected 'unrolled-checkpoint-3'")
    }

    func testGoldenFixturesAreValidatedBeforeUse() throws {
        let source = CLITests.root.appendingPathComponent("Tests/ModelsTests/Fixtures/golden/char3.safetensors")
        let fixture = try SafeTensors.readFile(source)
        let x = fixture.tensors["input.x"]!
        func bad(_ name: String, _ t: Tensor) throws -> Result {
            var tensors = fixture.tensors
            tensors[name] = t
            let d = dir + "/fx-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
            try SafeTensors.write(tensors, to: URL(fileURLWithPath: d + "/char3.safetensors"), metadata: fixture.metadata)
            return try run(["golden", "char3", "--fixtures", d])
        }
        var data = x.data
        data[0] = 85
        assertOneLineError(try bad("input.x", Tensor(shape: x.shape, data: data)), "input.x[0] is 85.0")
        data[0] = 1.5
        assertOneLineError(try bad("input.x", Tensor(shape: x.shape, data: data)), "input.x[0] is 1.5")
        data[0] = .nan
        assertOneLineError(try bad("input.x", Tensor(shape: x.shape, data: data)), "input.x[0] is nan")
        assertOneLineError(try bad("input.x", Tensor(shape: [x.shape[0], 4], data: [Float](repeating: 1, count: x.shape[0] * 4))), "expected [batch, 3]")
        assertOneLineError(try bad("input.y", Tensor(shape: [2], data: [1, 2])), "input.y has shape [2]")
    }

    // MARK: 3. hangs

    func testNamedPipesAreRefusedAsInputs() throws {
        let fifo = dir + "/fifo"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        assertOneLineError(try run(["run", lesson, "--corpus", fifo, "--no-plot"], timeout: 20), "named pipe")
        assertOneLineError(try run(["run", lesson, "--corpus", corpus, "--resume", fifo, "--no-plot"], timeout: 20), "named pipe")
        assertOneLineError(try run(["eval", lesson, "--weights", fifo, "--corpus", corpus], timeout: 20), "named pipe")
        assertOneLineError(try run(["run", fifo], timeout: 20), "named pipe")
    }

    func testInterruptedTraceExits130AndLeavesNoTemporary() throws {
        // A trace of some size, so that the signal lands while it is being written.
        try tinyLesson(id: "wide", batch: 4096, hidden: 64).write(toFile: dir + "/wide.yaml", atomically: true, encoding: .utf8)
        var text = ""
        while text.utf8.count < 40_000 { text += "abcdefghij klmnopqrst uvwxyz. " }
        try text.write(toFile: dir + "/big.txt", atomically: true, encoding: .utf8)
        let p = UnrolledProcess.make(["trace", "wide.yaml", "--corpus", "big.txt", "--out", "t.jsonl", "--level", "full"], in: dir)
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        // Wait for the temporary file to appear, then interrupt.
        let deadline = Date().addingTimeInterval(60)
        while leftovers().isEmpty && p.isRunning && Date() < deadline { usleep(5_000) }
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        if p.terminationReason == .exit && p.terminationStatus == 0 { throw XCTSkip("finished before the signal arrived") }
        XCTAssertEqual(p.terminationReason, .exit)
        XCTAssertEqual(p.terminationStatus, 130)
        XCTAssertEqual(leftovers(), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/t.jsonl"))
    }

    // MARK: 4. checkpoints

    func testResumingAFinishedCheckpointSaysSoAndPlotsTheWholeRun() throws {
        let whole = try run(["run", lesson, "--corpus", corpus, "--checkpoint", "ck", "--out", "plain"])
        XCTAssertEqual(whole.status, 0, whole.stderr)
        let r = try run(["run", lesson, "--corpus", corpus, "--resume", "ck", "--out", "resumed"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("is of a finished run"), r.stdout)
        // The loss plot drawn after resuming is the uninterrupted run's, point for point.
        XCTAssertEqual(try String(contentsOfFile: dir + "/resumed/tiny/loss.svg", encoding: .utf8),
                       try String(contentsOfFile: dir + "/plain/tiny/loss.svg", encoding: .utf8))
    }

    func testACheckpointDirectoryInUseIsLocked() throws {
        try FileManager.default.createDirectory(atPath: dir + "/ck", withIntermediateDirectories: true)
        let fd = open(dir + "/ck", O_RDONLY | O_DIRECTORY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        XCTAssertEqual(flock(fd, LOCK_EX | LOCK_NB), 0)
        assertOneLineError(try run(["run", lesson, "--corpus", corpus, "--checkpoint", "ck", "--no-plot"]), "another run is writing checkpoints here")
    }

    // MARK: 5. memory

    func testSizesBeyondTheMemoryBudgetAreRefusedWithTheEstimate() throws {
        try tinyLesson(id: "huge", batch: 65_536, hidden: 4096).write(toFile: dir + "/huge.yaml", atomically: true, encoding: .utf8)
        var text = ""
        while text.utf8.count < 240_000 { text += "abcdefghij klmnopqrst uvwxyz. " }
        try text.write(toFile: dir + "/big.txt", atomically: true, encoding: .utf8)
        let r = try run(["run", "huge.yaml", "--corpus", "big.txt", "--no-plot"])
        assertOneLineError(r, "the memory budget is")
        XCTAssertTrue(r.stderr.contains("needs about"), r.stderr)
        assertOneLineError(try run(["trace", "huge.yaml", "--corpus", "big.txt", "--hash"]), "the memory budget is")
        // A corpus too large to read is refused from its size, before a byte is read (a sparse file).
        let sparse = dir + "/sparse.txt"
        FileManager.default.createFile(atPath: sparse, contents: nil)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: sparse))
        try handle.truncate(atOffset: 6 << 30)
        try handle.close()
        let started = Date()
        let r2 = try run(["run", "char-rnn", "--corpus", "sparse.txt", "--no-plot"])
        assertOneLineError(r2, "corpus sparse.txt: 6.0 GB of text needs about 12.0 GB to read")
        XCTAssertTrue(r2.stderr.contains("the memory budget is"), r2.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 20, "refused before reading")
    }

    // MARK: 6. quiet failures

    func testABeatAtAMissingLabelIsAnError() throws {
        try tinyLesson(beatAt: "no_such_op").write(toFile: lesson, atomically: true, encoding: .utf8)
        assertOneLineError(try run(["step", lesson, "--corpus", corpus, "--batch", "2"], stdin: "q\n"), "beats[0].at 'no_such_op' is not the label")
        // Also where the step is not kept in memory (a trace written to a file) or not recorded at all.
        assertOneLineError(try run(["trace", lesson, "--corpus", corpus, "--out", "t.jsonl"]), "beats[0].at 'no_such_op' is not the label")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/t.jsonl"))
        assertOneLineError(try run(["run", lesson, "--corpus", corpus, "--no-plot"]), "beats[0].at 'no_such_op' is not the label")
    }

    func testSpecialAndForeignFilesGetPlainMessages() throws {
        assertOneLineError(try run(["run", lesson, "--corpus", "/dev/null", "--no-plot"]), "corpus /dev/null: not a regular file")
        try "secret:hunter2\nother:x\n".write(toFile: dir + "/passwd", atomically: true, encoding: .utf8)
        let r = try run(["run", dir + "/passwd"])
        assertOneLineError(r, "not a lesson file")
        XCTAssertFalse(r.stderr.contains("hunter2"), r.stderr)
    }

    func testALongLessonIdAndATinyScaleFailBeforeTraining() throws {
        try tinyLesson(id: String(repeating: "x", count: 300)).write(toFile: dir + "/long.yaml", atomically: true, encoding: .utf8)
        assertOneLineError(try run(["run", "long.yaml", "--corpus", corpus]), "lesson.id: 300 bytes long; at most 64")
        let r = try run(["run", lesson, "--corpus", corpus, "--epochs-scale", "1e-10", "--save", "w.safetensors"])
        assertOneLineError(r, "no phase of tiny's schedule has a batch left to train")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/w.safetensors"))
    }
}
