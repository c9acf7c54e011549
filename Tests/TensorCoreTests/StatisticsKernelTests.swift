// Statistics taken while a pointwise or copy kernel writes its result (Kernels/Statistics.swift) must be
// exactly what a separate pass (`Kernels.moments`) gives, on one thread or two, with section
// edges, vector tails and non-finite values; and a traced step must describe the same summaries
// whether the kernels take them or not. Kernels measure only when asked (`measuring: true`) and
// return the statistics with the values; an op asks when its runtime traces at `summary` and
// hands them to the tracer.

import Foundation
import XCTest
@testable import TensorCore

final class StatisticsKernelTests: XCTestCase {
    override func tearDown() {
        Tracer.stop()
        BLAS.setThreads(1)
    }

    private func values(_ n: Int, seed: UInt64) -> [Float] {
        let rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in rng.uniform(-4, 4) }
    }

    private func assertSame(_ a: Kernels.Moments?, _ b: Kernels.Moments, _ what: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        guard let a else { return XCTFail("\(what): no statistics were taken", file: file, line: line) }
        XCTAssertEqual(a.finite, b.finite, what, file: file, line: line)
        XCTAssertEqual(a.nan, b.nan, what, file: file, line: line)
        XCTAssertEqual(a.inf, b.inf, what, file: file, line: line)
        XCTAssertEqual(a.sum.bitPattern, b.sum.bitPattern, "\(what): sum \(a.sum) vs \(b.sum)", file: file, line: line)
        XCTAssertEqual(a.sumOfSquares.bitPattern, b.sumOfSquares.bitPattern, "\(what): Σx²", file: file, line: line)
        XCTAssertEqual(a.min, b.min, what, file: file, line: line)
        XCTAssertEqual(a.max, b.max, what, file: file, line: line)
    }

    func testKernelStatisticsEqualASeparatePass() {
        // One section, two sections and a vector tail, three sections and a scalar tail.
        for n in [1024, 16_384 + 13, 3 * 16_384 + 5] {
            let a = values(n, seed: UInt64(n)), b = values(n, seed: UInt64(n) + 1)
            var poisoned = a
            poisoned[n / 2] = .nan
            poisoned[n - 1] = .infinity
            let width = n == 1024 ? 64 : 85  // 85: rows cross the statistics' blocks and sections
            let rows = n / width
            let m = Array(a.prefix(rows * width)), bias = Array(b.prefix(width))
            let cases: [(String, (Bool) -> Measured)] = [
                ("tanh", { Kernels.tanh(a, measuring: $0) }),
                ("relu", { Kernels.relu(a, measuring: $0) }),
                ("mul", { Kernels.mul(a, b, measuring: $0) }),
                ("tanhBackward", { Kernels.tanhBackward(grad: a, result: b, measuring: $0) }),
                ("scalar times", { Kernels.mul([0.5], [1], a, [n], out: [n], measuring: $0) }),
                ("bias rows", { Kernels.add(m, [rows, width], bias, [width], out: [rows, width], measuring: $0) }),
                ("NaN and ∞", { Kernels.exp(poisoned, measuring: $0) }),
                // Copies: rows of 85 - 7 values cross blocks, chunks and sections.
                ("slice", { Kernels.slice(m + m, outer: 2 * rows, n: width, inner: 1, start: 3, length: width - 7, measuring: $0) }),
                ("select", { Kernels.select(a, outer: 1, n: 1, inner: n, index: 0, measuring: $0) }),
                ("concat", { Kernels.concat([m, a], ns: [width, n / rows], outer: rows, inner: 1, measuring: $0) }),
                ("gather rows", { Kernels.gatherRows(a, width: width, indices: (0..<rows).map { ($0 * 7) % rows }, measuring: $0) }),
            ]
            for threads in [1, 2] {
                BLAS.setThreads(threads)
                for (name, kernel) in cases {
                    let result = kernel(true)
                    assertSame(result.moments, Kernels.moments(result.values), "\(name), n = \(n), \(threads) thread(s)")
                    // And the values are the unmeasured kernel's.
                    let plain = kernel(false)
                    XCTAssertNil(plain.moments, "\(name): measured without being asked")
                    XCTAssertTrue(plain.values.map(\.bitPattern) == result.values.map(\.bitPattern), "\(name) values")
                }
            }
        }
    }

    /// The copy kernels write by flat ranges of their result (so that they can be measured):
    /// each must still put every value where a plain loop puts it, measured or not, on one
    /// thread or two, for parts and rows that do not line up with the ranges.
    func testCopyKernelsMoveEveryValueToItsPlace() {
        let outer = 37, inner = 5
        let ns = [300, 0, 1, 97]  // an empty part, a one-entry part
        let parts = ns.enumerated().map { j, k in values(outer * k * inner, seed: UInt64(100 + j)) }
        let total = ns.reduce(0, +)
        var expected: [Float] = []
        for a in 0..<outer {
            for (j, k) in ns.enumerated() { expected += parts[j][(a * k * inner)..<((a + 1) * k * inner)] }
        }
        let x = expected
        var expectedSlice: [Float] = []
        for a in 0..<outer { expectedSlice += x[((a * total + 150) * inner)..<((a * total + 350) * inner)] }
        let table = values(85 * 42, seed: 7), indices = (0..<600).map { ($0 * 31) % 85 }
        var expectedRows: [Float] = []
        for r in indices { expectedRows += table[(r * 42)..<((r + 1) * 42)] }
        for threads in [1, 2] {
            BLAS.setThreads(threads)
            for wanted in [false, true] {
                let what = "\(threads) thread(s), statistics \(wanted)"
                XCTAssertEqual(Kernels.concat(parts, ns: ns, outer: outer, inner: inner, measuring: wanted).values,
                               expected, "concat, \(what)")
                XCTAssertEqual(Kernels.slice(x, outer: outer, n: total, inner: inner, start: 150, length: 200,
                                             measuring: wanted).values,
                               expectedSlice, "slice, \(what)")
                XCTAssertEqual(Kernels.gatherRows(table, width: 42, indices: indices, measuring: wanted).values,
                               expectedRows, "gather, \(what)")
            }
        }
    }

    func testSmallBuffersAreNotMeasured() {
        XCTAssertNotNil(Kernels.relu(values(1024, seed: 9), measuring: true).moments)
        XCTAssertNil(Kernels.relu(values(1023, seed: 9), measuring: true).moments,
                     "small buffers are summarised when described")
    }

    /// An op asks its kernel to measure exactly when its runtime traces at `summary`; the
    /// runtime's own level decides, not another session's.
    func testOpsAskForStatisticsOnlyAtSummary() {
        var asked: [Bool] = []
        let x = Tensor(shape: [4], data: [1, 2, 3, 4], label: "x")
        func op() {
            _ = Tensor.record(.relu, [x], shape: [4], data: { measuring in asked.append(measuring); return Measured(x.data) }) { _ in [nil] }
        }
        op()
        let sink = CountingSink()
        Tracer.recording(level: .summary, to: sink) {
            op()
            Tracer.recording(level: .full, to: sink) { op() }
            op()
            Runtime().activate { op() }
        }
        op()
        XCTAssertEqual(asked, [false, true, false, true, false, false])
    }

    /// The statistics a kernel returns are the ones the event carries, forward and backward: the
    /// tracer takes them as given (here deliberately wrong ones, so a separate pass would show).
    func testEventsCarryTheStatisticsTheKernelsReturned() {
        var forged = Kernels.Moments()
        forged.finite = 4096; forged.sum = 7; forged.sumOfSquares = 49; forged.min = -1; forged.max = 2
        let x = Tensor(shape: [4096], data: values(4096, seed: 12), label: "x", requiresGrad: true)
        let sink = MemorySink()
        Tracer.recording(level: .summary, to: sink) {
            let y = Tensor.record(.relu, [x], shape: [4096], data: { _ in Measured(x.data, moments: forged) }) { ctx in
                [Measured(ctx.grad, moments: forged)]
            }
            y.backward(seed: [Float](repeating: 1, count: 4096))
        }
        let forward = sink.events.first { $0.phase == .forward }, backward = sink.events.first { $0.phase == .backward }
        XCTAssertEqual(forward?.outputs.first?.summary?.mean, 7.0 / 4096)
        XCTAssertEqual(backward?.outputs.first?.summary?.mean, 7.0 / 4096)
        XCTAssertEqual(backward?.outputs.first?.summary?.max, 2)
    }

    /// A traced training step describes the same summaries when its kernels take the
    /// statistics as when every buffer gets a separate pass.
    func testTracedStepIsTheSameWithOrWithoutKernelStatistics() {
        let x = Tensor(shape: [96, 64], data: values(96 * 64, seed: 21), label: "x")
        let w = Tensor(shape: [48, 64], data: values(48 * 64, seed: 22), label: "w", requiresGrad: true)
        let bias = Tensor(shape: [48], data: values(48, seed: 23), label: "b", requiresGrad: true)
        // At `full` every summary is a separate pass over the kept values; drop them to compare.
        func events(level: TraceLevel, threads: Int) -> [TraceEvent] {
            BLAS.setThreads(threads)
            let sink = MemorySink()
            Runtime.current.resetTensorIDs()
            Tracer.recording(level: level, to: sink) {
                w.zeroGrad(); bias.zeroGrad()
                (x.matmul(w, transposeB: true) + bias).relu().tanh().sum().backward()
            }
            return sink.events.map { event in
                var e = event
                for i in e.inputs.indices { e.inputs[i].storedValues = nil; e.inputs[i].block = nil }
                for i in e.outputs.indices { e.outputs[i].storedValues = nil; e.outputs[i].block = nil }
                return e
            }
        }
        let separate = events(level: .full, threads: 1)
        XCTAssertEqual(separate.count, 10)
        for threads in [1, 2] {
            XCTAssertEqual(events(level: .summary, threads: threads), separate, "\(threads) thread(s)")
        }
    }
}
