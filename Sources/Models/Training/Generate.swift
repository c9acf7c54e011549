import TensorCore

/// Text generation as in the seed: `get_next` feeds the prompt's characters as c1…ck and takes
/// the argmax; `get_next_n` slides a window of the prompt's length along the growing text.
public enum Generator {
    public static func next(_ model: CharModel, corpus: Corpus, prompt: String) throws -> String {
        guard !model.predictsSequence else {
            throw InputError("generation follows the seed's get_next, which is for Char3Model, CharLoopModel, CharLoopConcatModel and CharRnn; \(model.kind) predicts a sequence")
        }
        let idx = try corpus.encode(prompt)
        if model is Char3Model, idx.count != 3 {
            throw InputError("prompt: Char3Model reads exactly 3 characters, got \(idx.count)")
        }
        guard !idx.isEmpty else { throw InputError("prompt: empty, expected at least one character") }
        let out = GradMode.noGrad { () -> Tensor in
            let x = Tensor(shape: [1, idx.count], data: idx.map(Float.init), label: "x")
            return model.forward(x).argmax(axis: 1)
        }
        return corpus.decode([Int(out.data[0])])
    }

    public static func nextN(_ model: CharModel, corpus: Corpus, prompt: String, count: Int) throws -> String {
        var result = prompt
        var window = prompt
        for _ in 0..<count {
            let c = try next(model, corpus: corpus, prompt: window)
            result += c
            window = String(window.unicodeScalars.dropFirst()) + c
        }
        return result
    }
}
