// What an op's result is called when the model does not name it: the lesson's notation, built
// from its inputs' names (Ops/Primitive.swift, `autoLabel`).

import XCTest
@testable import TensorCore

final class LabelTests: XCTestCase {
    private func t(_ label: String, _ shape: [Int] = [2, 2]) -> Tensor {
        Tensor(shape: shape, data: [Float](repeating: 1, count: shape.reduce(1, *)), label: label)
    }

    func testArithmeticReadsAsTheLessonWritesIt() {
        let (a, x, b) = (t("a"), t("x"), t("b"))
        XCTAssertEqual((a * x).label, "a*x")
        XCTAssertEqual((a * x + b).label, "a*x+b")
        XCTAssertEqual((a - b).label, "a-b")
        XCTAssertEqual((a / b).label, "a/b")
        XCTAssertEqual((-a).label, "-a")
        XCTAssertEqual(a.matmul(x, transposeB: true).label, "a@x")
    }

    func testFunctionsListTheirInputsThenTheirAttributes() {
        let (h, y) = (t("h1+inp2"), t("y"))
        XCTAssertEqual(h.tanh().label, "tanh(h1+inp2)")
        XCTAssertEqual(h.mse(y).label, "mse(h1+inp2, y)")
        XCTAssertEqual(h.logSoftmax(axis: 1).label, "log_softmax(h1+inp2, axis=1)")
        XCTAssertEqual(t("outp", [3, 2]).select(axis: 0, index: 2).label, "outp[2,:]")
    }

    func testUnnamedAndOverlongInputsAreShortened() {
        XCTAssertEqual((t("") * t("x")).label, "·*x")
        let long = String(repeating: "é", count: 41)  // 82 UTF-8 bytes, 41 characters
        XCTAssertEqual(t(long).tanh().label, "tanh(…)")
        let forty = String(repeating: "é", count: 40)  // 80 bytes but only 40 characters: kept
        XCTAssertEqual(t(forty).tanh().label, "tanh(\(forty))")
    }

    /// Untraced ops that build a graph leave their labels to be made when first read
    /// (Node.label): nothing reads them as the op runs. Read later, they are the same text.
    func testUntracedGraphLabelsAreMadeWhenReadAndReadTheSame() {
        XCTAssertFalse(Tracer.isOn)
        let a = t("a", [1]).requiringGrad(), b = t("b", [1]).requiringGrad()
        let (x, y) = (t("x", [1]), t("y", [1]))
        let ax = a * x
        let yHat = (ax + b).named("lin(a,b,x)")
        let loss = yHat.mse(y)
        XCTAssertNil(ax.givenLabel)
        XCTAssertNil(ax.node?.givenLabel)
        XCTAssertNil(loss.node?.givenLabel)
        XCTAssertEqual(yHat.label, "lin(a,b,x)")
        XCTAssertEqual(loss.label, "mse(lin(a,b,x), y)")
        XCTAssertEqual(ax.label, "a*x")
        XCTAssertEqual(ax.node?.givenLabel, "a*x")
        // Traced, the same ops are labelled as they run, with the same text.
        let sink = MemorySink()
        let traced = Tracer.recording(level: .summary, to: sink) { (a * x + b).named("lin(a,b,x)").mse(y) }
        XCTAssertNotNil(traced.node?.givenLabel)
        XCTAssertEqual(traced.label, loss.label)
        XCTAssertEqual(sink.events.map(\.label), ["a*x", "lin(a,b,x)", "mse(lin(a,b,x), y)"])
    }

    /// A result named right after its op has the name in everything that reports it: its
    /// forward event (the op's own label kept as the expression), the next op's input, its
    /// backward event, an anomaly it caused, and the taps.
    func testAResultNamedAfterItsOpHasTheNameEverywhere() {
        let x = Tensor([1, -2, 3], label: "x").requiringGrad()
        let w = Tensor([2, 2, 2], label: "w")
        let sink = MemorySink()
        let (_, taps) = Taps.collect {
            Tracer.recording(level: .summary, to: sink) {
                let in1 = x.relu().named("in1")
                let h1 = (in1 * w).named("h1")
                h1.sum().backward()
            }
        }
        let forward = sink.events.filter { $0.phase == .forward }
        XCTAssertEqual(forward.map(\.label), ["in1", "h1", "sum(h1)"])
        XCTAssertEqual(forward.map(\.expression), ["relu(x)", "in1*w", ""])
        XCTAssertEqual(forward.map { $0.outputs[0].label }, ["in1", "h1", "sum(h1)"])
        XCTAssertEqual(forward[1].inputs.map(\.label), ["in1", "w"])
        XCTAssertEqual(sink.events.filter { $0.phase == .backward }.map(\.label), ["sum(h1)", "h1", "in1"])
        XCTAssertEqual(taps.order, ["x", "relu(x)", "in1", "w", "in1*w", "h1", "sum(h1)"])

        let (_, anomaly) = AnomalyMode.detecting { _ = x.log().named("log_x") }
        XCTAssertEqual(anomaly?.label, "log_x")
    }
}
