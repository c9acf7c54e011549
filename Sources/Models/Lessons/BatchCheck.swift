import TensorCore

extension CharModel {
    /// Check a batch read from a file (a golden fixture) before it reaches `forward`, whose
    /// preconditions would otherwise stop the process: x is [batch, chars] (chars = 3 for
    /// Char3Model), y is [batch] or, for a sequence model, [batch, chars]; every value is a
    /// whole number naming a character of the vocabulary.
    public func checkBatch(x: Tensor, y: Tensor, source: String) throws {
        func fail(_ what: String) -> InputError { InputError("\(source): \(what)") }
        guard x.rank == 2, x.shape[0] >= 1, x.shape[1] >= 1 else {
            throw fail("input.x has shape \(x.shape), expected [batch, characters] with both at least 1")
        }
        if self is Char3Model, x.shape[1] != 3 {
            throw fail("input.x has shape \(x.shape), expected [batch, 3] for Char3Model")
        }
        let expectedY = predictsSequence ? x.shape : [x.shape[0]]
        guard y.shape == expectedY else { throw fail("input.y has shape \(y.shape), expected \(expectedY)") }
        let vocab = config.vocabSize
        for (name, t) in [("input.x", x), ("input.y", y)] {
            if let i = t.data.firstIndex(where: { !($0.isFinite && $0 == $0.rounded() && $0 >= 0 && $0 < Float(vocab)) }) {
                throw fail("\(name)[\(i)] is \(t.data[i]), expected a character index: a whole number from 0 to \(vocab - 1)")
            }
        }
    }
}
