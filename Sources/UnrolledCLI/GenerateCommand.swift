import ArgumentParser
import Foundation
import LessonEngine
import Models

struct Generate: ChecksInputs {
    static let configuration = CommandConfiguration(
        abstract: "Generate text with trained weights (the seed's get_next_n: argmax, sliding window).",
        discussion: "Without --temperature or --top-k the next character is the most likely one, as in the seed (argmax). With them it is drawn from the model's distribution, reshaped: the temperature divides the log-probabilities, --top-k keeps the k most likely; --seed repeats a draw.")

    @OptionGroup var trained: TrainedWeightsOptions

    @Option(name: .long, help: "The text to continue.")
    var prompt: String = "for thos"

    @Option(name: .short, parsing: .unconditional, help: "How many characters to add (0…100000).")
    var n: Int = 40

    @Option(name: .long, help: "Sample with this temperature (> 0; 1 = the model's own distribution) instead of argmax.")
    var temperature: Float?

    @Option(name: .long, help: "Sample among the K most likely characters only.")
    var topK: Int?

    @Flag(name: .long, help: "Print each step's five most likely characters with their probabilities.")
    var showProbabilities = false

    @OptionGroup var options: LessonOptions

    /// Each new character runs the model over the whole window, so the work is prompt × n.
    static let maxPrompt = 1024
    static let maxWork = 4_000_000

    func validate() throws {
        guard (0...100_000).contains(n) else { throw ValidationError("-n must be between 0 and 100000, got \(n)") }
        if let temperature, !(temperature.isFinite && temperature > 0 && temperature <= 100) {
            throw ValidationError("--temperature must be a number > 0 and ≤ 100, got \(temperature)")
        }
        if let topK, !(1...100_000).contains(topK) { throw ValidationError("--top-k must be at least 1, got \(topK)") }
        let length = prompt.unicodeScalars.count
        guard length <= Generate.maxPrompt else {
            throw ValidationError("--prompt is \(length) characters; at most \(Generate.maxPrompt) (the model reads the whole prompt for every character it adds)")
        }
        guard length * n <= Generate.maxWork else {
            throw ValidationError("--prompt of \(length) characters × -n \(n) is \(length * n) character steps; at most \(Generate.maxWork) (shorten the prompt or lower -n)")
        }
    }

    /// The lesson, which must have a text model, and the options it runs with.
    func checkInputs() throws -> (lesson: Lesson, options: RunOptions) {
        let lesson = try catalog().lesson(trained.lesson)
        guard lesson.model != .linearSGD && !lesson.model.isRatings else { throw InputError("lesson \(lesson.id) has no text model to generate with") }
        return (lesson, try options.runOptions())
    }

    func run() throws {
        try reportingErrors(interruptible: true) {
            let (lesson, runOptions) = try checkInputs()
            let runner = LessonRunner(lesson: lesson, options: runOptions)
            let corpus = try Corpus.load(path: CorpusLocator.resolve(options.corpus))
            let model = runner.makeModel(vocabSize: corpus.vocabSize)
            try Weights.load(trained.weights, into: model)
            guard temperature != nil || topK != nil || showProbabilities else {
                say(try Generator.nextN(model, corpus: corpus, prompt: prompt, count: n))
                return
            }
            // --show-probabilities alone shows argmax's choices: temperature → 0 is argmax, top-1.
            let sampling = Sampling(temperature: temperature ?? 1, topK: temperature == nil && topK == nil ? 1 : topK, seed: options.seed)
            if showProbabilities {
                say("each step: the window → its five most likely next characters, probabilities after temperature \(sampling.temperature)"
                    + (sampling.topK.map { " and top-\($0)" } ?? "") + "; the one drawn")
            }
            let text = try Generator.sample(model, corpus: corpus, prompt: prompt, count: n, sampling: sampling) { step in
                guard showProbabilities else { return }
                let offered = step.top.map { "\(Self.visible($0.character)) \(String(format: "%.3f", $0.probability))" }
                say("'\(step.window.map { Self.visible(String($0)) }.joined())' → \(offered.joined(separator: "  ")); picked \(Self.visible(step.picked))")
            }
            say(text)
        }
    }

    /// Whitespace shown as a symbol in the probability table.
    static func visible(_ c: String) -> String {
        switch c {
        case "\n": return "⏎"
        case " ": return "␣"
        default: return c
        }
    }
}
