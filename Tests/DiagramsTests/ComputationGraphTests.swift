import Foundation
import XCTest
import TensorCore
@testable import Diagrams

/// Real traces, composed from TensorCore ops the way the lesson's models are written.
enum Traces {
    static let vocab = 10, factors = 4, hidden = 8, batch = 5

    struct Weights {
        let e = Tensor.normal([vocab, factors], std: 0.5, using: SeededGenerator(seed: 1), label: "e.weight").requiringGrad()
        let inW = Tensor.normal([hidden, factors], std: 0.5, using: SeededGenerator(seed: 2), label: "l_in.weight").requiringGrad()
        let inB = Tensor.zeros([hidden], label: "l_in.bias").requiringGrad()
        let hW = Tensor.normal([hidden, hidden], std: 0.3, using: SeededGenerator(seed: 3), label: "l_hidden.weight").requiringGrad()
        let hB = Tensor.zeros([hidden], label: "l_hidden.bias").requiringGrad()
        let outW = Tensor.normal([vocab, hidden], std: 0.3, using: SeededGenerator(seed: 4), label: "l_out.weight").requiringGrad()
        let outB = Tensor.zeros([vocab], label: "l_out.bias").requiringGrad()
    }

    static func chars(_ k: Int) -> Tensor {
        Tensor([Float]((0..<batch).map { Float(($0 * 3 + k * 7) % vocab) }), label: "c\(k)")
    }

    /// CharLoopModel's forward and backward over `steps` characters (Char3 when steps == 3).
    static func charLoop(steps: Int) -> [TraceEvent] {
        let sink = MemorySink()
        Tracer.recording(level: .summary, to: sink) {
            let w = Weights()
            var h = Tensor.zeros([batch, hidden], label: "h")
            for k in 1...steps {
                let inp = LabelScope.with("l_in(e(c\(k)))") {
                    Tensor.embedding(w.e, chars(k)).matmul(w.inW, transposeB: true) + w.inB
                }.relu().named("in\(k)")
                h = LabelScope.with("l_hidden(h+in\(k))") {
                    (h + inp).matmul(w.hW, transposeB: true) + w.hB
                }.tanh().named("h")
            }
            let out = LabelScope.with("l_out(h)") { h.matmul(w.outW, transposeB: true) + w.outB }
            let loss = out.logSoftmax(axis: 1).nllLoss(chars(steps + 1)).named("loss")
            loss.backward()
        }
        return sink.events
    }
}

final class ComputationGraphTests: XCTestCase {
    func testChar3GraphFollowsTensorIDs() throws {
        let events = Traces.charLoop(steps: 3)
        let forward = events.filter { $0.phase == .forward }
        let graph = ComputationGraph(events: events)
        XCTAssertEqual(graph.nodes.count, forward.count)
        XCTAssertGreaterThanOrEqual(forward.count, 25)
        // Every arrow joins an op to a later op that reads its result.
        for (f, t) in graph.edges {
            XCTAssertLessThan(graph.nodes[f].seq, graph.nodes[t].seq)
            let inputIDs = forward.first { $0.seq == graph.nodes[t].seq }!.inputs.map(\.id)
            XCTAssertTrue(inputIDs.contains(graph.nodes[f].output.id))
        }
        // Parameters are not ops; they are listed inside the ops that use them.
        XCTAssertTrue(graph.nodes.contains { $0.leafInputs.contains { $0.label == "l_in.weight" } })
        // After backward every op on the path to the loss knows its gradient.
        XCTAssertEqual(graph.nodes.filter { $0.grad == nil }.count, 0)
    }

    func testSceneIsLegibleAndHighlightsTheCurrentOp() throws {
        for steps in [3, 8] {
            let graph = ComputationGraph(events: Traces.charLoop(steps: steps))
            let current = graph.nodes[graph.nodes.count / 2].seq
            let scene = graph.scene(highlight: current, showBackward: true)
            XCTAssertEqual(scene.groups(named: "op:").count, graph.nodes.count)
            XCTAssertEqual(scene.overlappingTexts().map { "\($0.0.string) × \($0.1.string)" }, [], "steps \(steps)")
            XCTAssertEqual(scene.textsCoveringGroups(prefix: "op:").map { "\($0.text) on \($0.group)" }, [])
            // Highlighted box: a thicker orange outline, only one.
            let thick = scene.allShapes.filter {
                if case .rect(_, _, let s) = $0 { return s.lineWidth == 2.5 } else { return false }
            }
            XCTAssertEqual(thick.count, 1)
            XCTAssertTrue(scene.texts.contains { $0.string.hasPrefix("∇ μ") })
            XCTAssertLessThan(scene.width, 3000); XCTAssertLessThan(scene.height, 1400)
        }
    }

    func testBackwardSeqHighlightsItsForwardOp() {
        let events = Traces.charLoop(steps: 3)
        let graph = ComputationGraph(events: events)
        let backward = events.first { $0.phase == .backward }!
        let index = graph.nodeIndex(forSeq: backward.seq)!
        XCTAssertEqual(graph.nodes[index].output.id, backward.inputs[0].id)
        let scene = graph.scene(highlight: backward.seq, showBackward: true)
        // The title names the position asked for, then the forward box it lights up.
        let node = graph.nodes[index]
        XCTAssertTrue(scene.texts.contains { $0.string.hasSuffix("now: #\(backward.seq), backward through #\(node.seq) \(node.label)") },
                      "\(scene.texts.map(\.string).filter { $0.contains("now:") })")
    }

    func testUnusedResultSitsBesideItsProducer() {
        // nn.RNN returns its final hidden state, which nothing reads: drawn at the bottom, its
        // arrow would cross the whole column.
        let sink = MemorySink()
        Tracer.recording(level: .summary, to: sink) {
            let x = Tensor([0.5, -1, 2], label: "x").requiringGrad()
            let a = x.tanh().named("a")
            _ = a.relu().named("unused")
            a.tanh().tanh().sum().named("last").backward()
        }
        let graph = ComputationGraph(events: sink.events)
        let layers = Dictionary(uniqueKeysWithValues: zip(graph.nodes.map(\.label), graph.layers()))
        XCTAssertEqual(layers["unused"], layers["a"]! + 1)
        XCTAssertEqual(layers["last"], 3)
    }

    func testWriteGraphs() throws {
        let dir = outputDirectory("graph")
        let char3 = Traces.charLoop(steps: 3)
        let urls = try DiagramWriter.writeComputationGraph(events: char3, to: dir, name: "char3-step",
                                                           highlight: 10, showBackward: false)
        XCTAssertEqual(urls.map(\.lastPathComponent), ["char3-step.svg", "char3-step.png"])
        try DiagramWriter.writeComputationGraph(events: Traces.charLoop(steps: 8), to: dir, name: "charloop-step",
                                                highlight: 40, showBackward: true)
        XCTAssertThrowsError(try DiagramWriter.writeComputationGraph(events: [], to: dir, name: "empty"))
    }
}
