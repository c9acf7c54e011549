// Every TensorCore primitive against PyTorch: tools/golden/make_golden.py ran each case in
// PyTorch and stored inputs, output, an upstream gradient and each input's gradient in
// Fixtures/ops.safetensors, listed by Fixtures/ops.json. Here each case runs through the Swift
// op, backward is seeded with the same upstream gradient, and every number goes through the
// one comparison helper. One printed line per case.

import Foundation
import XCTest
import Formats
@testable import TensorCore

final class GoldenOpsTests: XCTestCase {
    struct Index: Decodable {
        let generator: String
        let cases: [Case]
    }

    struct Case: Decodable {
        let name: String
        let op: String
        let attrs: Attributes
        let inputs: [String]
        let requires_grad: [Bool]
        let out: String
        let grad_out: String?
        let grads: [String?]
        /// Large cases: PyTorch's [mean, population std, min, max, L2 norm] per output/gradient key.
        let statistics: [String: [Double]]?
    }

    /// The union of every op's attributes; each op reads the ones it has.
    struct Attributes: Decodable {
        let axis: Int?
        let keepdims: Bool?
        let shape: [Int]?
        let dims: [Int]?
        let index: Int?
        let start: Int?
        let end: Int?
        let transpose_a: Bool?
        let transpose_b: Bool?
        let p: Float?
    }

    struct MissingAttribute: Error, CustomStringConvertible {
        let description: String
    }

    static func fixture(_ name: String, _ ext: String) throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures"),
                      "Fixtures/\(name).\(ext) missing: run tools/golden/make_golden.py")
    }

    static func load(_ stem: String = "ops") throws -> (Index, [String: Tensor]) {
        let index = try JSONDecoder().decode(Index.self, from: Data(contentsOf: fixture(stem, "json")))
        let tensors = try SafeTensors.read(fixture(stem, "safetensors"))
        return (index, tensors)
    }

    /// The Swift call for a case: the op name and attributes as PyTorch's script wrote them.
    static func run(_ c: Case, _ x: [Tensor]) throws -> Tensor {
        guard let op = Primitive(rawValue: c.op) else { throw MissingAttribute(description: "unknown op \(c.op)") }
        let a = c.attrs
        func need<T>(_ v: T?, _ name: String) throws -> T {
            guard let v else { throw MissingAttribute(description: "\(c.name): \(c.op) needs attribute \(name)") }
            return v
        }
        switch op {
        case .add: return x[0].add(x[1])
        case .sub: return x[0].sub(x[1])
        case .mul: return x[0].mul(x[1])
        case .div: return x[0].div(x[1])
        case .neg: return x[0].neg()
        case .exp: return x[0].exp()
        case .log: return x[0].log()
        case .tanh: return x[0].tanh()
        case .relu: return x[0].relu()
        case .sigmoid: return x[0].sigmoid()
        case .sqrt: return x[0].sqrt()
        case .dropout: return x[0].dropout(mask: x[1], p: try need(a.p, "p"))
        case .sum:
            guard let axis = a.axis else { return x[0].sum() }
            return x[0].sum(axis: axis, keepDims: a.keepdims ?? false)
        case .mean:
            guard let axis = a.axis else { return x[0].mean() }
            return x[0].mean(axis: axis, keepDims: a.keepdims ?? false)
        case .max: return x[0].max(axis: try need(a.axis, "axis"))
        case .argmax: return x[0].argmax(axis: try need(a.axis, "axis"))
        case .reshape: return x[0].reshape(try need(a.shape, "shape"))
        case .transpose:
            let d = try need(a.dims, "dims")
            return x[0].transpose(d[0], d[1])
        case .concat: return Tensor.concat(x, axis: try need(a.axis, "axis"))
        case .stack: return Tensor.stack(x, axis: try need(a.axis, "axis"))
        case .select: return x[0].select(axis: try need(a.axis, "axis"), index: try need(a.index, "index"))
        case .slice: return x[0].slice(axis: try need(a.axis, "axis"), try need(a.start, "start")..<(try need(a.end, "end")))
        case .matmul:
            return x[0].matmul(x[1], transposeA: a.transpose_a ?? false, transposeB: a.transpose_b ?? false)
        case .embedding: return Tensor.embedding(x[0], x[1])
        case .logSoftmax: return x[0].logSoftmax(axis: try need(a.axis, "axis"))
        case .nllLoss: return x[0].nllLoss(x[1])
        case .mse: return x[0].mse(x[1])
        }
    }

    func testEveryPrimitiveHasAGoldenCase() throws {
        let (index, _) = try Self.load()
        let covered = Set(index.cases.map(\.op))
        let missing = Primitive.allCases.map(\.rawValue).filter { !covered.contains($0) }
        XCTAssertEqual(missing, [], "primitives with no PyTorch golden case")
        // matmul in all four transpose combinations.
        let combos = Set(index.cases.filter { $0.op == "matmul" }.map { "\($0.attrs.transpose_a ?? false)\($0.attrs.transpose_b ?? false)" })
        XCTAssertEqual(combos.count, 4)
    }

    func testEveryOpMatchesPyTorch() throws { try checkCases("ops") }

    /// ≥ 16,384 values: the two-thread kernels (BLAS on two threads, so Parallel splits them)
    /// and, traced at `summary`, the statistics the kernels take as they write, against
    /// PyTorch's own statistics of the same tensors.
    func testLargeOpsOnTwoThreadsAndTheirStatisticsMatchPyTorch() throws {
        try requireGomp()
        BLAS.setThreads(2)
        defer { BLAS.setThreads(1) }
        let sink = MemorySink()
        var covered = Set<String>()
        let regions = Runtime.current.work.regions
        defer { XCTAssertGreaterThan(Runtime.current.work.regions - regions, 20, "the large cases did not run on two threads") }
        try Tracer.recording(level: .summary, to: sink) {
            try checkCases("ops_large") { c, out, inputs in
                covered.insert(c.op)
                return Self.statisticsProblems(c, out: out, inputs: inputs, events: sink.events)
            }
        }
        // Pointwise, reduction, softmax and copy kernels all reached.
        for op in ["add", "mul", "exp", "log", "tanh", "relu", "sigmoid", "sum", "mean", "max", "log_softmax",
                   "nll_loss", "concat", "stack", "select", "slice", "transpose", "embedding", "mse"] {
            XCTAssertTrue(covered.contains(op), "no large case for \(op)")
        }
    }

    /// The trace's statistics of a case's output and input gradients against PyTorch's: mean,
    /// min, max within 1e-5 of the tensor's max|value| (the forward rule's scale), the L2 norm
    /// within 1e-5 of itself, std within 5e-4 of max|value|: the trace takes it as
    /// √(Σx²/n − mean²), which keeps only √ε of the digits where the spread is tiny against the
    /// mean (measured: 1.1e-4 on mean()'s constant gradient).
    static func statisticsProblems(_ c: Case, out: Tensor, inputs: [Tensor], events: [TraceEvent]) -> [String] {
        guard let expected = c.statistics else { return ["\(c.name): no statistics in the fixture"] }
        var problems: [String] = []
        func check(_ key: String, _ summary: ValueSummary?) {
            guard let e = expected[key], e.count == 5 else { return problems.append("\(key): no PyTorch statistics") }
            guard let s = summary else { return problems.append("\(key): the trace has no summary") }
            let scale = max(abs(e[2]), abs(e[3]))
            for (name, mine, theirs, bound) in [("mean", s.mean, e[0], 1e-5 * scale), ("std", s.std, e[1], 5e-4 * scale),
                                                ("min", s.min, e[2], 1e-5 * scale), ("max", s.max, e[3], 1e-5 * scale),
                                                ("norm", s.l2, e[4], 1e-5 * e[4])] where abs(mine - theirs) > bound {
                problems.append("\(key) \(name): trace \(mine), PyTorch \(theirs)")
            }
        }
        // The forward event that made `out`, and the backward events whose outputs are input gradients.
        check(c.out, events.last { $0.phase == .forward && $0.outputs.contains { $0.id == out.id } }?
            .outputs.first { $0.id == out.id }?.summary)
        for (i, key) in c.grads.enumerated() {
            guard let key else { continue }
            let contributions = events.filter { $0.phase == .backward }.flatMap { $0.outputs.filter { $0.id == inputs[i].id } }
            guard contributions.count == 1 else {
                problems.append("\(key): \(contributions.count) gradient events, expected 1"); continue
            }
            check(key, contributions[0].summary)
        }
        return problems
    }

    /// Every case of one fixture through the Swift op, forward and backward, each comparison
    /// also checked against perturbed references; `extra` adds a case's own checks.
    func checkCases(_ stem: String, extra: ((Case, Tensor, [Tensor]) -> [String])? = nil) throws {
        let (index, tensors) = try Self.load(stem)
        func fixture(_ key: String) throws -> Tensor {
            try XCTUnwrap(tensors[key], "\(stem).safetensors has no tensor \(key)")
        }
        var lines: [String] = []
        var failed = 0
        var compared = 0, caught = 0
        var worst = 0.0
        for c in index.cases {
            // Fresh leaves, so gradients start from nothing and the flags are the case's own.
            let inputs = try zip(c.inputs, c.requires_grad).map { key, rg in
                let t = try fixture(key)
                return Tensor(shape: t.shape, data: t.data, label: key, requiresGrad: rg)
            }
            let out = try Self.run(c, inputs)
            // (phase, ours, PyTorch's, rule): kept whole so the mutation check can re-run them.
            var results: [(phase: String, actual: [Float], expected: Tensor, tolerance: Tolerance)] = []
            var problems: [String] = []
            results.append(("forward", out.data, try fixture(c.out), GoldenTolerance.forward))
            if out.shape != (try fixture(c.out)).shape { problems.append("forward: shape \(out.shape), expected \((try fixture(c.out)).shape)") }

            if let g = c.grad_out {
                out.backward(seed: try fixture(g).data)
                for (i, key) in c.grads.enumerated() {
                    guard let key else { continue }
                    let expected = try fixture(key)
                    let phase = "backward input \(i) (\(c.inputs[i]))"
                    guard let grad = inputs[i].grad else {
                        problems.append("\(phase): no gradient reached it (PyTorch has one)")
                        continue
                    }
                    results.append((phase, grad, expected, GoldenTolerance.gradient))
                }
            }
            compared += results.count
            for r in results {
                // A comparison that still passes against a perturbed reference could not fail.
                let blind = Perturbation.allCases.filter { Comparison.of(r.actual, $0.apply(r.expected.data), tolerance: r.tolerance).passed }
                if blind.isEmpty { caught += 1 } else { problems.append("\(r.phase): still passes with its reference perturbed (\(blind.map(\.rawValue)))") }
                worst = max(worst, Comparison.of(r.actual, r.expected.data, tolerance: r.tolerance).maxAbsDiffOfScale)
            }
            let comparisons = results.map { ($0.phase, Comparison.of($0.actual, $0.expected.data, tolerance: $0.tolerance), $0.expected.shape) }
            if let extra { problems += extra(c, out, inputs) }
            problems += comparisons.filter { !$0.1.passed }.map { phase, r, shape in "\(phase): \(r.describe(shape: shape))" }
            if problems.isEmpty {
                let worstCase = comparisons.map(\.1.maxAbsDiffOfScale).max() ?? 0
                lines.append("ok   \(c.name) [\(c.op)] \(results.count) checks, max|a−b|/max|ref| \(Comparison.sci(worstCase))")
            } else {
                failed += 1
                for problem in problems {
                    let line = "FAIL \(c.name) [\(c.op)] \(problem)"
                    lines.append(line)
                    XCTFail(line)
                }
            }
        }
        print("GoldenOps \(stem): \(index.cases.count - failed)/\(index.cases.count) cases match PyTorch (\(index.generator)); worst max|a−b|/max|ref| \(Comparison.sci(worst))")
        print("mutation \(stem): \(caught) of \(compared) compared tensors catch both perturbations")
        print(lines.joined(separator: "\n"))
    }
}
