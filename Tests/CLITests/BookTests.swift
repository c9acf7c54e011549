import Foundation
import XCTest

/// `unrolled book`: the page's data against the CLI's own output, without a browser (the
/// browser test, `make test-browser`, drives the pages themselves).
extension CLITests {
    /// The JSON a page carries in `<script id="book-data">`.
    func bookData(_ html: String) throws -> [String: Any] {
        let open = try XCTUnwrap(html.range(of: "<script type=\"application/json\" id=\"book-data\">"))
        let close = try XCTUnwrap(html.range(of: "</script>", range: open.upperBound..<html.endIndex))
        let json = try JSONSerialization.jsonObject(with: Data(html[open.upperBound..<close.lowerBound].utf8))
        return try XCTUnwrap(json as? [String: Any])
    }

    /// What `step`'s prompt prints for `command` at op `op` (from 1).
    func stepPrompt(_ lesson: String, op: Int, _ command: String) throws -> String {
        let r = try run(["step", lesson, "--batch", "4"], stdin: "g \(op)\n\(command)\nq\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.components(separatedBy: "\n")
        let start = try XCTUnwrap(lines.firstIndex(of: "> " + command)) + 1
        let end = lines[start...].firstIndex { $0.hasPrefix("> ") } ?? lines.endIndex
        return lines[start..<end].joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func writeBook(_ args: [String]) throws -> (dir: String, result: Result) {
        let dir = NSTemporaryDirectory() + "unrolled-book-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return (dir, try run(["book"] + args + ["--out", dir]))
    }

    /// Lesson 1 needs no corpus: the page and the index are written whole, the page asks for
    /// nothing outside itself, every output is carried whole (the page computes explain from the
    /// values; the browser test compares its text with `step`'s), and the SGD scrubber has every
    /// iteration of the run.
    func testBookLinearSGDPageCarriesEveryValue() throws {
        let (dir, r) = try writeBook(["linear-sgd"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(files, ["index.html", "linear-sgd.html"])
        let html = try String(contentsOfFile: dir + "/linear-sgd.html", encoding: .utf8)
        // Self-contained: no external script, style sheet, image or font.
        for needle in ["<script src", "<link", "src=\"http", "href=\"http", "url(http", "@import"] {
            XCTAssertFalse(html.contains(needle), "page refers outside itself: \(needle)")
        }
        let data = try bookData(html)
        let events = try XCTUnwrap(data["events"] as? [[String: Any]])
        XCTAssertEqual(events.count, 8)
        let buffers = try XCTUnwrap(data["buffers"] as? [Any])
        // A buffer's length: [offset, count] in the packed stream, or a rule's count.
        func count(_ i: Int) throws -> Int {
            if let packed = buffers[i] as? [Int] { return packed[1] }
            return try XCTUnwrap((buffers[i] as? [String: Any])?["count"] as? Int)
        }
        for (i, e) in events.enumerated() {
            for t in try XCTUnwrap(e["outputs"] as? [[String: Any]]) {
                let shape = try XCTUnwrap(t["shape"] as? [Int])
                let index = try XCTUnwrap(t["data"] as? Int, "op \(i + 1): an output without values")
                XCTAssertEqual(try count(index), shape.reduce(1, *), "op \(i + 1): \(t["label"] ?? "") is not carried whole")
            }
            // Every op of lesson 1 comes from a line of the seed's code.
            XCTAssertNotNil(e["codeLine"] as? Int, "op \(i + 1) \(e["label"] ?? "") has no code line")
        }
        let sgd = try XCTUnwrap((data["views"] as? [String: Any])?["sgd"] as? [String: Any])
        let iterations = try XCTUnwrap(sgd["iterations"] as? Int)
        XCTAssertEqual(iterations, 10_000)
        for name in ["a", "b", "loss"] { XCTAssertEqual(try count(try XCTUnwrap(sgd[name] as? Int)), iterations, name) }
    }

    /// Char3 at batch 4: under 3 MB; every forward op has a code line and a highlighted part of
    /// the architecture; l_in.weight's three contributions and their sum are `contrib`'s.
    func testBookChar3SharedWeightAndBudget() throws {
        try requireCorpus()
        let (dir, r) = try writeBook(["char3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let path = dir + "/char3.html"
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        XCTAssertLessThanOrEqual(size, 3 * 1024 * 1024)
        let data = try bookData(try String(contentsOfFile: path, encoding: .utf8))
        let events = try XCTUnwrap(data["events"] as? [[String: Any]])
        for (i, e) in events.enumerated() where e["phase"] as? String == "forward" && e["label"] as? String != "h" {
            XCTAssertNotNil(e["codeLine"] as? Int, "op \(i + 1) \(e["label"] ?? "") has no code line")
            XCTAssertFalse((e["arch"] as? [String] ?? []).isEmpty, "op \(i + 1) \(e["label"] ?? "") highlights nothing")
        }
        // The matmul backward into l_in.weight for c1 is its third and last contribution.
        let i = try XCTUnwrap(events.lastIndex { e in
            e["phase"] as? String == "backward" && e["op"] as? String == "matmul" && e["label"] as? String == "l_in(e(c1))·Wᵀ"
        })
        let contrib = try XCTUnwrap((events[i]["contrib"] as? [[String: Any]])?.first)
        XCTAssertEqual(contrib["name"] as? String, "l_in.weight")
        XCTAssertEqual((contrib["parts"] as? [Any])?.count, 3)
        XCTAssertEqual(contrib["current"] as? Int, 2)
        XCTAssertEqual(contrib["text"] as? String, try stepPrompt("char3", op: i + 1, "contrib l_in.weight"))
    }

    func testBookIntoAFileFailsWithOneLine() throws {
        let file = NSTemporaryDirectory() + "unrolled-book-blocker-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        defer { try? FileManager.default.removeItem(atPath: file) }
        for out in [file, file + "/inside"] {
            let r = try run(["book", "linear-sgd", "--out", out])
            XCTAssertEqual(r.status, 1, out)
            XCTAssertEqual(r.stderr, "error: --out: \(file) is a file, not a folder\n")
        }
    }

    func testBookBadInputIsOneLine() throws {
        for args in [["no-such-lesson"], ["linear-sgd", "--weights", "/nonexistent.safetensors"], ["--all", "char3"], []] {
            let (dir, r) = try writeBook(args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.hasPrefix("error: "), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(args): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir), "\(args) wrote \(dir)")
        }
    }

    /// `book --at-step N` pages step N + 1 of the schedule, as `step --at-step` records it.
    func testBookAtAStepRecordsThatStep() throws {
        try requireCorpus()
        let r = try run(["book", "char3", "--at-step", "2", "--out", scratch + "/book"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let page = try String(contentsOfFile: scratch + "/book/char3.html", encoding: .utf8)
        XCTAssertTrue(page.contains("step 3 (epoch 1, phase 1)"), "the page names the step it shows")
        XCTAssertTrue(page.contains("unrolled step char3 --batch 4 --at-step 2"))
    }
}
