// Statistics taken while a pointwise or copy kernel writes its result (Kernels/Statistics.swift) must be
// exactly what a separate pass (`Kernels.moments`) gives, on one thread or two, with section
// edges, vector tails and non-finite values; and a traced step must describe the same summaries
// whether the kernels take them or not.

import Foundation
import XCTest
@testable import TensorCore

final class StatisticsKernelTests: XCTestCase {
    override func tearDown() {
        Tracer.stop()
        BLAS.setThreads(1)
    }

    /// Kernels measure what they write while this thread's runtime traces at `summary`.
    private func measuring(_ on: Bool) {
        if on { Tracer.start(level: .summary, sink: CountingSink()) } else { Tracer.stop() }
    }

    private func take(_ values: [Float]) -> Kernels.Moments? {
        Runtime.current.recorder.kernelStatistics.take(values)
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
            let cases: [(String, () -> [Float])] = [
                ("tanh", { Kernels.tanh(a) }),
                ("relu", { Kernels.relu(a) }),
                ("add", { Kernels.add(a, b) }),
                ("tanhBackward", { Kernels.tanhBackward(grad: a, result: b) }),
                ("scalar times", { Kernels.mul([0.5], [1], a, [n], out: [n]) }),
                ("bias rows", { Kernels.add(m, [rows, width], bias, [width], out: [rows, width]) }),
                ("NaN and ∞", { Kernels.scale(poisoned, 2) }),
                // Copies: rows of 85 - 7 values cross blocks, chunks and sections.
                ("slice", { Kernels.slice(m + m, outer: 2 * rows, n: width, inner: 1, start: 3, length: width - 7) }),
                ("select", { Kernels.select(a, outer: 1, n: 1, inner: n, index: 0) }),
                ("concat", { Kernels.concat([m, a], ns: [width, n / rows], outer: rows, inner: 1) }),
                ("gather rows", { Kernels.gatherRows(a, width: width, indices: (0..<rows).map { ($0 * 7) % rows }) }),
            ]
            for threads in [1, 2] {
                BLAS.setThreads(threads)
                measuring(true)
                for (name, kernel) in cases {
                    let result = kernel()
                    let taken = take(result)
                    measuring(false)
                    assertSame(taken, Kernels.moments(result), "\(name), n = \(n), \(threads) thread(s)")
                    // And the result itself is the plain kernel's.
                    XCTAssertTrue(kernel().map(\.bitPattern) == result.map(\.bitPattern), "\(name) values")
                    measuring(true)
                }
            }
            measuring(false)
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
                measuring(wanted)
                let what = "\(threads) thread(s), statistics \(wanted)"
                XCTAssertEqual(Kernels.concat(parts, ns: ns, outer: outer, inner: inner), expected, "concat, \(what)")
                XCTAssertEqual(Kernels.slice(x, outer: outer, n: total, inner: inner, start: 150, length: 200),
                               expectedSlice, "slice, \(what)")
                XCTAssertEqual(Kernels.gatherRows(table, width: 42, indices: indices), expectedRows, "gather, \(what)")
                Runtime.current.recorder.kernelStatistics.forget()
            }
        }
        measuring(false)
    }

    func testStatisticsAreTakenOnlyWhenWantedAndOnlyOnce() {
        BLAS.setThreads(1)
        let x = values(4096, seed: 9)
        XCTAssertNil(take(Kernels.relu(x)), "not wanted: nothing kept")
        measuring(true)
        let r = Kernels.relu(x)
        XCTAssertNotNil(take(r))
        XCTAssertNil(take(r), "taken once")
        XCTAssertNil(take(Kernels.relu(Array(x.prefix(100)))), "small buffers are summarised directly")
        // Another thread (the trace queue) never takes statistics in its kernels.
        // (async: `sync` may run the block on this very thread.)
        nonisolated(unsafe) var fromQueue: [Float] = []
        let done = DispatchSemaphore(value: 0)
        DispatchQueue(label: "other").async { fromQueue = Kernels.relu(x); done.signal() }
        done.wait()
        XCTAssertNil(take(fromQueue))
    }

    func testOnlySummaryTracingAsksKernelsForStatistics() {
        let sink = CountingSink(), x = values(4096, seed: 10)
        Tracer.recording(level: .summary, to: sink) {
            XCTAssertNotNil(take(Kernels.relu(x)))
            Tracer.recording(level: .full, to: sink) { XCTAssertNil(take(Kernels.relu(x)), "measured at full") }
            XCTAssertNotNil(take(Kernels.relu(x)), "not restored after a nested recording")
        }
        XCTAssertNil(take(Kernels.relu(x)), "measured after the recording ended")
        Tracer.start(level: .summary, sink: sink)
        let r = Kernels.relu(x)
        Tracer.stop()
        XCTAssertNil(take(r), "stop() must forget what was measured")
    }

    /// Two runtimes on one thread keep their own measurements: the one not tracing takes none.
    func testAnotherRuntimeDoesNotSeeTheseStatistics() {
        let x = values(4096, seed: 11)
        Tracer.recording(level: .summary, to: CountingSink()) {
            let quiet = Runtime()
            let r = quiet.activate { Kernels.relu(x) }
            XCTAssertNil(take(r), "a kernel run for an untraced runtime was measured")
            XCTAssertNil(quiet.recorder.kernelStatistics.take(r))
        }
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
        let recorder = Runtime.current.recorder
        let before = recorder.kernelStatistics.taken
        XCTAssertEqual(separate.count, 10)
        for threads in [1, 2] {
            XCTAssertEqual(events(level: .summary, threads: threads), separate, "\(threads) thread(s)")
        }
        // Bias add, relu, tanh and their two backward rules, at each thread count.
        XCTAssertEqual(recorder.kernelStatistics.taken - before, 2 * 5, "the kernels' statistics were not used")
    }
}
