// Every TensorCore primitive against PyTorch: tools/golden/make_golden.py ran each case in
// PyTorch and stored inputs, output, an upstream gradient and each input's gradient in
// Fixtures/ops.safetensors, listed by Fixtures/ops.json. Here each case runs through the Swift
// op, backward is seeded with the same upstream gradient, and every number goes through the
// one comparison helper. One printed line per case.

import Foundation
import XCTest
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
    }

    struct MissingAttribute: Error, CustomStringConvertible {
        let description: String
    }

    static func fixture(_ name: String, _ ext: String) throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures"),
                      "Fixtures/\(name).\(ext) missing: run tools/golden/make_golden.py")
    }

    static func load() throws -> (Index, [String: Tensor]) {
        let index = try JSONDecoder().decode(Index.self, from: Data(contentsOf: fixture("ops", "json")))
        let tensors = try SafeTensors.read(fixture("ops", "safetensors"))
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

    func testEveryOpMatchesPyTorch() throws {
        let (index, tensors) = try Self.load()
        func fixture(_ key: String) throws -> Tensor {
            try XCTUnwrap(tensors[key], "ops.safetensors has no tensor \(key)")
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
        print("GoldenOps: \(index.cases.count - failed)/\(index.cases.count) cases match PyTorch (\(index.generator)); worst max|a−b|/max|ref| \(Comparison.sci(worst))")
        print("mutation ops: \(caught) of \(compared) compared tensors catch both perturbations")
        print(lines.joined(separator: "\n"))
    }
}
