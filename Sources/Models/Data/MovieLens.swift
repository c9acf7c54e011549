import Foundation
import SwiftCSV

/// MovieLens `ml-latest-small` as the seed reads it: `ratings.csv` (userId, movieId, rating,
/// timestamp) and `movies.csv` (movieId, title, genres). Read with SwiftCSV and checked
/// strictly: every problem is one line naming the file, the line, the field and what was expected.
public struct MovieLens: Sendable {
    /// The ratings table as columns, in file order (the order `proc_col` numbers ids in).
    public struct Ratings: Sendable, Equatable {
        public var userIds: [Int] = []
        public var movieIds: [Int] = []
        public var ratings: [Float] = []
        public var timestamps: [Int] = []
        public var count: Int { ratings.count }
        public init() {}
    }

    public let directory: String
    public let ratings: Ratings
    /// movieId → title, from movies.csv.
    public let titles: [Int: String]
    /// True when the directory holds the synthetic set's marker file (`SYNTHETIC.txt`): its
    /// movies are "Planted Movie 17 (1994)", not films.
    public let isSynthetic: Bool

    public static let ratingsHeader = ["userId", "movieId", "rating", "timestamp"]
    public static let moviesHeader = ["movieId", "title", "genres"]
    public static let syntheticMarker = "SYNTHETIC.txt"
    /// MovieLens ratings are half stars from 0.5 to 5.
    public static let ratingRange: ClosedRange<Float> = 0.5...5
    /// A CSV larger than this is not ml-latest-small (the 2016 ratings.csv is 2.4 MB).
    public static let maxFileBytes = 200_000_000

    /// What the notes' release had (`(9125, 3) (100004, 4)`, 671 users, 9,066 rated movies);
    /// later ml-latest-small releases differ (the 2018 one has 100,836 ratings of 610 users).
    public static let notesRelease = (ratings: 100_004, users: 671, ratedMovies: 9_066, movies: 9_125)

    public init(directory: String, ratings: Ratings, titles: [Int: String], isSynthetic: Bool) {
        self.directory = directory; self.ratings = ratings; self.titles = titles; self.isSynthetic = isSynthetic
    }

    /// Read `ratings.csv` and `movies.csv` from `directory`; every rated movie must have a title.
    public static func load(directory: String) throws -> MovieLens {
        let ratingsPath = directory + "/ratings.csv", moviesPath = directory + "/movies.csv"
        let ratings = try readRatings(path: ratingsPath)
        let titles = try readMovies(path: moviesPath)
        if let missing = ratings.movieIds.firstIndex(where: { titles[$0] == nil }) {
            throw InputError("\(ratingsPath):\(missing + 2): field 'movieId': \(ratings.movieIds[missing]) has no row in \(moviesPath)")
        }
        let synthetic = FileManager.default.fileExists(atPath: directory + "/" + syntheticMarker)
        return MovieLens(directory: directory, ratings: ratings, titles: titles, isSynthetic: synthetic)
    }

    /// One-line summary: counts, and whether they are the notes' release.
    public var summary: String {
        let users = Set(ratings.userIds).count, rated = Set(ratings.movieIds).count
        let n = MovieLens.notesRelease
        let same = ratings.count == n.ratings && users == n.users && rated == n.ratedMovies && titles.count == n.movies
        let kind = isSynthetic ? "SYNTHETIC (planted factors, not MovieLens)" :
            same ? "the release the notes used" : "not the notes' release (\(n.ratings) ratings, \(n.users) users, \(n.ratedMovies) rated movies, \(n.movies) movies)"
        return "\(directory): \(ratings.count) ratings, \(users) users, \(rated) rated movies, \(titles.count) movies — \(kind)"
    }

    // MARK: reading

    /// The file's rows after a header that must equal `header`; each row has exactly that many
    /// fields. `body` gets each row with its 1-based line number (header = line 1).
    static func rows(path: String, header: [String], _ body: (_ fields: [String], _ line: Int) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = attributes?[.size] as? Int, (attributes?[.type] as? FileAttributeType) != .typeDirectory,
              let data = FileManager.default.contents(atPath: path) else {
            throw InputError("\(path): cannot read file (expected MovieLens \(url.lastPathComponent); `unrolled data download movielens` or --ratings DIR)")
        }
        guard size <= maxFileBytes else { throw InputError("\(path): \(size) bytes; expected a MovieLens CSV under \(maxFileBytes) bytes") }
        guard let text = String(data: data, encoding: .utf8) else { throw InputError("\(path): not valid UTF-8") }
        let csv: CSV<Enumerated>
        do {
            // Only the header through SwiftCSV's table; rows are enumerated raw below so that a
            // short row is reported instead of padded (EnumeratedCSV makes rows rectangular).
            csv = try CSV<Enumerated>(string: text, delimiter: .comma, loadColumns: false, rowLimit: 1)
        } catch {
            throw InputError("\(path):1: malformed CSV (\(error))")
        }
        guard csv.header == header else {
            throw InputError("\(path):1: header is '\(csv.header.joined(separator: ","))', expected '\(header.joined(separator: ","))'")
        }
        var raw: [[String]] = []
        do {
            try csv.enumerateAsArray(startAt: 1, rowLimit: nil) { raw.append($0) }
        } catch {
            throw InputError("\(path): malformed CSV after line \(raw.count + 1) (\(error))")
        }
        // Row i is line i + 2 (MovieLens has no newlines inside quoted fields).
        for (i, fields) in raw.enumerated() {
            if fields.count == 1 && fields[0].isEmpty { continue }  // a blank line (the final newline)
            let line = i + 2
            guard fields.count == header.count else {
                throw InputError("\(path):\(line): \(fields.count) fields, expected \(header.count) (\(header.joined(separator: ",")))")
            }
            try body(fields, line)
        }
    }

    static func int(_ s: String, _ field: String, _ path: String, _ line: Int, min: Int = 0) throws -> Int {
        guard let v = Int(s), v >= min else {
            throw InputError("\(path):\(line): field '\(field)': expected a whole number ≥ \(min), got '\(s)'")
        }
        return v
    }

    public static func readRatings(path: String) throws -> Ratings {
        var r = Ratings()
        var seen: [Int64: Int] = [:]  // (userId, movieId) → line, to report a duplicated row
        try rows(path: path, header: ratingsHeader) { f, line in
            let user = try int(f[0], "userId", path, line, min: 1)
            let movie = try int(f[1], "movieId", path, line, min: 1)
            guard let rating = Float(f[2]), ratingRange.contains(rating) else {
                throw InputError("\(path):\(line): field 'rating': expected a number from 0.5 to 5, got '\(f[2])'")
            }
            let time = try int(f[3], "timestamp", path, line)
            let key = Int64(user) << 32 | Int64(movie)
            if let first = seen[key] {
                throw InputError("\(path):\(line): userId \(user) rated movieId \(movie) again (first at line \(first)); expected one rating per pair")
            }
            seen[key] = line
            r.userIds.append(user); r.movieIds.append(movie); r.ratings.append(rating); r.timestamps.append(time)
        }
        guard r.count > 0 else { throw InputError("\(path): no ratings after the header") }
        return r
    }

    public static func readMovies(path: String) throws -> [Int: String] {
        var titles: [Int: String] = [:]
        try rows(path: path, header: moviesHeader) { f, line in
            let movie = try int(f[0], "movieId", path, line, min: 1)
            guard !f[1].isEmpty else { throw InputError("\(path):\(line): field 'title': expected a title, got an empty field") }
            guard titles[movie] == nil else { throw InputError("\(path):\(line): field 'movieId': \(movie) appears twice; expected one row per movie") }
            titles[movie] = f[1]
        }
        return titles
    }
}
