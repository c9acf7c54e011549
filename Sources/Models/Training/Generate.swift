import Foundation
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
        for k in 0..<count {
            try Interruption.check(while: "generating character \(k + 1) of \(count)")
            let c = try next(model, corpus: corpus, prompt: window)
            result += c
            window = String(window.unicodeScalars.dropFirst()) + c
        }
        return result
    }

    /// The model's probability of every character following `prompt` (exp of its log_softmax).
    public static func probabilities(_ model: CharModel, corpus: Corpus, prompt: String) throws -> [Float] {
        guard !model.predictsSequence else {
            throw InputError("sampling follows the seed's get_next, which is for Char3Model, CharLoopModel, CharLoopConcatModel and CharRnn; \(model.kind) predicts a sequence")
        }
        let idx = try corpus.encode(prompt)
        guard !idx.isEmpty else { throw InputError("prompt: empty, expected at least one character") }
        if model is Char3Model, idx.count != 3 { throw InputError("prompt: Char3Model reads exactly 3 characters, got \(idx.count)") }
        let logp = GradMode.noGrad { model.forward(Tensor(shape: [1, idx.count], data: idx.map(Float.init), label: "x")) }
        return logp.data.map { Foundation.exp($0) }
    }

    /// One step of sampled generation: what the model offered and what was drawn.
    public struct Step {
        /// The window the model read.
        public let window: String
        /// The most likely characters with their probabilities, most likely first.
        public let top: [(character: String, probability: Float)]
        public let picked: String
    }

    /// `count` characters drawn from the model's distribution reshaped by `sampling`, sliding
    /// the window as `nextN` does; `observe` sees each step.
    public static func sample(_ model: CharModel, corpus: Corpus, prompt: String, count: Int, sampling: Sampling,
                              observe: (Step) -> Void = { _ in }) throws -> String {
        var result = prompt
        var window = prompt
        for k in 0..<count {
            try Interruption.check(while: "generating character \(k + 1) of \(count)")
            let p = sampling.reshape(try probabilities(model, corpus: corpus, prompt: window))
            let i = sampling.draw(p)
            let c = corpus.decode([i])
            let top = p.indices.sorted { p[$0] > p[$1] }.prefix(5).map { (corpus.decode([$0]), p[$0]) }
            observe(Step(window: window, top: top, picked: c))
            result += c
            window = String(window.unicodeScalars.dropFirst()) + c
        }
        return result
    }
}

/// How a character is drawn from the model's probabilities: `temperature` divides the log
/// probabilities (below 1 sharpens towards argmax, above 1 flattens), `topK` keeps only the k
/// most likely; the draw comes from a seeded generator, so a seed repeats a text.
public struct Sampling {
    public var temperature: Float
    public var topK: Int?
    public let rng: SeededGenerator

    public init(temperature: Float = 1, topK: Int? = nil, seed: UInt64 = 42) {
        self.temperature = temperature
        self.topK = topK
        rng = SeededGenerator(seed: seed)
    }

    /// p_i^(1/T), the top k kept, renormalised.
    public func reshape(_ p: [Float]) -> [Float] {
        var q = p.map { Foundation.pow(Double($0), 1 / Double(temperature)) }
        if let k = topK, k < q.count {
            let threshold = q.sorted(by: >)[k - 1]
            var kept = 0
            for i in q.indices { if q[i] >= threshold && kept < k { kept += 1 } else { q[i] = 0 } }
        }
        let total = q.reduce(0, +)
        return q.map { Float($0 / total) }
    }

    /// An index drawn with probability p_i (inverse CDF of one uniform draw).
    public func draw(_ p: [Float]) -> Int {
        let u = Double(rng.unit())
        var cumulative = 0.0
        for (i, x) in p.enumerated() {
            cumulative += Double(x)
            if u < cumulative { return i }
        }
        return p.lastIndex { $0 > 0 } ?? 0
    }
}
