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
        // A few rules in, past the loss's own scalar gradient.
        let backward = events.filter { $0.phase == .backward }[3]
        let index = graph.nodeIndex(forSeq: backward.seq)!
        XCTAssertEqual(graph.nodes[index].output.id, backward.inputs[0].id)
        let scene = graph.scene(highlight: backward.seq, showBackward: true)
        // The title names the position asked for, then the forward box it lights up.
        let node = graph.nodes[index]
        // …and the gradient flowing back into it, by its statistics.
        let title = try? XCTUnwrap(scene.texts.first { $0.string.contains("now: #\(backward.seq), backward through #\(node.seq) \(node.label): ∇ μ ") })
        XCTAssertNotNil(title, "\(scene.texts.map(\.string).filter { $0.contains("now:") })")
        XCTAssertTrue(title?.string.contains("‖·‖ ") ?? false)
    }

    /// An arrow that skips rows goes round the ops between, never through a box (the RNN's
    /// input projection feeding ih2 used to cross ih1).
    func testNoArrowRunsThroughABox() {
        let sink = MemorySink()
        Tracer.recording(level: .summary, to: sink) {
            let x = Tensor([0.5, -1, 2], label: "x").requiringGrad()
            let s = x.tanh().named("s")
            let p2 = s.relu().named("p1").tanh().named("p2")
            (s + p2).named("q").sum().named("loss").backward()
        }
        for events in [sink.events, Traces.charLoop(steps: 8)] {
            let scene = ComputationGraph(events: events).scene()
            let boxes = scene.groups(named: "op:").compactMap { group -> Rect? in
                if case .rect(let r, _, _)? = group.shapes.first { return r } else { return nil }
            }
            let arrows = scene.groups(named: "edges").first?.shapes ?? []
            var checked = 0
            for arrow in arrows {
                let points: [Point]
                switch arrow {
                case .polyline(let p, _, _):
                    points = zip(p, p.dropFirst()).flatMap { a, b in (1..<20).map { a + (b - a) * (Double($0) / 20) } }
                case .curve(let a, let c1, let c2, let b, _, _):
                    points = (1..<40).map { k -> Point in
                        let t = Double(k) / 40, u = 1 - t
                        return a * (u * u * u) + c1 * (3 * u * u * t) + c2 * (3 * u * t * t) + b * (t * t * t)
                    }
                default: continue
                }
                checked += 1
                for p in points {
                    let inside = boxes.first { r in let q = r.insetBy(2); return p.x > q.minX && p.x < q.maxX && p.y > q.minY && p.y < q.maxY }
                    XCTAssertNil(inside, "an arrow passes through the box at \(inside.map { "\($0)" } ?? "")")
                    if inside != nil { break }
                }
            }
            XCTAssertGreaterThan(checked, 3)
        }
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

    /// A label too long for its box is cut in the picture and whole in the SVG's hover text.
    func testCutLabelsKeepTheirFullTextOnHover() throws {
        let long = "log_softmax(l_out(outp[-1]))_and_more_to_cut"
        let sink = MemorySink()
        Tracer.recording(level: .summary, to: sink) {
            let x = Tensor([0.5, -1, 2], label: "x").requiringGrad()
            x.tanh().named(long).sum().named("loss").backward()
        }
        let urls = try DiagramWriter.writeComputationGraph(events: sink.events, to: outputDirectory("graph-hover"), name: "hover")
        let svg = try String(contentsOf: urls[0], encoding: .utf8)
        XCTAssertTrue(svg.contains("<title>#1 \(long)</title>"), String(svg.suffix(400)))
        XCTAssertFalse(svg.contains("<title>#2 loss</title>"), "a label that fits needs no hover text")
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
