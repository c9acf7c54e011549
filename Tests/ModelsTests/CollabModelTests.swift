import Foundation
import XCTest
@testable import Models
import Formats
import TensorCore

/// EmbeddingDotBias against PyTorch (Fixtures/golden/collab*.safetensors, from
/// tools/golden/make_collab_golden.py), Adam's weight decay, SGDR's schedule, and the PCA.
final class CollabModelTests: XCTestCase {
    func fixture(_ name: String) throws -> SafeTensorsFile {
        guard let url = Bundle.module.url(forResource: "Fixtures/golden/\(name)", withExtension: "safetensors") else {
            XCTFail("fixture \(name).safetensors missing"); throw XCTSkip("missing")
        }
        return try SafeTensors.readFile(url)
    }

    func testEveryIntermediateGradientAndAdamStepMatchesPyTorch() throws {
        let f = try fixture("collab")
        let rows = try CollabGolden.run(fixture: f.tensors, source: "collab.safetensors")
        let expected = f.tensors.keys.filter { $0.hasPrefix("fwd.") || $0.hasPrefix("grad.") || $0.hasPrefix("adam3.") || $0 == "loss" }.count
        XCTAssertEqual(rows.count, expected, "every fixture tensor is compared")
        XCTAssertEqual(expected, 9 + 9 + 1 + 4 + 4, "9 intermediates, their gradients, the loss, 4 parameter gradients, 4 Adam results")
        // Every compared tensor must fail against a 1%-perturbed reference (the rules can catch an error).
        for row in rows {
            guard let actual = row.actual else { continue }
            let wrong = Perturbation.allCases.map { Comparison.of(actual, $0.apply(row.expected.data), tolerance: row.tolerance, slack: row.slack) }
            XCTAssertTrue(wrong.contains { !$0.passed }, "\(row.label) (\(row.phase)) passes every perturbed reference")
        }
        if let bad = rows.first(where: { !$0.passed }) { XCTFail("first divergence at '\(bad.label)' (\(bad.phase)): \(bad.comparison)") }
    }

    /// The fixture's batch is rows of the synthetic set as Python's proc_col and get_cv_idxs
    /// numbered them: the Swift data path must pick the same rows.
    func testFixtureBatchIsTheDatasetsFirstTrainingRows() throws {
        let f = try fixture("collab")
        let cf = CollabFilterDataset(try SyntheticMovieLens(.small()).movieLens)
        let (u, i, y) = cf.batch(cf.cvSplit().train.prefix(64))
        XCTAssertEqual(u.data, f.tensors["input.users"]!.data)
        XCTAssertEqual(i.data, f.tensors["input.items"]!.data)
        XCTAssertEqual(y.data, f.tensors["input.y"]!.data)
        XCTAssertEqual(f.tensors["input.score_range"]!.data, [cf.minScore, cf.maxScore])
    }

    func testPyTorchStateDictLoadsAndGivesPyTorchsValidationLoss() throws {
        let url = Bundle.module.url(forResource: "Fixtures/golden/collab_state_dict", withExtension: "safetensors")!
        let file = try SafeTensors.readFile(url)
        XCTAssertEqual(Set(file.tensors.keys), ["u.weight", "i.weight", "ub.weight", "ib.weight"])
        let cf = CollabFilterDataset(try SyntheticMovieLens(.small()).movieLens)
        let model = EmbeddingDotBias(cf, nFactors: file.tensors["u.weight"]!.shape[1])
        try Weights.load(url.path, into: model)
        let trainer = CollabTrainer(model: model, data: cf, split: cf.cvSplit())
        let expected = Float(file.metadata["valid_loss"]!)!
        XCTAssertEqual(trainer.validate(), expected, accuracy: 1e-5 * expected)
    }

    func testForwardIsTheSeedsFormulaOnHandPickedWeights() {
        let m = EmbeddingDotBias(nFactors: 2, nUsers: 2, nItems: 2, minScore: 0.5, maxScore: 5)
        m.u.weight.assign([0.1, -0.2, 0.3, 0.4]); m.i.weight.assign([0.5, 0.6, -0.7, 0.8])
        m.ub.weight.assign([0.01, -0.02]); m.ib.weight.assign([0.03, 0.04])
        let pred = m.forward(users: Tensor([1, 0], label: "users"), items: Tensor([0, 1], label: "items"))
        // user 1 · item 0: 0.3·0.5 + 0.4·0.6 − 0.02 + 0.03 = 0.40; user 0 · item 1: −0.07 − 0.16 + 0.01 + 0.04 = −0.18
        for (k, res) in [0.40, -0.18].enumerated() {
            XCTAssertEqual(Double(pred.data[k]), 1 / (1 + exp(-res)) * 4.5 + 0.5, accuracy: 1e-6)
        }
        let fresh = EmbeddingDotBias(nFactors: 50, nUsers: 30, nItems: 40, minScore: 0.5, maxScore: 5, rng: SeededGenerator(seed: 3))
        for (_, p) in fresh.parameters {
            XCTAssertTrue(p.data.allSatisfy { abs($0) <= 0.05 }, "get_emb: U(-0.05, 0.05)")
            XCTAssertGreaterThan(p.data.map(abs).max()!, 0.04)
        }
        XCTAssertEqual(fresh.parameters.map(\.name), ["u.weight", "i.weight", "ub.weight", "ib.weight"])
    }

    /// A negative gradient with enough weight decay flips the step: g + wd·p = −0.05 + 0.1·1 > 0.
    func testAdamWeightDecayIsL2AddedToTheGradient() {
        for (wd, after) in [(Float(0), Float(1.01)), (0.1, 0.99)] {
            let p = Tensor(shape: [1], data: [1], label: "w", requiresGrad: true)
            (p * -0.05).sum().backward()
            let adam = Adam([("w", p)], lr: 0.01, weightDecay: wd)
            adam.step()
            XCTAssertEqual(p.data[0], after, accuracy: 1e-6, "wd \(wd)")
        }
    }

    /// fastai 0.7's CosAnneal, 40 batches per epoch, cycle_mult 2: lr/100 for the first nb/20
    /// batches, then (cos(π·t/nb) + 1)/2 of lr, restarting at 1 after each cycle.
    func testCosineAnnealingFollowsFastai() {
        var s = CosineAnnealing(batchesPerEpoch: 40, cycleLen: 1, cycleMult: 2)
        let lrs = (0..<121).map { _ in s.next(base: 1) }
        XCTAssertEqual(lrs[0], 0.01); XCTAssertEqual(lrs[1], 0.01)
        XCTAssertEqual(lrs[2], 0.99384417, accuracy: 1e-6)
        XCTAssertEqual(lrs[39], 0.00154133, accuracy: 1e-7)
        XCTAssertEqual(lrs[40], 1, "restart")
        XCTAssertEqual(lrs[60], 0.85355339, accuracy: 1e-6, "second cycle is 80 batches long")
        XCTAssertEqual(lrs[119], 0.00038548, accuracy: 1e-7)
        XCTAssertEqual(lrs[120], 1)
        XCTAssertEqual(CosineAnnealing.epochs(cycles: 2, cycleLen: 1, cycleMult: 2), 3)
        XCTAssertEqual(CosineAnnealing.epochs(cycles: 3, cycleLen: 2, cycleMult: 2), 14)
    }

    func testPCAMatchesNumpysSVDWithSklearnsSigns() throws {
        let f = try fixture("collab")
        let x = f.tensors["pca.x"]!
        let pca = try PCA(samplesByFeatures: x.data, rows: x.shape[0], cols: x.shape[1], components: 3)
        let c = Comparison.of(pca.components.flatMap { $0 }, f.tensors["pca.components"]!.data, tolerance: Tolerance(rtol: 1e-5, atolOfMax: 1e-5))
        XCTAssertTrue(c.passed, "components: \(c)")
        let r = Comparison.of(pca.explainedVarianceRatio.map(Float.init), f.tensors["pca.ratio"]!.data, tolerance: Tolerance(rtol: 1e-5, atolOfMax: 1e-6))
        XCTAssertTrue(r.passed, "explained variance ratio: \(r)")
        XCTAssertThrowsError(try PCA(samplesByFeatures: [1, 2], rows: 1, cols: 2, components: 1))
    }

    func testSpearmanUsesAverageRanks() {
        XCTAssertEqual(Correlation.ranks([10, 20, 20, 5]), [2, 3.5, 3.5, 1])
        XCTAssertEqual(Correlation.spearman([1, 2, 3, 4], [10, 100, 1000, 10000]), 1, accuracy: 1e-12)
        XCTAssertEqual(Correlation.spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1, accuracy: 1e-12)
        // scipy.stats.spearmanr([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) = 0.8
        XCTAssertEqual(Correlation.spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]), 0.8, accuracy: 1e-12)
    }

    /// A short SGDR fit on the small synthetic set learns something: validation MSE falls well
    /// below the untrained model's and the learned movie biases follow the planted ones.
    func testShortFitOnSyntheticDataLearnsThePlantedBiases() throws {
        var config = SyntheticMovieLens.Config.small(users: 60, movies: 50, ratings: 1200)
        config.noise = 0.2
        let set = try SyntheticMovieLens(config)
        let cf = CollabFilterDataset(set.movieLens)
        let model = EmbeddingDotBias(cf, nFactors: 8, rng: SeededGenerator(seed: 1))
        let trainer = CollabTrainer(model: model, data: cf, split: cf.cvSplit(), batchSize: 32, rng: SeededGenerator(seed: 1))
        let before = trainer.validate()
        var lrs: [Float] = []
        let results = try trainer.fit(SGDRSchedule(lr: 0.05, cycles: 3, cycleLen: 1, cycleMult: 2, weightDecay: 2e-4),
                                      optimizer: Adam(model.parameters, weightDecay: 2e-4)) { e in
            if case .batch(_, _, _, _, _, let lr) = e { lrs.append(lr) }
        }
        XCTAssertEqual(results.count, 7)
        XCTAssertEqual(lrs.count, 7 * trainer.batchesPerEpoch)
        XCTAssertLessThan(results.last!.validLoss, 0.6 * before, "before \(before), after \(results.last!.validLoss)")
        let interp = CollabInterpretation(model: model, data: cf, titles: set.titles, top: cf.nItems)
        let rho = Correlation.spearman(interp.movieBias.map(Double.init), interp.topMovies.map { Double(set.movieBias[$0]!) })
        XCTAssertGreaterThan(rho, 0.6)
    }
}
