import ArgumentParser
import Foundation
import Models

/// `unrolled data synthetic --out DIR`.
struct DataSynthetic: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synthetic",
        abstract: "Write a SYNTHETIC ml-latest-small-shaped folder (planted biases and factors; titles like 'Planted Movie 17 (1994)').")

    @Option(name: .long, help: ArgumentHelp("The folder to write (ratings.csv, movies.csv, planted_*.csv, SYNTHETIC.txt).", valueName: "DIR"))
    var out: String

    @Option(name: .long, help: "Number of ratings.") var ratings = 100_004
    @Option(name: .long, help: "Number of users.") var users = 671
    @Option(name: .long, help: "Number of movies.") var movies = 9_125
    @Option(name: .long, parsing: .unconditional, help: "Seed for the planted values and the ratings.") var seed: UInt64 = 42

    func run() throws {
        try reportingErrors {
            var c = SyntheticMovieLens.Config()
            c.ratings = ratings; c.users = users; c.movies = movies; c.seed = seed
            guard (1...10_000_000).contains(ratings), (1...1_000_000).contains(users), (1...1_000_000).contains(movies) else {
                throw InputError("--ratings, --users, --movies: expected 1…10,000,000 ratings and 1…1,000,000 users and movies")
            }
            let set = try SyntheticMovieLens(c)
            try set.write(to: out)
            say("wrote SYNTHETIC data to \(out): \(set.ratings.count) ratings, \(users) users, \(movies) movies (planted values in planted_movies.csv, planted_users.csv)")
        }
    }
}
