import ArgumentParser
import Foundation
import Models

/// The notes' "Bias" section: the 15 lowest and highest `ib` of the most-rated movies.
struct CollabBiases: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "biases",
        abstract: "Movie biases (ib) of the most-rated movies: the notes' worst and best 15, with titles.")

    @OptionGroup var model: CollabWeightsOptions

    @Option(name: .long, help: "How many movies to list at each end.")
    var show: Int = 15

    func run() throws {
        try reportingErrors {
            let (movies, interp) = try model.load()
            let sorted = interp.sortedBiases
            let n = min(show, sorted.count)
            say(movies.summary)
            say("movie_bias = m.ib(V(topMovieIdx))    # \(interp.topMovies.count) most-rated movies")
            say("What are the worst movies?  sorted(movie_ratings, key=itemgetter(0))[:\(n)]")
            for e in sorted.prefix(n) { say(String(format: "(%.9f, '%@')", e.bias, interp.title(e.movieId))) }
            say("What's the best movie?  sorted(movie_ratings, key=itemgetter(0), reverse=True)[:\(n)]")
            for e in sorted.reversed().prefix(n) { say(String(format: "(%.9f, '%@')", e.bias, interp.title(e.movieId))) }
            let summary = try CollabSummary(interp)
            say(String(format: "spread: std %.4f; %.1f%% of these biases lie within ±%.2f (get_emb's initial range)",
                       summary.biasStd, 100 * summary.withinInitRange, EmbeddingDotBias.initRange))
            if let planted = try plantedMovies(model.source, movies) {
                let learned = interp.movieBias.map(Double.init)
                let truth = interp.topMovies.map { Double(planted.bias[$0] ?? .nan) }
                say(String(format: "SYNTHETIC check: Spearman rank correlation of learned ib with the planted movie bias: %.3f (%d movies)",
                           Correlation.spearman(learned, truth), learned.count))
            }
        }
    }
}
