import Foundation
import XCTest
@testable import Models
import Formats
import TensorCore
import UnrolledTestSupport

/// Weights PyTorch wrote (model.state_dict() through safetensors, tools/golden/make_state_dicts.py)
/// load through the path `--weights` uses and give PyTorch's loss and PyTorch's greedy text.
final class StateDictTests: XCTestCase {
    struct Expected: Decodable {
        struct Model: Decodable { let loss: Float; let prompt: String?; let n: Int?; let text: String? }
        let rows: [Int]
        let models: [String: Model]
    }

    static let models: [(name: String, layout: Layout, make: @Sendable (CharModelConfig) -> CharModel)] = [
        ("char3", .char3, { Char3Model($0) }),
        ("char_loop", .windows, { CharLoopModel($0) }),
        ("char_loop_concat", .windows, { CharLoopConcatModel($0) }),
        ("char_rnn", .windows, { CharRnn($0) }),
        ("char_seq_rnn", .sequences, { CharSeqRnn($0, softmax: .vocab) }),
        ("char_seq_rnn_legacy", .sequences, { CharSeqRnn($0, softmax: .legacy) }),
    ]

    func url(_ name: String, _ ext: String) throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/state_dicts/\(name)", withExtension: ext),
                      "Fixtures/state_dicts/\(name).\(ext) missing: run tools/golden/make_state_dicts.py")
    }

    func testPyTorchWeightsGivePyTorchsLossAndText() throws {
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url("expected", "json")))
        let corpus = try Corpus.load(path: try TestCorpus.path())
        let config = CharModelConfig(vocabSize: corpus.vocabSize, nFac: 42, nHidden: 256)
        var batches: [Layout: (x: Tensor, y: Tensor)] = [:]
        for (name, layout, make) in Self.models {
            let want = try XCTUnwrap(expected.models[name], name)
            let model = make(config)
            try Weights.load(try url(name, "safetensors").path, into: model)
            if batches[layout] == nil {
                let data = CharDataset(idx: corpus.idx, layout: layout, seqLength: layout == .char3 ? 3 : 8)
                batches[layout] = data.batch(Array(expected.rows[0]..<expected.rows[1])[...])
            }
            let (x, y) = batches[layout]!
            let loss = GradMode.noGrad { model.loss(model.forward(x), y).item }
            let c = Comparison.of([loss], [want.loss], tolerance: GoldenTolerance.forward)
            XCTAssertTrue(c.passed, "\(name): loss \(loss) against PyTorch's \(want.loss): \(c)")
            if let prompt = want.prompt, let n = want.n, let text = want.text {
                XCTAssertEqual(try Generator.nextN(model, corpus: corpus, prompt: prompt, count: n), text, "\(name): greedy text")
            }
        }
    }

    /// save → load gives back every tensor bit for bit, under the same names.
    func testSaveThenLoadIsIdentical() throws {
        let dir = NSTemporaryDirectory() + "unrolled-weights-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, _, make) in Self.models {
            let config = CharModelConfig(vocabSize: 85, nFac: 42, nHidden: 256)
            let trained = make(config)
            try Weights.load(try url(name, "safetensors").path, into: trained)
            let path = dir + "/\(name).safetensors"
            try Weights.save(trained, to: path)
            let loaded = make(config)
            try Weights.load(path, into: loaded)
            XCTAssertEqual(trained.parameters.map(\.name), loaded.parameters.map(\.name), name)
            for (a, b) in zip(trained.parameters, loaded.parameters) {
                XCTAssertEqual(a.tensor.shape, b.tensor.shape, "\(name).\(a.name)")
                XCTAssertEqual(a.tensor.data.map(\.bitPattern), b.tensor.data.map(\.bitPattern), "\(name).\(a.name)")
            }
            // And the file is PyTorch's layout: the same names and shapes as the state_dict it came from.
            let mine = try SafeTensors.read(URL(fileURLWithPath: path))
            let theirs = try SafeTensors.read(try url(name, "safetensors"))
            XCTAssertEqual(Set(mine.keys), Set(theirs.keys), name)
            for (k, t) in theirs { XCTAssertEqual(mine[k]?.shape, t.shape, "\(name).\(k)") }
        }
    }

    /// Sampling: top-1 is the seed's argmax (PyTorch's text), a seed repeats a draw, the
    /// distribution offered sums to 1 and is what the text drew from.
    func testSamplingTopOneIsArgmaxAndASeedRepeatsADraw() throws {
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url("expected", "json")))
        let want = try XCTUnwrap(expected.models["char_rnn"])
        let corpus = try Corpus.load(path: try TestCorpus.path())
        let model = CharRnn(CharModelConfig(vocabSize: corpus.vocabSize, nFac: 42, nHidden: 256))
        try Weights.load(try url("char_rnn", "safetensors").path, into: model)
        let greedy = try Generator.sample(model, corpus: corpus, prompt: want.prompt!, count: want.n!, sampling: Sampling(topK: 1))
        XCTAssertEqual(greedy, want.text, "top-1 sampling is argmax")
        var steps: [Generator.Step] = []
        let a = try Generator.sample(model, corpus: corpus, prompt: "for thos", count: 30, sampling: Sampling(temperature: 1, seed: 7)) { steps.append($0) }
        let b = try Generator.sample(model, corpus: corpus, prompt: "for thos", count: 30, sampling: Sampling(temperature: 1, seed: 7))
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, greedy.prefix(38).description, "a temperature-1 draw of 30 characters left the argmax path")
        XCTAssertEqual(steps.count, 30)
        let p = try Generator.probabilities(model, corpus: corpus, prompt: "for thos")
        XCTAssertEqual(Double(p.reduce(0, +)), 1, accuracy: 1e-4)
        XCTAssertEqual(steps[0].top[0].probability, p.max()!, accuracy: 1e-6)
        // Temperature sharpens: at 0.5 the top character's share grows.
        XCTAssertGreaterThan(Sampling(temperature: 0.5).reshape(p).max()!, p.max()!)
        // top-k keeps k characters.
        XCTAssertEqual(Sampling(topK: 3).reshape(p).filter { $0 > 0 }.count, 3)
    }
}
