// Large elementwise kernels run split across BLAS's OpenMP team when BLAS uses two threads
// (Kernels/Parallel.swift). Each value is computed the same way on either thread, so the
// results must be bit-identical to one thread, for sizes that do not split evenly too.

import Foundation
import XCTest
@testable import TensorCore

final class ParallelKernelTests: XCTestCase {
    override func tearDown() { BLAS.setThreads(1) }

    /// Run `body` once on one thread and once on two; return both results and how many
    /// parallel regions the two-thread run opened.
    private func bothWays(_ body: () -> [Float]) -> (one: [Float], two: [Float], regions: Int) {
        BLAS.setThreads(1)
        let one = body()
        BLAS.setThreads(2)
        let before = Runtime.current.work.regions
        let two = body()
        let regions = Runtime.current.work.regions - before
        BLAS.setThreads(1)
        return (one, two, regions)
    }

    private func values(_ n: Int, seed: UInt64) -> [Float] {
        let rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in rng.uniform(-4, 4) }
    }

    func testPointwiseKernelsMatchOneThreadBitForBit() throws {
        try requireGomp()
        let n = 100_003  // not a multiple of 16 or 8: chunk edges and the vector tail
        let a = values(n, seed: 1), b = values(n, seed: 2)
        let cases: [(String, () -> [Float])] = [
            ("tanh", { Kernels.tanh(a).values }),
            ("relu", { Kernels.relu(a).values }),
            ("add", { Kernels.add(a, b) }),
            ("tanhBackward", { Kernels.tanhBackward(grad: a, result: b).values }),
            ("scale", { Kernels.scale(a, 0.3) }),
            ("accumulate", { var acc = a; Kernels.accumulate(&acc, b); return acc }),
        ]
        for (name, body) in cases {
            let r = bothWays(body)
            XCTAssertEqual(r.regions, 1, "\(name) did not split")
            XCTAssertEqual(r.one.count, n, name)
            XCTAssertTrue(r.one.map(\.bitPattern) == r.two.map(\.bitPattern), "\(name) differs on two threads")
        }
        // Against values worked out here, not by the kernel: every index written once, right.
        let sum = bothWays { Kernels.add(a, b) }.two
        for i in [0, 15, 16, 50_000, 50_015, 50_016, n - 1] { XCTAssertEqual(sum[i], a[i] + b[i], "add at \(i)") }
    }

    /// Row-wise, column-block and copying kernels: each thread owns whole rows, whole columns or
    /// a range of the copy, so the results equal one thread's bit for bit.
    func testRowColumnAndCopyKernelsMatchOneThread() throws {
        try requireGomp()
        let rows = 517, width = 85  // CharSeqRnn's vocabulary, a row count that splits unevenly
        let x = values(rows * width, seed: 8), g = values(rows * width, seed: 9)
        let y = Kernels.logSoftmax(x, outer: rows, n: width, inner: 1)
        let h = values(300 * 1000, seed: 10)  // 1,000 columns: 31 blocks of 32 and a ragged one
        let block = TensorBlock(outer: 1, n: 3, inner: 60_000, start: 1, length: 1)
        let cases: [(String, () -> [Float])] = [
            ("logSoftmax", { Kernels.logSoftmax(x, outer: rows, n: width, inner: 1) }),
            ("logSoftmaxBackward", { Kernels.logSoftmaxBackward(grad: g, result: y, outer: rows, n: width, inner: 1) }),
            ("column sums", { Kernels.sum(h, outer: 1, n: 300, inner: 1000) }),
            ("select", { Kernels.select(h, outer: 1, n: 3, inner: 100_000, index: 2).values }),
            ("slice rows", { Kernels.slice(h, outer: 300, n: 10, inner: 100, start: 3, length: 4).values }),
            ("stack", { Kernels.concat([h, Array(h.reversed())], ns: [1, 1], outer: 1, inner: h.count).values }),
            ("zeros", { Kernels.zeros(70_001) }),
            ("addBlock", { var full = Array(h[0..<180_000]); Kernels.addBlock(&full, Array(h[0..<60_000]), block); return full }),
            ("adam", {
                var p = h, m = h.map { $0 * 0.1 }, v = h.map { $0 * $0 }
                Kernels.adamStep(param: &p, grad: Array(h.reversed()), m: &m, v: &v, lr: 0.01, beta1: 0.9,
                                 beta2: 0.999, eps: 1e-8, step: 3)
                return p + m + v
            }),
        ]
        for (name, body) in cases {
            let r = bothWays(body)
            XCTAssertGreaterThanOrEqual(r.regions, 1, "\(name) did not split")
            XCTAssertTrue(r.one.map(\.bitPattern) == r.two.map(\.bitPattern), "\(name) differs on two threads")
        }
        // Spot values worked out here: a column sum, a selected value, a block add, zeros.
        let sums = bothWays { Kernels.sum(h, outer: 1, n: 300, inner: 1000) }.two
        for c in [0, 31, 32, 999] {
            var s: Float = 0
            for r in 0..<300 { s += h[r * 1000 + c] }
            XCTAssertEqual(sums[c], s, "column \(c)")
        }
        XCTAssertEqual(bothWays { Kernels.select(h, outer: 1, n: 3, inner: 100_000, index: 2).values }.two[99_999], h[299_999])
        let added = bothWays { var full = Array(h[0..<180_000]); Kernels.addBlock(&full, Array(h[0..<60_000]), block); return full }.two
        XCTAssertEqual(added[60_000 + 59_999], h[60_000 + 59_999] + h[59_999])
        XCTAssertEqual(added[59_999], h[59_999])
        XCTAssertTrue(bothWays { Kernels.zeros(70_001) }.two.allSatisfy { $0 == 0 })
    }

    /// A matmul's two gradients run at once, one per thread, with one-thread BLAS each; they
    /// must equal the one-after-the-other products bit for bit (including the skinny weight
    /// gradient computed transposed).
    func testMatmulGradientsAtOnceMatchOneAfterTheOther() throws {
        try requireGomp()
        for (m, k, n) in [(512, 256, 256), (4096, 42, 256)] {
            let x = Tensor(shape: [m, k], data: values(m * k, seed: 11), requiresGrad: true)
            let w = Tensor(shape: [n, k], data: values(n * k, seed: 12), requiresGrad: true)
            let g = values(m * n, seed: 13)
            func grads() -> [Float] {
                x.zeroGrad(); w.zeroGrad()
                x.matmul(w, transposeB: true).backward(seed: g)
                return x.grad! + w.grad!
            }
            let before = Runtime.current.work.pairs
            let r = bothWays(grads)
            XCTAssertEqual(Runtime.current.work.pairs - before, 1, "\(m)×\(k)×\(n): gradients not run as a pair")
            XCTAssertTrue(r.one.map(\.bitPattern) == r.two.map(\.bitPattern), "\(m)×\(k)×\(n) differs")
        }
    }

    /// Trace statistics split by fixed sections, so a summary does not depend on the thread count.
    func testMomentsAreTheSameOnTwoThreads() throws {
        try requireGomp()
        let x = values(100_003, seed: 7)
        BLAS.setThreads(1)
        let one = ValueSummary(x)
        BLAS.setThreads(2)
        let before = Runtime.current.work.regions
        let two = ValueSummary(x)
        XCTAssertEqual(Runtime.current.work.regions - before, 1, "moments did not split")
        BLAS.setThreads(1)
        XCTAssertEqual(one, two)
        // And right, against sums taken here in Double.
        let d = x.map(Double.init)
        let mean = d.reduce(0, +) / Double(d.count)
        let l2 = d.reduce(0) { $0 + $1 * $1 }.squareRoot()
        XCTAssertEqual(two.mean, mean, accuracy: 1e-6)
        XCTAssertEqual(two.l2, l2, accuracy: l2 * 1e-6)
        XCTAssertEqual(two.min, Double(x.min()!))
        XCTAssertEqual(two.max, Double(x.max()!))
    }

    /// At `summary` with two threads the statistics are computed on the training thread, with
    /// one on the trace queue: the events must be the same either way.
    func testSummaryEventsAreTheSameOnOneThreadOrTwo() throws {
        try requireGomp()
        let x = Tensor(shape: [300, 200], data: values(60_000, seed: 15), label: "x")
        let w = Tensor(shape: [150, 200], data: values(30_000, seed: 16), label: "w", requiresGrad: true)
        func events(threads: Int) -> [TraceEvent] {
            BLAS.setThreads(threads)
            defer { BLAS.setThreads(1) }
            let sink = MemorySink()
            Runtime.current.resetTensorIDs()
            Tracer.recording(level: .summary, to: sink) {
                w.zeroGrad()
                x.matmul(w, transposeB: true).tanh().sum().backward()
            }
            return sink.events
        }
        let one = events(threads: 1)
        let before = Runtime.current.work.regions
        let two = events(threads: 2)
        XCTAssertGreaterThan(Runtime.current.work.regions - before, 0, "two threads did not split anything")
        XCTAssertEqual(one.count, 6)
        XCTAssertTrue(one.allSatisfy { e in (e.inputs + e.outputs).allSatisfy { $0.storedValues == nil } })
        XCTAssertEqual(one, two)
    }

    func testBiasRowsSplitAcrossThreads() throws {
        try requireGomp()
        let rows = 257, width = 389
        let m = values(rows * width, seed: 3), bias = values(width, seed: 4)
        let right = bothWays { Kernels.sub(m, [rows, width], bias, [width], out: [rows, width]).values }
        let left = bothWays { Kernels.sub(bias, [1, width], m, [rows, width], out: [rows, width]).values }
        XCTAssertEqual(right.regions, 1)
        XCTAssertEqual(left.regions, 1)
        XCTAssertTrue(right.one.map(\.bitPattern) == right.two.map(\.bitPattern))
        XCTAssertTrue(left.one.map(\.bitPattern) == left.two.map(\.bitPattern))
        for (r, c) in [(0, 0), (128, 388), (129, 0), (256, 200)] {
            XCTAssertEqual(right.two[r * width + c], m[r * width + c] - bias[c])
            XCTAssertEqual(left.two[r * width + c], bias[c] - m[r * width + c])
        }
    }

    /// A team smaller than asked for (here: a region opened inside another, which libgomp runs
    /// on one thread) must still cover every chunk.
    func testEveryChunkIsDoneByASmallerTeam() throws {
        try requireGomp()
        let x = values(100_003, seed: 14)
        BLAS.setThreads(1)
        let expected = Kernels.tanh(x).values
        BLAS.setThreads(2)
        var inner: [Float] = []
        withUnsafeMutablePointer(to: &inner) { out in
            Parallel.forRanges(2, width: 1 << 20) { range in
                if range.contains(0) { out.pointee = Kernels.tanh(x).values }
            }
        }
        BLAS.setThreads(1)
        XCTAssertTrue(inner.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    func testSmallKernelsAndOtherThreadsStaySerial() throws {
        try requireGomp()
        BLAS.setThreads(2)
        let before = Runtime.current.work.regions
        _ = Kernels.tanh(values(1000, seed: 5))
        let big = values(100_000, seed: 6)
        let done = expectation(description: "other thread")
        Thread.detachNewThread { _ = Kernels.tanh(big); done.fulfill() }
        wait(for: [done], timeout: 30)
        XCTAssertEqual(Runtime.current.work.regions, before)
    }
}

/// The thread choice for large products, driven with made-up timings (no clock involved).
final class AdaptiveThreadsTests: XCTestCase {
    let big = AdaptiveThreads.Shape(m: 512, n: 256, k: 256, transA: false, transB: true)
    let skinny = AdaptiveThreads.Shape(m: 256, n: 42, k: 4096, transA: true, transB: false)

    /// Feed `choose`/`record` with a cost per setting for `calls` calls; return the settings used.
    private func run(_ auto: AdaptiveThreads, _ shape: AdaptiveThreads.Shape, calls: Int,
                     first: Double? = nil, cost: (Int) -> Double) -> [Int] {
        var used: [Int] = []
        for i in 0..<calls {
            let t = auto.choose(shape)
            used.append(t)
            let x = (i < 4 && first != nil && t == 2 && !used.dropLast().contains(2)) ? first! : cost(t)
            auto.record(shape, threads: t, nanosecondsPerFlop: x)
        }
        return used
    }

    func testFirstCallOfASettingIsNotCounted() {
        let auto = AdaptiveThreads(many: 2, minimumFlops: 0)
        // Two threads twice as fast, but their first call pays 500× (thread start-up).
        let used = run(auto, big, calls: 200, first: 500) { $0 == 1 ? 1.0 : 0.5 }
        XCTAssertEqual(Array(used.prefix(4)), [1, 1, 2, 2], "each setting is timed twice first")
        XCTAssertGreaterThan(used.dropFirst(4).filter { $0 == 2 }.count, 180)
        XCTAssertTrue(auto.prefersMany)
    }

    func testEachShapeKeepsItsOwnCosts() {
        let auto = AdaptiveThreads(many: 2, minimumFlops: 0)
        let bigUsed = run(auto, big, calls: 200) { $0 == 1 ? 1.0 : 0.5 }
        let skinnyUsed = run(auto, skinny, calls: 200) { $0 == 1 ? 1.0 : 3.0 }
        XCTAssertGreaterThan(bigUsed.suffix(150).filter { $0 == 2 }.count, 140)
        XCTAssertGreaterThan(skinnyUsed.suffix(150).filter { $0 == 1 }.count, 140)
        XCTAssertFalse(auto.prefersMany, "the last decided product ran on one thread")
    }

    func testASlowCallDoesNotFlipTheChoice() {
        let auto = AdaptiveThreads(many: 2, minimumFlops: 0)
        _ = run(auto, big, calls: 100) { $0 == 1 ? 1.0 : 0.5 }
        // One preempted two-thread call at 100× the usual cost, then back to normal.
        XCTAssertEqual(auto.choose(big), 2)
        auto.record(big, threads: 2, nanosecondsPerFlop: 50)
        let after = run(auto, big, calls: 50) { $0 == 1 ? 1.0 : 0.5 }
        XCTAssertGreaterThan(after.filter { $0 == 2 }.count, 45)
    }

}

/// The parallel path needs libgomp (BLIS's OpenMP build). Elsewhere these tests skip, unless
/// UNROLLED_REQUIRE_GOMP is set (.ci/run sets it), where its absence is a failure.
func requireGomp(file: StaticString = #filePath, line: UInt = #line) throws {
    guard !Parallel.teamAvailable else { return }
    if ProcessInfo.processInfo.environment["UNROLLED_REQUIRE_GOMP"] != nil {
        XCTFail("libgomp not found and UNROLLED_REQUIRE_GOMP is set", file: file, line: line)
    }
    throw XCTSkip("this BLAS does not run on libgomp")
}
