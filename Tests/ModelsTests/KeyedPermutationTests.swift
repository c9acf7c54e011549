import XCTest
@testable import Models
import TensorCore

/// Shuffles computed instead of stored (issue #24): large corpora's batch order and validation
/// rows in no memory, still a bijection, still the same on every run and across a resume.
final class KeyedPermutationTests: XCTestCase {
    func testEveryCountIsABijectionWithItsInverse() {
        for count in [1, 2, 3, 4, 5, 17, 100, 1000, 4097, 65_537] {
            let p = KeyedPermutation(count: count, key: 7)
            var seen = [Bool](repeating: false, count: count)
            for i in 0..<count {
                let v = p[i]
                XCTAssertTrue((0..<count).contains(v), "count \(count): \(i) → \(v)")
                XCTAssertFalse(seen[v], "count \(count): \(v) reached twice")
                seen[v] = true
                XCTAssertEqual(p.inverse(v), i, "count \(count)")
            }
        }
    }

    func testItShufflesAndTheKeyChoosesTheShuffle() {
        let n = 10_000
        let a = KeyedPermutation(count: n, key: 1), b = KeyedPermutation(count: n, key: 2)
        let fixed = (0..<n).filter { a[$0] == $0 }.count
        // A random permutation has about one fixed point; the identity would have n.
        XCTAssertLessThan(fixed, 10)
        XCTAssertLessThan((0..<n).filter { a[$0] == b[$0] }.count, 10)
        XCTAssertEqual((0..<n).map { a[$0] }, (0..<n).map { KeyedPermutation(count: n, key: 1)[$0] })
        // Neighbouring positions land far apart (a batch of consecutive places is spread out).
        let gaps = (0..<999).map { abs(a[$0 + 1] - a[$0]) }
        XCTAssertGreaterThan(gaps.reduce(0, +) / gaps.count, n / 5)
    }

    func testStoredOrdersAreTheTrainersOwnDrawsAndKeyedOnesTakeOneDraw() {
        let rng = SeededGenerator(seed: 42), reference = SeededGenerator(seed: 42)
        let stored = BatchOrder(count: 1000, rng: rng, storedLimit: 1000)
        XCTAssertTrue(stored.isStored)
        XCTAssertEqual((0..<1000).map { stored[$0] }, reference.permutation32(1000).map(Int.init))
        XCTAssertEqual(rng.state, reference.state)
        let keyed = BatchOrder(count: 1001, rng: rng, storedLimit: 1000)
        XCTAssertFalse(keyed.isStored)
        XCTAssertEqual(Set((0..<1001).map { keyed[$0] }).count, 1001)
        _ = reference.next()
        XCTAssertEqual(rng.state, reference.state, "a keyed order draws its key and nothing else")
    }

    func testAboveTheLimitTheValidationRowsAreAKeyedFifthAndEveryRowIsUsedOnce() {
        let exact = Split.cv(rows: 1200, n: 1000, storedLimit: 1000)
        XCTAssertEqual(exact.method, .numpyExact)
        XCTAssertEqual(exact.valid.map { $0 }, CVIndices.getCVIdxs(n: 1000))
        let keyed = Split.cv(rows: 1200, n: 1000, storedLimit: 999)
        XCTAssertEqual(keyed.method, .keyed)
        XCTAssertEqual(keyed.valid.count, 200)
        XCTAssertEqual(keyed.train.count, 1000)
        XCTAssertEqual(Set(keyed.valid.map { $0 } + keyed.train.map { $0 }), Set(0..<1200))
        XCTAssertTrue(keyed.valid.allSatisfy { $0 < 1000 }, "rows from n on always train, as in the seed")
        XCTAssertNotEqual(keyed.valid.map { $0 }, Array(0..<200))
        XCTAssertEqual(keyed.valid, Split.cv(rows: 1200, n: 1000, storedLimit: 999).valid, "the same rows on every run")
        XCTAssertEqual(exact.note, "")
        XCTAssertTrue(keyed.note.contains("a keyed 20% of rows, not numpy's get_cv_idxs"), keyed.note)
    }

    /// Two epochs in one call and one epoch then a resumed second (generator state restored, as a
    /// checkpoint does) end with the same weights bit for bit, with keyed batch orders.
    func testAKeyedOrderResumesBitForBit() throws {
        var text = ""
        while text.count < 3000 { text += "the will to power is a truth of free spirits. " }
        let corpus = Corpus(text: text)
        let data = CharDataset(idx: corpus.idx, layout: .windows, seqLength: 4)
        let split = Split.cv(rows: data.rows, n: data.rows, storedLimit: 100)
        XCTAssertEqual(split.method, .keyed)
        func trainer(_ rng: SeededGenerator) -> (Trainer, CharModel) {
            let model = CharRnn(CharModelConfig(vocabSize: corpus.vocabSize, nFac: 4, nHidden: 6), rng: SeededGenerator(seed: 3))
            var t = Trainer(model: model, data: data, split: split, batchSize: 64, rng: rng)
            t.storedOrderLimit = 100
            return (t, model)
        }
        let (whole, wholeModel) = trainer(SeededGenerator(seed: 5))
        try whole.fit(epochs: 2, optimizer: Adam(wholeModel.parameters, lr: 1e-2))

        let rng = SeededGenerator(seed: 5)
        let (first, model) = trainer(rng)
        let adam = Adam(model.parameters, lr: 1e-2)
        var position = FitPosition()
        try first.fit(epochs: 1, optimizer: adam, epochEnded: { position = $0 })
        let saved = rng.state
        let resumedRng = SeededGenerator(seed: 999)
        resumedRng.state = saved
        var second = Trainer(model: model, data: data, split: split, batchSize: 64, rng: resumedRng)
        second.storedOrderLimit = 100
        try second.fit(epochs: 2, optimizer: adam, from: position)
        for (a, b) in zip(wholeModel.parameters, model.parameters) {
            XCTAssertEqual(a.tensor.data, b.tensor.data, a.name)
        }
    }
}
