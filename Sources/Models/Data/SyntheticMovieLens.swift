import Foundation
import TensorCore

/// A SYNTHETIC data set in ml-latest-small's shape, for tests, golden fixtures and demo runs
/// without the network: users and movies with planted biases and latent factors, ratings
///   r = clamp(round_to_half(3.5 + user bias + movie bias + user factors · movie factors + noise), 0.5, 5)
/// on (user, movie) pairs drawn with MovieLens-like skew (a few movies rated by many users).
/// Titles are "Planted Movie 17 (1994)"; the folder holds SYNTHETIC.txt and the planted truth.
public struct SyntheticMovieLens: Sendable {
    public struct Config: Sendable, Equatable {
        public var users = 671
        public var movies = 9_125
        public var ratings = 100_004
        /// Standard deviation of each planted factor (user and movie alike), largest first, so
        /// PCA's components have an order to recover.
        public var factorScales: [Float] = [0.8, 0.65, 0.5]
        public var userBiasScale: Float = 0.35
        public var movieBiasScale: Float = 0.5
        public var noise: Float = 0.5
        public var seed: UInt64 = 42
        public init() {}
        /// Small enough for debug-build tests.
        public static func small(users: Int = 40, movies: Int = 80, ratings: Int = 800, seed: UInt64 = 42) -> Config {
            var c = Config(); c.users = users; c.movies = movies; c.ratings = ratings; c.seed = seed
            return c
        }
    }

    public let config: Config
    public let ratings: MovieLens.Ratings
    public let movieIds: [Int]
    public let titles: [Int: String]
    /// Planted truth by movieId / userId.
    public let movieBias: [Int: Float], movieFactors: [Int: [Float]]
    public let userBias: [Int: Float], userFactors: [Int: [Float]]

    public static func title(movieId: Int) -> String { "Planted Movie \(movieId) (\(1920 + (movieId * 37) % 97))" }

    public init(_ config: Config) throws {
        guard config.users >= 2, config.movies >= 2, config.ratings >= 2 else {
            throw InputError("synthetic data: expected at least 2 users, 2 movies and 2 ratings, got \(config.users), \(config.movies), \(config.ratings)")
        }
        guard config.ratings >= config.users else {
            throw InputError("synthetic data: \(config.ratings) ratings for \(config.users) users; expected at least one rating per user")
        }
        guard config.ratings <= config.users * (config.movies / 2) else {
            throw InputError("synthetic data: \(config.ratings) ratings is more than half of \(config.users) users × \(config.movies) movies; expected a sparse table")
        }
        self.config = config
        let rng = SeededGenerator(seed: config.seed)
        let k = config.factorScales.count
        // Sparse ids like MovieLens's (1, 2, 3, 5, 6, 7, 9, …), so ids ≠ indices.
        movieIds = (0..<config.movies).map { 1 + $0 + $0 / 3 }
        var titles: [Int: String] = [:]
        var mb: [Int: Float] = [:], mf: [Int: [Float]] = [:], ub: [Int: Float] = [:], uf: [Int: [Float]] = [:]
        for id in movieIds {
            titles[id] = SyntheticMovieLens.title(movieId: id)
            mb[id] = config.movieBiasScale * rng.normal()
            mf[id] = config.factorScales.map { $0 * rng.normal() }
        }
        for u in 1...config.users {
            ub[u] = config.userBiasScale * rng.normal()
            uf[u] = config.factorScales.map { $0 * rng.normal() }
        }
        // Movie popularity ~ 1/(rank+5)^0.9 over a shuffled order; user activity ~ lognormal.
        let popularityOrder = rng.permutation(config.movies)
        var cumulative = [Double](repeating: 0, count: config.movies)
        var total = 0.0
        for (rank, m) in popularityOrder.enumerated() { total += 1 / pow(Double(rank + 5), 0.9); cumulative[m] = total }
        var sortedCum: [(Double, Int)] = popularityOrder.map { (cumulative[$0], $0) }
        sortedCum.sort { $0.0 < $1.0 }
        let activity = (0..<config.users).map { _ in Double(exp(0.9 * rng.normal())) }
        let activitySum = activity.reduce(0, +)
        var r = MovieLens.Ratings()
        var time = 1_000_000_000
        // Ratings per user by activity, each capped at half the movies; what the caps cut off is
        // handed out again one by one so the total is what was asked for.
        let cap = config.movies / 2
        var wants = activity.map { min(cap, max(1, Int((Double(config.ratings) * $0 / activitySum).rounded()))) }
        var surplus = wants.reduce(0, +) - config.ratings
        var u = 0
        while surplus != 0 {
            if surplus > 0 && wants[u] > 1 { wants[u] -= 1; surplus -= 1 }
            else if surplus < 0 && wants[u] < cap { wants[u] += 1; surplus += 1 }
            u = (u + 1) % config.users
        }
        for u in 0..<config.users {
            let want = wants[u]
            var chosen = Set<Int>()
            while chosen.count < want {
                let x = Double(rng.unit()) * total
                var lo = 0, hi = sortedCum.count - 1
                while lo < hi { let mid = (lo + hi) / 2; if sortedCum[mid].0 < x { lo = mid + 1 } else { hi = mid } }
                chosen.insert(sortedCum[lo].1)
            }
            let userId = u + 1
            for m in chosen.sorted() {
                let movieId = movieIds[m]
                var score = 3.5 + ub[userId]! + mb[movieId]! + config.noise * rng.normal()
                for j in 0..<k { score += uf[userId]![j] * mf[movieId]![j] }
                let rating = min(5, max(0.5, (score * 2).rounded() / 2))
                time += 1 + rng.index(below: 5000)
                r.userIds.append(userId); r.movieIds.append(movieId); r.ratings.append(rating); r.timestamps.append(time)
            }
        }
        ratings = r
        self.titles = titles
        movieBias = mb; movieFactors = mf; userBias = ub; userFactors = uf
    }

    /// The data as MovieLens (marked synthetic), without writing files.
    public var movieLens: MovieLens {
        MovieLens(directory: "(synthetic, seed \(config.seed))", ratings: ratings, titles: titles, isSynthetic: true)
    }

    /// Write ratings.csv, movies.csv, SYNTHETIC.txt and planted_movies.csv / planted_users.csv
    /// into `directory`, built beside it and renamed into place whole.
    public func write(to directory: String) throws {
        let fm = FileManager.default
        let staging = directory + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
        try? fm.removeItem(atPath: staging)
        defer { try? fm.removeItem(atPath: staging) }
        do {
            try fm.createDirectory(atPath: staging, withIntermediateDirectories: true)
            func put(_ name: String, _ text: String) throws {
                try Data(text.utf8).write(to: URL(fileURLWithPath: staging + "/" + name))
            }
            var s = MovieLens.ratingsHeader.joined(separator: ",") + "\n"
            for i in 0..<ratings.count {
                s += "\(ratings.userIds[i]),\(ratings.movieIds[i]),\(ratings.ratings[i]),\(ratings.timestamps[i])\n"
            }
            try put("ratings.csv", s)
            s = MovieLens.moviesHeader.joined(separator: ",") + "\n"
            for id in movieIds { s += "\(id),\(titles[id]!),Synthetic\n" }
            try put("movies.csv", s)
            let factors = (0..<config.factorScales.count).map { "f\($0)" }.joined(separator: ",")
            s = "movieId,bias,\(factors)\n"
            for id in movieIds { s += "\(id),\(movieBias[id]!),\(movieFactors[id]!.map { "\($0)" }.joined(separator: ","))\n" }
            try put("planted_movies.csv", s)
            s = "userId,bias,\(factors)\n"
            for id in 1...config.users { s += "\(id),\(userBias[id]!),\(userFactors[id]!.map { "\($0)" }.joined(separator: ","))\n" }
            try put("planted_users.csv", s)
            try put(MovieLens.syntheticMarker, """
                SYNTHETIC data in the shape of MovieLens ml-latest-small, written by `unrolled data synthetic`.
                These are not real ratings or films: \(config.users) users, \(config.movies) movies and
                \(ratings.count) ratings drawn from planted biases and \(config.factorScales.count) latent factors
                (scales \(config.factorScales)), seed \(config.seed). The planted values are in
                planted_movies.csv and planted_users.csv.

                """)
            if fm.fileExists(atPath: directory) {
                guard fm.fileExists(atPath: directory + "/" + MovieLens.syntheticMarker) else {
                    throw InputError("\(directory): exists and is not a synthetic data set; refusing to replace it")
                }
                try fm.removeItem(atPath: directory)
            }
            try fm.moveItem(atPath: staging, toPath: directory)
        } catch let e as InputError { throw e } catch {
            throw InputError("\(directory): cannot write the synthetic data set (\(error.localizedDescription))")
        }
    }

    /// Read planted_movies.csv back (movieId → bias, factors) for the interpretation checks.
    public static func readPlantedMovies(directory: String) throws -> (bias: [Int: Float], factors: [Int: [Float]]) {
        let path = directory + "/planted_movies.csv"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw InputError("\(path): cannot read file (only synthetic data sets have planted values)") }
        var bias: [Int: Float] = [:], factors: [Int: [Float]] = [:]
        for (i, line) in text.split(separator: "\n").enumerated().dropFirst() {
            let f = line.split(separator: ",").map(String.init)
            guard f.count >= 2, let id = Int(f[0]), let b = Float(f[1]) else { throw InputError("\(path):\(i + 1): expected movieId,bias,f0,…") }
            bias[id] = b
            factors[id] = f.dropFirst(2).compactMap(Float.init)
        }
        return (bias, factors)
    }
}
