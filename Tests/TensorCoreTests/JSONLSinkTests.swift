// The JSON Lines sink: every line decodes (with JSONDecoder) to the event that was sent, the
// file appears only on close(), and NaN, infinities and awkward labels survive the round trip.

import Foundation
import XCTest
@testable import TensorCore
@testable import Trace

/// Sends every event to two sinks (the file and an in-memory copy to compare against).
private final class Tee: TraceSink {
    let sinks: [TraceSink]
    init(_ sinks: TraceSink...) { self.sinks = sinks }
    func receive(_ event: TraceEvent) { sinks.forEach { $0.receive(event) } }
}

final class JSONLSinkTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("jsonl-sink-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func decodeLines(_ path: String) throws -> [TraceEvent] {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy =
            .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.hasSuffix("\n"), "every line ends with a newline")
        return try text.split(separator: "\n").map { try decoder.decode(TraceEvent.self, from: Data($0.utf8)) }
            .resolvingValueReferences()
    }

    /// Record `body` at `full` into a JSON Lines file in the test directory (not closed yet) and,
    /// alongside, into memory.
    private func recordFull(_ name: String, _ body: () -> Void) throws -> (file: JSONLSink, path: String, memory: MemorySink) {
        let path = directory.appendingPathComponent(name).path
        let file = try JSONLSink(path: path)
        let memory = MemorySink()
        Tracer.recording(level: .full, to: Tee(file, memory), body)
        return (file, path, memory)
    }

    func testFullTraceOfATrainingStepRoundTrips() throws {
        let rng = SeededGenerator(seed: 11)
        let x = Tensor.uniform([8, 5], low: -1, high: 1, using: rng, label: "x")
        let w = Tensor.uniform([5, 3], low: -1, high: 1, using: rng, label: "l_in.weight").requiringGrad()
        let b = Tensor.zeros([3], label: "l_in.bias").requiringGrad()
        let (file, path, memory) = try recordFull("step.jsonl") {
            let logits = LabelScope.with("l_in(x)") { x.matmul(w) + b }
            logits.logSoftmax(axis: -1).nllLoss(Tensor([0, 1, 2, 0, 1, 2, 0, 1])).backward()
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "nothing at path before close()")
        try file.close()
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        XCTAssertEqual(leftovers, ["step.jsonl"], "the temporary file was renamed, not copied")

        let decoded = try decodeLines(path)
        XCTAssertEqual(decoded.count, memory.events.count)
        XCTAssertGreaterThan(decoded.count, 6)
        XCTAssertEqual(decoded, memory.events)
        try file.close()  // a second close does nothing
    }

    /// Large values written twice (a gradient passed through by add or reshape, a single
    /// contribution that is the next rule's incoming gradient) are written once and referenced.
    func testRepeatedValuesAreWrittenOnceAndReadBackWhole() throws {
        let rng = SeededGenerator(seed: 5)
        let x = Tensor.uniform([64, 32], low: -1, high: 1, using: rng, label: "x")
        let w = Tensor.uniform([32, 32], low: -1, high: 1, using: rng, label: "w").requiringGrad()
        let (file, path, memory) = try recordFull("repeats.jsonl") {
            (x.matmul(w).reshape([2048]) + 1).tanh().sum().backward()
        }
        try file.close()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.contains("\"values_from\""), "repeats are referenced")
        let decoder = JSONDecoder()
        let raw = try text.split(separator: "\n").map { try decoder.decode(TraceEvent.self, from: Data($0.utf8)) }
        XCTAssertNotEqual(raw, memory.events, "unresolved, a reference is not the values")
        XCTAssertEqual(raw.resolvingValueReferences(), memory.events)
        let whole = memory.events.reduce(0) { n, e in n + (e.inputs + e.outputs).reduce(0) { $0 + ($1.values?.count ?? 0) } }
        let written = raw.reduce(0) { n, e in n + (e.inputs + e.outputs).reduce(0) { $0 + ($1.values?.count ?? 0) } }
        XCTAssertLessThan(written, whole * 3 / 4, "written \(written) of \(whole) values")
    }

    /// Values that are one run inside a larger tensor written before (a select along the first
    /// axis, each part of a stack's gradient) are referenced with an offset into it, also when
    /// the larger tensor is listed without values (made by an earlier op), and read back whole.
    func testRunsInsideLargerValuesAreReferencedWithAnOffset() throws {
        let rng = SeededGenerator(seed: 8)
        let x = Tensor.uniform([256, 16], low: -1, high: 1, using: rng, label: "x")
        let w = Tensor.uniform([16, 32], low: -1, high: 1, using: rng, label: "w").requiringGrad()
        let c = Tensor.uniform([4, 64, 32], low: -1, high: 1, using: rng, label: "c")
        let (file, path, memory) = try recordFull("runs.jsonl") {
            let ih = x.matmul(w).reshape([4, 64, 32]).named("ih")  // 2,048 values per step
            let steps = (0..<4).map { ih.select(axis: 0, index: $0).tanh() }
            (Tensor.stack(steps, axis: 0) * c).sum().backward()
        }
        try file.close()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let raw = try text.split(separator: "\n").map { try JSONDecoder().decode(TraceEvent.self, from: Data($0.utf8)) }
        let selects = raw.filter { $0.phase == .forward && $0.op == "select" }
        XCTAssertEqual(selects.count, 4)
        for (t, e) in selects.enumerated() {
            XCTAssertTrue(e.inputs[0].storedValues == nil, "ih is listed without values: an op made it")
            XCTAssertTrue(e.outputs[0].storedValues == nil, "step \(t)'s values are not written again")
            XCTAssertEqual(e.outputs[0].valuesFrom?.offset, t * 2048)
        }
        let stackGradient = try XCTUnwrap(raw.first { $0.phase == .backward && $0.op == "stack" })
        XCTAssertEqual(stackGradient.outputs.map { $0.valuesFrom?.offset }, [0, 2048, 4096, 6144])
        XCTAssertEqual(raw.resolvingValueReferences(), memory.events)
    }

    /// Nine significant digits read back as the same Float for every exponent, subnormals
    /// included; short decimals stay short.
    func testFloatTextReadsBackExactly() {
        // Seeded, so a failure names mantissas that reproduce.
        var rng = SeededGenerator(seed: 20_181_203)
        var checked = 0
        for biased in UInt32(0)...254 {
            var mantissas: [UInt32] = [0, 1, 0x7f_ffff, 0x40_0000]
            for _ in 0..<64 { mantissas.append(UInt32.random(in: 0...0x7f_ffff, using: &rng)) }
            for m in mantissas where !(biased == 0 && m == 0) {
                for sign in [UInt32(0), 0x8000_0000] {
                    let v = Float(bitPattern: sign | biased << 23 | m)
                    var buffer = [UInt8](repeating: 0, count: FloatText.maximumWidth)
                    let n = buffer.withUnsafeMutableBufferPointer { FloatText.write(v, to: $0.baseAddress!) }
                    let text = String(decoding: buffer[..<n], as: UTF8.self)
                    XCTAssertEqual(Float(text), v, "\(text) for bits \(String(v.bitPattern, radix: 16))")
                    XCTAssertEqual(Double(text).map(Float.init), v, "via Double: \(text)")
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 30_000)
        func text(_ v: Float) -> String {
            var buffer = [UInt8](repeating: 0, count: FloatText.maximumWidth)
            let n = buffer.withUnsafeMutableBufferPointer { FloatText.write(v, to: $0.baseAddress!) }
            return String(decoding: buffer[..<n], as: UTF8.self)
        }
        // Exact binary fractions print exactly; 0.1 (not a Float) prints its nine digits.
        XCTAssertEqual([0.5, 3, -2.25, 0.0009765625, 0x1p-30, 16_777_216, 1e10, 0.1].map(text),
                       ["0.5", "3.0", "-2.25", "0.0009765625", "9.31322575e-10", "16777216.0", "1.0e10", "0.100000001"])
    }

    func testNonFiniteValuesAndAwkwardLabels() throws {
        let path = directory.appendingPathComponent("odd.jsonl").path
        let file = try JSONLSink(path: path)
        let values: [Float] = [.nan, .infinity, -.infinity, -0.0, .leastNonzeroMagnitude,
                               .greatestFiniteMagnitude, 0.1, 1e-7, 16_777_216]
        let label = "l_hidden(h+in1) \"quoted\" back\\slash\nnew\tline \u{01} ⋱ é"
        let event = TraceEvent(seq: 1, phase: .update, op: "sgd", label: label, attributes: "lr=0.1",
                               inputs: [],
                               outputs: [TracedTensor(id: 7, label: label, shape: [3, 3], kind: .grad,
                                                      summary: ValueSummary(values), values: values)])
        file.receive(event)
        try file.close()
        let back = try XCTUnwrap(try decodeLines(path).first)
        XCTAssertEqual(back.label, label)
        XCTAssertEqual(back.outputs[0].label, label)
        XCTAssertEqual(back.outputs[0].kind, .grad)
        XCTAssertEqual(back.phase, .update)
        let got = try XCTUnwrap(back.outputs[0].values)
        // Compare bit patterns: NaN ≠ NaN, and −0.0 == 0.0 would hide a lost sign.
        XCTAssertEqual(got.map(\.bitPattern), values.map(\.bitPattern).enumerated().map { i, bits in
            values[i].isNaN ? Float.nan.bitPattern : bits
        })
        XCTAssertEqual(back.outputs[0].summary, event.outputs[0].summary)  // finite statistics
    }

    func testAllNaNSummaryRoundTrips() throws {
        // Every statistic of an all-NaN buffer is NaN: written as "NaN", read back as NaN.
        let path = directory.appendingPathComponent("nan.jsonl").path
        let file = try JSONLSink(path: path)
        let s = ValueSummary([.nan, .nan])
        file.receive(TraceEvent(seq: 1, phase: .forward, op: "log", label: "log(x)", inputs: [],
                                outputs: [TracedTensor(id: 1, label: "log(x)", shape: [2], summary: s)]))
        try file.close()
        let back = try XCTUnwrap(try decodeLines(path).first?.outputs[0].summary)
        XCTAssertEqual(back.count, 2)
        XCTAssertEqual(back.nan, 2)
        XCTAssertTrue(back.mean.isNaN && back.std.isNaN && back.min.isNaN && back.max.isNaN)
        XCTAssertNil(try decodeLines(path).first?.outputs[0].values)
    }

    func testDroppedWithoutCloseLeavesNoFile() throws {
        let path = directory.appendingPathComponent("dropped.jsonl").path
        do {
            let file = try JSONLSink(path: path)
            file.receive(TraceEvent(seq: 1, phase: .forward, op: "exp", label: "e", inputs: [], outputs: []))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
    }

    func testUnwritableDirectoryThrows() {
        XCTAssertThrowsError(try JSONLSink(path: directory.appendingPathComponent("no/such/dir/t.jsonl").path))
    }
}
