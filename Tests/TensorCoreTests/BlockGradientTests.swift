// select and slice hand the tape a gradient for one block of their input; the tape adds it in
// place and the trace carries only the block. These tests hold the dense meaning fixed: the
// accumulated gradient, the traced values and the traced statistics are those of the block
// written into zeros.

import Foundation
import XCTest
@testable import TensorCore

final class BlockGradientTests: XCTestCase {
    /// x [3, 2, 2] = 0…11; loss = Σ 2·x[1] + Σ x[:, 0:1] · x[:, 0:1] + Σ x[1]
    /// so ∂/∂x = 2 + 1 on x[1], plus 2·x on x[:, 0] (select twice, slice once, overlapping).
    func testBlocksAccumulateLikeDenseGradients() {
        let x = Tensor(shape: [3, 2, 2], data: (0..<12).map(Float.init), label: "x", requiresGrad: true)
        let s = x.slice(axis: 1, 0..<1)
        let loss = (x.select(axis: 0, index: 1) * 2).sum() + (s * s).sum() + x.select(axis: 0, index: -2).sum()
        loss.backward()
        var expected = [Float](repeating: 0, count: 12)
        for i in 4..<8 { expected[i] += 3 }  // x[1, :, :]
        for a in 0..<3 { for k in 0..<2 { let i = a * 4 + k; expected[i] += 2 * Float(i) } }  // x[:, 0, :]
        XCTAssertEqual(x.grad, expected)
    }

    /// A block large enough to be looked up (≥ 1,024 values) whose values the trace summarised
    /// just before (the incoming grad, passed on unchanged by select): its statistics come from
    /// that earlier pass and must still be the dense tensor's.
    func testReusedBlockStatisticsHaveDenseMeaning() throws {
        let width = 2048
        let x = Tensor(shape: [4, width], data: (0..<(4 * width)).map { Float($0 % 97) / 50 - 1 },
                       label: "x", requiresGrad: true)
        for threads in [1, 2] {
            BLAS.setThreads(threads)
            defer { BLAS.setThreads(1) }
            x.zeroGrad()
            let sink = MemorySink()
            Tracer.recording(level: .summary, to: sink) { x.select(axis: 0, index: 1).tanh().sum().backward() }
            let event = try XCTUnwrap(sink.events.first { $0.phase == .backward && $0.op == "select" })
            let g = try XCTUnwrap(event.outputs.first)
            let dense = try XCTUnwrap(x.grad)
            XCTAssertEqual(g.shape, [4, width])
            XCTAssertEqual(g.summary, ValueSummary(dense), "\(threads) thread(s)")
            XCTAssertEqual(event.inputs.first?.summary, ValueSummary(Array(dense[width..<(2 * width)])))
        }
    }

    func testTraceCarriesTheBlockWithDenseMeaning() throws {
        let x = Tensor(shape: [4, 3], data: (0..<12).map { Float($0) - 5 }, label: "x", requiresGrad: true)
        for level in [TraceLevel.summary, .full] {
            x.zeroGrad()
            let sink = MemorySink()
            Tracer.recording(level: level, to: sink) {
                (x.select(axis: 0, index: 2) * 3).sum().backward()
            }
            let event = try XCTUnwrap(sink.events.first { $0.phase == .backward && $0.op == "select" })
            let g = try XCTUnwrap(event.outputs.first)
            let dense: [Float] = [0, 0, 0, 0, 0, 0, 3, 3, 3, 0, 0, 0]
            XCTAssertEqual(g.shape, [4, 3])
            XCTAssertEqual(g.summary, ValueSummary(dense), "statistics of the block in its zeros (\(level))")
            if level == .full {
                XCTAssertEqual(g.storedValues, [3, 3, 3], "only the block is stored")
                XCTAssertEqual(g.block, TensorBlock(outer: 1, n: 4, inner: 3, start: 2, length: 1))
                XCTAssertEqual(g.values, dense, "values reads back dense")
            } else {
                XCTAssertNil(g.storedValues)
            }
            XCTAssertEqual(x.grad, dense)
        }
    }

    func testJSONLinesRoundTripKeepsTheBlock() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("block-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try JSONLSink(path: path)
        let memory = MemorySink()
        let x = Tensor(shape: [2, 3, 2], data: (0..<12).map(Float.init), label: "x", requiresGrad: true)
        Tracer.recording(level: .full, to: file) { (x.slice(axis: 1, 1..<3) * 2).sum().backward() }
        try file.close()
        Tracer.recording(level: .full, to: memory) { (x.slice(axis: 1, 1..<3) * 2).sum().backward() }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let decoded = try lines.map { try JSONDecoder().decode(TraceEvent.self, from: Data($0.utf8)) }
        let fromFile = try XCTUnwrap(decoded.first { $0.op == "slice" && $0.phase == .backward })
        let fromMemory = try XCTUnwrap(memory.events.first { $0.op == "slice" && $0.phase == .backward })
        XCTAssertEqual(fromFile.outputs, fromMemory.outputs)
        XCTAssertEqual(fromFile.outputs[0].block, TensorBlock(outer: 2, n: 3, inner: 2, start: 1, length: 2))
        XCTAssertEqual(fromFile.outputs[0].values, [0, 0, 2, 2, 2, 2, 0, 0, 2, 2, 2, 2])
    }
}
