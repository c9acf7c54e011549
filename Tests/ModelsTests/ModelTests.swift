import XCTest
@testable import Models
import TensorCore

final class LinearSGDTests: XCTestCase {
    /// The seed's loop: autograd and hand-derived gradients agree at every step, and 10,000
    /// steps at lr 1e-3 bring a ≈ 3, b ≈ 8 with the loss falling from tens to about 0.1.
    func testAutogradMatchesHandDerivedAndConverges() {
        let rng = SeededGenerator(seed: 1)
        let (x, y) = LinearSGD.fakeData(n: 2_000, a: 3, b: 8, rng: rng)
        var losses: [Float] = []
        var worst: Float = 0
        let (a, b) = LinearSGD.train(x: x, y: y, a0: rng.normal(), b0: rng.normal(), lr: 1e-3, iterations: 10_000) { s in
            losses.append(s.loss)
            // Relative agreement (gradients start around 10–20 in magnitude).
            worst = max(worst, abs(s.autogradDA - s.handDA) / max(1, abs(s.handDA)),
                        abs(s.autogradDB - s.handDB) / max(1, abs(s.handDB)))
        }
        XCTAssertLessThan(worst, 1e-5)
        XCTAssertGreaterThan(losses[0], 10)
        XCTAssertLessThan(losses.last!, 0.15)
        XCTAssertEqual(a, 3, accuracy: 0.3)
        XCTAssertEqual(b, 8, accuracy: 0.2)
    }

    func testHandTrajectoryStartsAtTheGuessAndImproves() {
        let (x, y) = LinearSGD.fakeData(n: 50, rng: SeededGenerator(seed: 3))
        let path = LinearSGD.handTrajectory(x: x, y: y)
        XCTAssertEqual(path.count, 20)
        XCTAssertEqual(path[0].a, -1)
        XCTAssertEqual(path[0].b, 1)
        XCTAssertLessThan(path.last!.loss, path[0].loss / 4)
    }
}

final class CharModelTests: XCTestCase {
    let config = CharModelConfig(vocabSize: 11, nFac: 4, nHidden: 6)

    func batch(_ rows: Int, _ cols: Int) -> Tensor {
        Tensor(shape: [rows, cols], data: (0..<(rows * cols)).map { Float(($0 * 7 + 3) % 11) }, label: "x")
    }

    func testOutputShapesAndDistributions() {
        let rng = SeededGenerator(seed: 5)
        let models: [CharModel] = [Char3Model(config, rng: rng), CharLoopModel(config, rng: rng),
                                   CharLoopConcatModel(config, rng: rng), CharRnn(config, rng: rng)]
        for m in models {
            let out = m.forward(batch(4, m is Char3Model ? 3 : 8))
            XCTAssertEqual(out.shape, [4, 11], m.kind)
            // Each row is a log-distribution over the vocabulary.
            for r in 0..<4 {
                let total = (0..<11).reduce(Float(0)) { $0 + Foundation.exp(out.data[r * 11 + $1]) }
                XCTAssertEqual(total, 1, accuracy: 1e-5, m.kind)
            }
        }
        let seq = CharSeqRnn(config, rng: rng).forward(batch(4, 8))
        XCTAssertEqual(seq.shape, [8, 4, 11])
    }

    /// PyTorch 0.3's implicit dim on a 3-D tensor was 0: each (batch, vocab) column sums to one
    /// over the 8 time steps, while in vocab mode each (time, batch) row sums to one.
    func testLegacySoftmaxNormalisesOverTime() {
        let x = batch(2, 8)
        let legacy = CharSeqRnn(config, softmax: .legacy, rng: SeededGenerator(seed: 9)).forward(x)
        let correct = CharSeqRnn(config, softmax: .vocab, rng: SeededGenerator(seed: 9)).forward(x)
        func at(_ t: Tensor, _ s: Int, _ b: Int, _ v: Int) -> Float { Foundation.exp(t.data[(s * 2 + b) * 11 + v]) }
        XCTAssertEqual((0..<8).reduce(Float(0)) { $0 + at(legacy, $1, 1, 3) }, 1, accuracy: 1e-5)
        XCTAssertEqual((0..<11).reduce(Float(0)) { $0 + at(correct, 2, 1, $1) }, 1, accuracy: 1e-5)
        XCTAssertNotEqual((0..<11).reduce(Float(0)) { $0 + at(legacy, 2, 1, $1) }, 1, accuracy: 1e-2)
    }

    /// Char3 applies l_in three times: its gradient is the sum of three backward contributions,
    /// each its own event in the trace.
    func testChar3SharedWeightGetsThreeContributions() {
        let m = Char3Model(config, rng: SeededGenerator(seed: 2))
        let sink = MemorySink()
        Tracer.recording(level: .full, to: sink) {
            let x = batch(5, 3)
            let y = Tensor(shape: [5], data: [1, 2, 3, 4, 5], label: "y")
            m.loss(m.forward(x), y).backward()
        }
        let w = m.l_in.weight
        let contributions = sink.events.filter { $0.phase == .backward }.flatMap { e in e.outputs.filter { $0.id == w.id } }
        XCTAssertEqual(contributions.count, 3)
        var sum = [Float](repeating: 0, count: w.count)
        for c in contributions { for i in 0..<sum.count { sum[i] += c.values![i] } }
        for i in 0..<sum.count { XCTAssertEqual(sum[i], w.grad![i], accuracy: 1e-6) }
        // Labels a learner recognises, in forward order.
        let labels = sink.events.filter { $0.phase == .forward }.map(\.label)
        for l in ["e(c1)", "l_in(e(c1))", "h+in1", "l_hidden(h+in1)", "l_hidden(h1+in2)", "l_out(h3)", "log_softmax(l_out(h3))", "in1", "h3", "loss"] {
            XCTAssertTrue(labels.contains(l), "missing label \(l) in \(labels)")
        }
    }

    func testAdamUpdatesEmitOneEventPerParameter() {
        let m = CharLoopModel(config, rng: SeededGenerator(seed: 4))
        let opt = Adam(m.parameters, lr: 1e-2)
        let sink = MemorySink()
        Tracer.recording(level: .summary, to: sink) {
            m.loss(m.forward(batch(3, 8)), Tensor(shape: [3], data: [1, 2, 3])).backward()
            opt.step()
        }
        let updates = sink.events.filter { $0.phase == .update }
        XCTAssertEqual(updates.map(\.label), m.parameters.map(\.name))
        XCTAssertTrue(updates.allSatisfy { $0.op == "adam" })
    }

    func testGenerationRejectsUnknownCharacters() {
        let corpus = Corpus(text: "for those who know")
        let m = CharRnn(CharModelConfig(vocabSize: corpus.vocabSize, nFac: 3, nHidden: 5), rng: SeededGenerator(seed: 1))
        XCTAssertEqual(try Generator.nextN(m, corpus: corpus, prompt: "for thos", count: 5).count, 13)
        XCTAssertThrowsError(try Generator.next(m, corpus: corpus, prompt: "for thoZ"))
    }
}
