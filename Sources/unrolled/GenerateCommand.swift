import ArgumentParser
import LessonEngine
import Models

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate text with trained weights (the seed's get_next_n: argmax, sliding window).")

    @OptionGroup var trained: TrainedWeightsOptions

    @Option(name: .long, help: "The text to continue.")
    var prompt: String = "for thos"

    @Option(name: .short, parsing: .unconditional, help: "How many characters to add (0…100000).")
    var n: Int = 40

    @OptionGroup var options: LessonOptions

    func validate() throws {
        guard (0...100_000).contains(n) else { throw ValidationError("-n must be between 0 and 100000, got \(n)") }
    }

    func run() throws {
        try reportingErrors {
            let lesson = try catalog().lesson(trained.lesson)
            guard lesson.model != .linearSGD else { throw InputError("lesson \(lesson.id) has no text model to generate with") }
            let runner = LessonRunner(lesson: lesson, options: try options.runOptions())
            let corpus = try Corpus.load(path: CorpusLocator.resolve(options.corpus))
            let model = runner.makeModel(vocabSize: corpus.vocabSize)
            try Weights.load(trained.weights, into: model)
            say(try Generator.nextN(model, corpus: corpus, prompt: prompt, count: n))
        }
    }
}
