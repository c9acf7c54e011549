import Foundation
import Models
import SnapshotTesting
import TensorCore
import UnrolledTestSupport
import XCTest

/// Drives the built `unrolled` binary as a user would: arguments, stdin, exit status, output.
final class CLITests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()


    struct Result { let status: Int32; let stdout: String; let stderr: String }

    /// Each test's working directory, removed after it.
    var scratch = ""
    override func setUpWithError() throws {
        scratch = NSTemporaryDirectory() + "unrolled-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: scratch) }

    func run(_ args: [String], stdin: String? = nil, env extra: [String: String] = [:]) throws -> Result {
        // Run where nothing of the checkout can be written: outputs land in a scratch directory,
        // lessons and corpus are found through the variables a user outside a checkout sets.
        var env = ["COLUMNS": "100"]  // help text wraps at the terminal width; pin it
        if let corpus = CorpusLocator.existing(nil) { env["UNROLLED_CORPUS"] = URL(fileURLWithPath: corpus).standardizedFileURL.path }
        let p = UnrolledProcess.make(args, in: scratch, environment: env.merging(extra) { $1 })
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        if let stdin { inp.fileHandleForWriting.write(Data(stdin.utf8)) }
        try inp.fileHandleForWriting.close()
        // Read before waiting: a full pipe would otherwise block the child.
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    func requireCorpus() throws { _ = try TestCorpus.path() }

    // MARK: step

    /// A learner's session piped through stdin: first op, a printed slice, a jump to a label,
    /// the next phase, the shared weight's contributions, the Adam update at the end.
    func testStepThroughStdin() throws {
        try requireCorpus()
        let commands = ["n", "p e(c1)[0,:4]", "p c1", "p h", "g l_hidden(h1+in2)·Wᵀ", "explain 0,1", "np", "contrib l_in.weight",
                        "contrib l_in.weight 3,5", "g 55", "explain l_in.weight 3,5", "g 63", "q"].joined(separator: "\n") + "\n"
        let r = try run(["step", "char3", "--batch", "4"], stdin: commands)
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = r.stdout
        XCTAssertTrue(out.contains("28 forward ops, 28 backward, 7 updates"), out)
        XCTAssertTrue(out.contains("[1/63] forward  embedding  e(c1)"))
        XCTAssertTrue(out.contains("[2/63] forward  matmul(transB)  l_in(e(c1))"))
        XCTAssertTrue(out.contains("e(c1)[0,:4] [4]:"))
        XCTAssertTrue(out.contains("[18/63] forward  matmul(transB)  l_hidden(h1+in2)"))
        XCTAssertTrue(out.contains("[18/63] forward  matmul(transB)  l_hidden(h1+in2)·Wᵀ\n"), "the product has its own label")
        XCTAssertTrue(out.contains("l_hidden(h1+in2)·Wᵀ[0,1] = Σ_k h1+in2[0,k] · l_hidden.weight[1,k]"))
        XCTAssertTrue(out.contains("[29/63] backward  nll_loss  loss"))
        XCTAssertTrue(out.contains("l_in.weight receives 3 gradient contributions, added element by element"))
        // Elements add; norms do not: the contributions' values at one element and their sum.
        // BLIS's AVX2 and AVX-512 kernels round the products differently: the last printed digit
        // of the sum moves (2.2196e-05 on one, 2.2197e-05 on the other), so compare as numbers.
        let sumLine = try XCTUnwrap(out.split(separator: "\n").first { $0.contains("sum: grad(l_in.weight)[3,5] = ") })
        let terms = sumLine.split(separator: "=")[1].split(separator: "+").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        let total = try XCTUnwrap(Double(sumLine.split(separator: "=")[2].trimmingCharacters(in: .whitespaces)))
        XCTAssertEqual(terms.count, 3, String(sumLine))
        for (term, expected) in zip(terms, [5.8276e-05, -3.608e-05, 0]) { XCTAssertEqual(term, expected, accuracy: 2e-9, String(sumLine)) }
        XCTAssertEqual(total, 2.21965e-05, accuracy: 1e-9, String(sumLine))
        XCTAssertTrue(out.contains("‖grad(l_in.weight)‖ = 0.74704 (the norm of the sum, not the sum of the norms, 1.2094)"))
        XCTAssertTrue(out.contains("  4 values: mean 0.3619  std 0.54716"), "a slice prints its statistics")
        XCTAssertTrue(out.contains("c1 [4], whole numbers (indices and their characters):\n73 68 61 73   'toht'"), out)
        // The zeros of the starting hidden state are values, not indices.
        XCTAssertTrue(out.contains("h [4, 256]:\n"), out)
        XCTAssertTrue(out.contains("1024 values: mean 0  std 0  min 0  max 0"), out)
        XCTAssertTrue(out.contains("4 of 340 values are non-zero; first rows: [0,65] -0.25"), "nll_loss's gradient shows its non-zero column")
        XCTAssertTrue(out.contains("contribution 3 of 3 to l_in.weight.grad"))
        XCTAssertTrue(out.contains("grad_in(l_in.weight)[3,5] = Σ_i grad(l_in(e(c1))·Wᵀ)[i,3] · e(c1)[i,5]"))
        XCTAssertTrue(out.contains("[63/63] update  adam(lr=0.01,step=1)  l_out.bias"))
        // Piped input: commands echoed, no prompt, no colour.
        XCTAssertTrue(out.contains("> g l_hidden(h1+in2)"))
        XCTAssertFalse(out.contains("step>"))
        XCTAssertFalse(out.contains("\u{1B}["))
    }

    /// `step --json` holds the same forward values as the `full` trace file.
    func testStepJSONMatchesFullTrace() throws {
        try requireCorpus()
        let json = try run(["step", "char-loop", "--batch", "3", "--all", "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let file = NSTemporaryDirectory() + "unrolled-trace-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let trace = try run(["trace", "char-loop", "--batch", "3", "--level", "full", "--out", file])
        XCTAssertEqual(trace.status, 0, trace.stderr)
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        // The file writes repeated large values once (`values_from`); step --json, line by line,
        // writes them every time. Resolved, the two must agree.
        func events(_ text: String) throws -> [TraceEvent] {
            try text.split(separator: "\n").map { try decoder.decode(TraceEvent.self, from: Data($0.utf8)) }
                .resolvingValueReferences()
        }
        let fromStep = try events(json.stdout)
        let fromTrace = try events(try String(contentsOfFile: file, encoding: .utf8))
        XCTAssertEqual(fromStep.count, fromTrace.count)
        XCTAssertEqual(fromStep, fromTrace, "forward, backward and update events")
        let forwardStep = fromStep.filter { $0.phase == .forward }, forwardTrace = fromTrace.filter { $0.phase == .forward }
        XCTAssertGreaterThan(forwardStep.count, 50)
        XCTAssertEqual(forwardStep, forwardTrace)
        XCTAssertTrue(forwardStep.allSatisfy { $0.outputs.allSatisfy { $0.values != nil } })
    }

    // MARK: errors

    func testUnknownLessonIsOneLineAndExitOne() throws {
        let r = try run(["run", "char4"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "error: unknown lesson 'char4' (did you mean 'char3'?); expected one of: linear-sgd, char3, char-loop, char-loop-concat, char-rnn, char-seq-rnn, collab, embedding-net, mixed-input (or a path to a .yaml file)\n")
        XCTAssertEqual(r.stdout, "")
    }

    /// `step --weights` replays the first step with saved weights: PyTorch's trained state_dict
    /// gives a lower loss than the initial weights on the same batch.
    func testStepWithWeightsReplaysTheTrainedModel() throws {
        try requireCorpus()
        let weights = CLITests.root.appendingPathComponent("Tests/ModelsTests/Fixtures/state_dicts/char3.safetensors").path
        let trained = try run(["step", "char3", "--batch", "4", "--weights", weights, "--until", "loss"])
        let initial = try run(["step", "char3", "--batch", "4", "--until", "loss"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        func loss(_ r: Result) -> Double? {
            r.stdout.split(separator: "\n").last { $0.contains("mean") }.flatMap { line in
                line.split(separator: " ").drop { $0 != "mean" }.dropFirst().first.flatMap { Double($0) }
            }
        }
        let (a, b) = (try XCTUnwrap(loss(trained)), try XCTUnwrap(loss(initial)))
        XCTAssertLessThan(a, b - 1, "trained \(a) against initial \(b)")
    }

    func testAMistypedCommandNamesTheClosestAndExits64() throws {
        let r = try run(["rnu", "char3"])
        XCTAssertEqual(r.status, 64)
        XCTAssertEqual(r.stderr, "error: unknown command 'rnu'; did you mean 'run'? (see 'unrolled --help')\n")
        let far = try run(["xyzzy"])
        XCTAssertEqual(far.status, 64)
        XCTAssertEqual(far.stderr, "error: unknown command 'xyzzy' (see 'unrolled --help')\n", "hidden commands are not suggested")
        XCTAssertEqual(try run(["help", "list"]).status, 0)
    }

    func testLinearSGDRunsOnEmbeddedData() throws {
        let r = try run(["run", "linear-sgd", "--epochs-scale", "0.01"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("autograd vs hand-derived gradients"))
        // The plot goes under the working directory, never into the checkout.
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch + "/output/linear-sgd/loss.svg"), r.stdout)
    }

    // MARK: draw

    /// Lesson 1's pictures need no corpus: architecture, one step's graph, the SGD animation.
    func testDrawLinearSGDWritesEveryKindOfPicture() throws {
        let dir = NSTemporaryDirectory() + "unrolled-draw-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try run(["draw", "linear-sgd", "--out", dir])
        XCTAssertEqual(r.status, 0, r.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/linear-sgd")
        for name in ["arch-linear.svg", "arch-linear.png", "graph.svg", "sgd-frame-01.png", "sgd-frame-21.svg",
                     "sgd.apng.png", "sgd.animated.svg", "sgd.html", "sgd-contour.png"] {
            XCTAssertTrue(files.contains(name), "missing \(name) in \(files.sorted())")
        }
        XCTAssertFalse(files.contains { $0.contains(".tmp") }, "temporary files left behind: \(files)")
    }

    /// Without a corpus, --all still draws what needs none, writes the gallery, and names the rest.
    func testDrawAllWithoutACorpusDrawsTheRestAndSaysWhatItSkipped() throws {
        let dir = NSTemporaryDirectory() + "unrolled-draw-all-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try run(["draw", "--all", "--out", dir, "--corpus", dir + "/no-corpus.txt"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/index.html"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/char-rnn/arch-unrolled.png"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/char-rnn/graph.png"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/linear-sgd/graph.png"))
        XCTAssertTrue(r.stdout.contains("skipped (no corpus: pass --corpus FILE or run `unrolled corpus download`): char3: graph, char-loop: graph"), r.stdout)
    }

    func testDrawIntoAFileFailsWithOneLine() throws {
        let file = NSTemporaryDirectory() + "unrolled-blocker-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let r = try run(["draw", "linear-sgd", "--view", "arch", "--out", file])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("error: "), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
    }

    // MARK: help texts, as exact strings

    /// Snapshots live in __Snapshots__/CLITests/ beside this file; re-record with SNAPSHOT_TESTING_RECORD=all.
    func testHelpTexts() throws {
        // A plain run never writes a snapshot (a missing one fails); only SNAPSHOT_TESTING_RECORD records.
        try withSnapshotTesting(record: ProcessInfo.processInfo.environment["SNAPSHOT_TESTING_RECORD"] == nil ? .never : nil) {
            for command in [[], ["list"], ["run"], ["play"], ["step"], ["watch"], ["trace"], ["draw"], ["generate"], ["eval"], ["golden"], ["corpus"], ["book"],
                            ["data"], ["data", "download"], ["data", "synthetic"], ["collab"], ["collab", "biases"], ["collab", "pca"], ["collab", "finding"],
                            ["train-vs-eval"]] {
                let r = try run(command + ["--help"])
                XCTAssertEqual(r.status, 0)
                assertSnapshot(of: r.stdout, as: .lines, named: (["unrolled"] + command).joined(separator: "-"))
            }
        }
    }

    // MARK: lesson 6's networks

    /// Golden against PyTorch from the CLI, and train-vs-eval on a small SYNTHETIC folder.
    func testEmbeddingNetAndMixedInputGoldenAndTrainVsEval() throws {
        for (lesson, rows) in [("embedding-net", 37), ("mixed-input", 0)] {
            let r = try run(["golden", lesson])
            XCTAssertEqual(r.status, 0, r.stderr)
            let summary = try XCTUnwrap(r.stdout.split(separator: "\n").last { $0.hasSuffix("match PyTorch") }, r.stdout)
            let counts = summary.split(separator: " ").compactMap { Int($0) }
            XCTAssertEqual(counts.count, 2, String(summary))
            XCTAssertEqual(counts.first, counts.last, String(summary))
            if rows > 0 { XCTAssertEqual(counts.first, rows, String(summary)) }
        }
        let data = scratch + "/synthetic"
        var r = try run(["data", "synthetic", "--out", data, "--users", "40", "--movies", "80", "--ratings", "800"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try run(["train-vs-eval", "mixed-input", "--ratings", data, "--batch", "16"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("training mode") && r.stdout.contains("evaluation mode"), r.stdout)
        XCTAssertTrue(r.stdout.contains("bn: batch μ [") && r.stdout.contains("running_mean [0, 0], running_var [1, 1]"), r.stdout)
        XCTAssertTrue(r.stdout.contains("emb_drop: p = 0.04"), r.stdout)
        r = try run(["train-vs-eval", "mixed-input", "--ratings", data, "--batch", "1"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "error: --batch: expected at least 2 rows (batch norm needs a variance), got 1\n")
        r = try run(["train-vs-eval", "char3", "--ratings", data])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("error: train-vs-eval: char3 is not a ratings lesson"), r.stderr)
    }

    // MARK: collab

    /// The collab lesson end to end on a small SYNTHETIC folder: write it, train, interpret.
    func testCollabPipelineOnSyntheticData() throws {
        let data = scratch + "/synthetic"
        var r = try run(["data", "synthetic", "--out", data, "--users", "60", "--movies", "200", "--ratings", "3000"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: data + "/SYNTHETIC.txt"))
        r = try run(["run", "collab", "--ratings", data, "--save", "w.safetensors"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("SYNTHETIC (planted factors, not MovieLens)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("learn.fit(0.01, 2, wds=0.0002, cycle_len=1, cycle_mult=2)"), r.stdout)
        let table = r.stdout.split(separator: "\n").filter { $0.hasPrefix("[ ") && !$0.contains("epoch") }
        XCTAssertEqual(table.count, 3, "cycles of 1 and 2 epochs: \(r.stdout)")
        XCTAssertTrue(table[0].contains("   0.0001 → "), "the first batch runs at lr/100 (warm-up): \(table[0])")
        for file in ["w.safetensors", "output/collab/loss.svg", "output/collab/lr.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: scratch + "/" + file), file)
        }
        r = try run(["collab", "biases", "--weights", "w.safetensors", "--ratings", data])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").filter { $0.hasPrefix("(") && $0.contains("Planted Movie") }.count, 30)
        XCTAssertTrue(r.stdout.contains("SYNTHETIC check: Spearman rank correlation of learned ib with the planted movie bias"), r.stdout)
        r = try run(["collab", "pca", "--weights", "w.safetensors", "--ratings", data])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("explained variance ratio: "), r.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch + "/output/collab/pca-scatter.png"))
        r = try run(["collab", "finding", "--weights", "w.safetensors", "--ratings", data])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("share with |ib| ≤ 0.05      100.0%"), "untrained biases all lie in get_emb's range: \(r.stdout)")
        r = try run(["eval", "collab", "--weights", "w.safetensors", "--ratings", data])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("mse_loss "), r.stdout)
    }

    func testCollabBadInputIsOneLine() throws {
        var r = try run(["run", "collab", "--ratings", scratch + "/none"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "error: \(scratch)/none/ratings.csv: cannot read file (expected MovieLens ratings.csv; `unrolled data download movielens` or --ratings DIR)\n")
        r = try run(["run", "collab"], env: ["XDG_CACHE_HOME": scratch + "/cache"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "error: no MovieLens copy at \(scratch)/cache/unrolled/ml-latest-small; run `unrolled data download movielens`, give --ratings DIR, or use --synthetic\n")
        r = try run(["data", "download", "movielens", "--url", "file://\(scratch)/missing.zip"], env: ["XDG_CACHE_HOME": scratch + "/cache"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "error: \(scratch)/missing.zip: cannot read file\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch + "/cache/unrolled/ml-latest-small"))
        r = try run(["watch", "collab", "--synthetic", "loss"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "error: collab: a character-model command; for the collab lesson use run, play, step, trace, draw, eval or golden\n")
        r = try run(["run", "collab", "--synthetic", "--ratings", scratch])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.hasPrefix("error: give --ratings DIR or --synthetic, not both"), r.stderr)
    }
}
