import ArgumentParser
import Foundation
import LessonEngine
import Models
import Formats
import TensorCore

/// Where the collab lesson's ratings come from, shared by `run collab` and `collab …`.
struct RatingsSourceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("A MovieLens ml-latest-small folder (ratings.csv, movies.csv) instead of the download cache.", valueName: "DIR"))
    var ratings: String?

    @Flag(name: .long, help: "Use the SYNTHETIC planted-factor set (ml-latest-small's size, generated in memory) instead of MovieLens.")
    var synthetic = false

    func validate() throws {
        if ratings != nil && synthetic { throw ValidationError("give --ratings DIR or --synthetic, not both") }
    }

    var options: RatingsOptions {
        var o = RatingsOptions()
        o.directory = ratings
        o.synthetic = synthetic
        return o
    }
}

/// A trained (or PyTorch-written) EmbeddingDotBias and the data it was trained on.
struct CollabWeightsOptions: ParsableArguments {
    @Option(name: .long, help: "EmbeddingDotBias weights (safetensors: u.weight, i.weight, ub.weight, ib.weight), from `unrolled run collab --save` or PyTorch.")
    var weights: String

    @OptionGroup var source: RatingsSourceOptions

    @Option(name: .long, help: "How many of the most-rated movies to interpret (the notes: 3000).")
    var top: Int = 3000

    func validate() throws {
        guard top >= 3 else { throw ValidationError("--top must be at least 3, got \(top)") }
    }

    /// The data (the lesson's default source), the model with the weights loaded, and the
    /// interpretation helper.
    func load() throws -> (MovieLens, CollabInterpretation) {
        let lesson = try catalog().lesson("collab")
        let movies = try source.options.load(default: lesson.ratings)
        let cf = CollabFilterDataset(movies)
        let file: SafeTensorsFile
        do { file = try SafeTensors.readFile(URL(fileURLWithPath: weights)) } catch let e as SafeTensorsError {
            throw InputError("weights \(e.description)")
        }
        guard let u = file.tensors["u.weight"], u.rank == 2 else {
            throw InputError("weights \(weights): no 2-D 'u.weight'; expected EmbeddingDotBias's u.weight, i.weight, ub.weight, ib.weight")
        }
        let model = EmbeddingDotBias(cf, nFactors: u.shape[1])
        try Weights.assign(file.tensors, to: model, source: weights)
        return (movies, CollabInterpretation(model: model, data: cf, titles: movies.titles, top: min(top, cf.nItems)))
    }
}

/// Planted movie biases and factors when the data is synthetic (in memory or a written folder).
func plantedMovies(_ source: RatingsSourceOptions, _ movies: MovieLens) throws -> (bias: [Int: Float], factors: [Int: [Float]])? {
    guard movies.isSynthetic else { return nil }
    if let dir = source.ratings { return try SyntheticMovieLens.readPlantedMovies(directory: dir) }
    let s = try SyntheticMovieLens(source.options.syntheticConfig)
    return (s.movieBias, s.movieFactors)
}
