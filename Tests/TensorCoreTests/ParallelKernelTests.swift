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
        let before = Parallel.regions
        let two = body()
        let regions = Parallel.regions - before
        BLAS.setThreads(1)
        return (one, two, regions)
    }

    private func values(_ n: Int, seed: UInt64) -> [Float] {
        let rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in rng.uniform(-4, 4) }
    }

    func testPointwiseKernelsMatchOneThreadBitForBit() throws {
        try XCTSkipIf(Parallel.gomp == nil, "this BLAS does not run on libgomp")
        let n = 100_003  // not a multiple of 16 or 8: chunk edges and the vector tail
        let a = values(n, seed: 1), b = values(n, seed: 2)
        let cases: [(String, () -> [Float])] = [
            ("tanh", { Kernels.tanh(a) }),
            ("relu", { Kernels.relu(a) }),
            ("add", { Kernels.add(a, b) }),
            ("tanhBackward", { Kernels.tanhBackward(grad: a, result: b) }),
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

    /// Trace statistics split by fixed sections, so a summary does not depend on the thread count.
    func testMomentsAreTheSameOnTwoThreads() throws {
        try XCTSkipIf(Parallel.gomp == nil, "this BLAS does not run on libgomp")
        let x = values(100_003, seed: 7)
        BLAS.setThreads(1)
        let one = ValueSummary(x)
        BLAS.setThreads(2)
        let before = Parallel.regions
        let two = ValueSummary(x)
        XCTAssertEqual(Parallel.regions - before, 1, "moments did not split")
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

    func testBiasRowsSplitAcrossThreads() throws {
        try XCTSkipIf(Parallel.gomp == nil, "this BLAS does not run on libgomp")
        let rows = 257, width = 389
        let m = values(rows * width, seed: 3), bias = values(width, seed: 4)
        let right = bothWays { Kernels.sub(m, [rows, width], bias, [width], out: [rows, width]) }
        let left = bothWays { Kernels.sub(bias, [1, width], m, [rows, width], out: [rows, width]) }
        XCTAssertEqual(right.regions, 1)
        XCTAssertEqual(left.regions, 1)
        XCTAssertTrue(right.one.map(\.bitPattern) == right.two.map(\.bitPattern))
        XCTAssertTrue(left.one.map(\.bitPattern) == left.two.map(\.bitPattern))
        for (r, c) in [(0, 0), (128, 388), (129, 0), (256, 200)] {
            XCTAssertEqual(right.two[r * width + c], m[r * width + c] - bias[c])
            XCTAssertEqual(left.two[r * width + c], bias[c] - m[r * width + c])
        }
    }

    func testSmallKernelsAndOtherThreadsStaySerial() throws {
        try XCTSkipIf(Parallel.gomp == nil, "this BLAS does not run on libgomp")
        BLAS.setThreads(2)
        let before = Parallel.regions
        _ = Kernels.tanh(values(1000, seed: 5))
        let big = values(100_000, seed: 6)
        let done = expectation(description: "other thread")
        Thread.detachNewThread { _ = Kernels.tanh(big); done.fulfill() }
        wait(for: [done], timeout: 30)
        XCTAssertEqual(Parallel.regions, before)
    }
}
