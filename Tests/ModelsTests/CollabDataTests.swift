import Foundation
import XCTest
@testable import Models
import TensorCore
import ZIPFoundation

/// MovieLens reading, the download path (against a zip built here, never the network), the
/// synthetic set and CollabFilterDataset.
final class CollabDataTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("collab-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    let goodRatings = "userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n7,31,4.5,1260759182\n"
    let goodMovies = "movieId,title,genres\n31,Dangerous Minds (1995),Drama\n1029,\"Dumbo, The (1941)\",Animation|Children\n"

    func write(_ name: String, _ text: String, in folder: String? = nil) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: (folder ?? dir) + "/" + name))
    }

    func loadError(ratings: String? = nil, movies: String? = nil) throws -> String {
        try write("ratings.csv", ratings ?? goodRatings)
        try write("movies.csv", movies ?? goodMovies)
        do { _ = try MovieLens.load(directory: dir); return "no error" } catch let e as InputError { return e.message }
    }

    func testReadsRatingsAndTitlesWithQuotedCommas() throws {
        try write("ratings.csv", goodRatings)
        try write("movies.csv", goodMovies)
        let m = try MovieLens.load(directory: dir)
        XCTAssertEqual(m.ratings.userIds, [1, 1, 7])
        XCTAssertEqual(m.ratings.movieIds, [31, 1029, 31])
        XCTAssertEqual(m.ratings.ratings, [2.5, 3.0, 4.5])
        XCTAssertEqual(m.ratings.timestamps[2], 1_260_759_182)
        XCTAssertEqual(m.titles[1029], "Dumbo, The (1941)")
        XCTAssertFalse(m.isSynthetic)
        XCTAssertTrue(m.summary.hasSuffix("3 ratings, 2 users, 2 rated movies, 2 movies — not the notes' release (100004 ratings, 671 users, 9066 rated movies, 9125 movies)"), m.summary)
    }

    func testBadInputIsOneLineNamingFileLineAndField() throws {
        let r = dir + "/ratings.csv", m = dir + "/movies.csv"
        XCTAssertEqual(try loadError(ratings: "user,movieId,rating,timestamp\n1,31,2.5,1\n"),
                       "\(r):1: header is 'user,movieId,rating,timestamp', expected 'userId,movieId,rating,timestamp'")
        XCTAssertEqual(try loadError(ratings: "userId,movieId,rating,timestamp\n1,31,2.5,1\n1,x,3,1\n"),
                       "\(r):3: field 'movieId': expected a whole number ≥ 1, got 'x'")
        XCTAssertEqual(try loadError(ratings: "userId,movieId,rating,timestamp\n1,31,7,1\n"),
                       "\(r):2: field 'rating': expected a number from 0.5 to 5, got '7'")
        XCTAssertEqual(try loadError(ratings: "userId,movieId,rating,timestamp\n1,31,2.5\n"),
                       "\(r):2: 3 fields, expected 4 (userId,movieId,rating,timestamp)")
        XCTAssertEqual(try loadError(ratings: "userId,movieId,rating,timestamp\n1,31,2.5,1\n2,31,3,1\n1,31,4,2\n"),
                       "\(r):4: userId 1 rated movieId 31 again (first at line 2); expected one rating per pair")
        XCTAssertEqual(try loadError(ratings: "userId,movieId,rating,timestamp\n"), "\(r): no ratings after the header")
        XCTAssertEqual(try loadError(ratings: "userId,movieId,rating,timestamp\n1,99,2.5,1\n"),
                       "\(r):2: field 'movieId': 99 has no row in \(m)")
        XCTAssertEqual(try loadError(movies: "movieId,title,genres\n31,A (1990),x\n31,B (1991),y\n"),
                       "\(m):3: field 'movieId': 31 appears twice; expected one row per movie")
        XCTAssertEqual(try loadError(movies: "movieId,title\n31,A (1990)\n"),
                       "\(m):1: header is 'movieId,title', expected 'movieId,title,genres'")
        try FileManager.default.removeItem(atPath: m)
        XCTAssertThrowsError(try MovieLens.load(directory: dir)) { e in
            XCTAssertEqual((e as? InputError)?.message,
                           "\(m): cannot read file (expected MovieLens movies.csv; `unrolled data download movielens` or --ratings DIR)")
        }
    }

    /// A zip in GroupLens's layout (`ml-latest-small/…`), built here.
    func makeZip(ratings: String, movies: String, folder: String = "ml-latest-small") throws -> URL {
        let url = URL(fileURLWithPath: dir + "/ml-latest-small-\(UUID().uuidString).zip")
        let archive = try Archive(url: url, accessMode: .create)
        for (name, text) in [("ratings.csv", ratings), ("movies.csv", movies), ("README.txt", "test")] {
            let data = Data(text.utf8)
            try archive.addEntry(with: "\(folder)/\(name)", type: .file, uncompressedSize: Int64(data.count),
                                 compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<(Int(position) + size))
            }
        }
        return url
    }

    func sha256sum(_ path: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        p.waitUntilExit()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }

    func testDownloadUnpacksALocalZipIntoTheCacheAndPrintsItsSHA256() throws {
        let zip = try makeZip(ratings: goodRatings, movies: goodMovies)
        let cache = dir + "/cache"
        let result = try MovieLensDownload.install(from: zip, into: cache)
        XCTAssertEqual(result.directory, cache + "/ml-latest-small")
        XCTAssertEqual(result.sha256, try sha256sum(zip.path))
        XCTAssertEqual(result.data.ratings.count, 3)
        XCTAssertEqual(try MovieLens.load(directory: result.directory).titles[31], "Dangerous Minds (1995)")
        // Nothing but the data set is left in the cache (no staging folder).
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cache), ["ml-latest-small"])
    }

    func testAFailedDownloadLeavesThePreviousCopy() throws {
        let cache = dir + "/cache"
        _ = try MovieLensDownload.install(from: try makeZip(ratings: goodRatings, movies: goodMovies), into: cache)
        let bad = try makeZip(ratings: "userId,movieId,rating\n1,31,2.5\n", movies: goodMovies)
        XCTAssertThrowsError(try MovieLensDownload.install(from: bad, into: cache)) { e in
            XCTAssertTrue((e as? InputError)?.message.hasSuffix("ratings.csv:1: header is 'userId,movieId,rating', expected 'userId,movieId,rating,timestamp'") ?? false, "\(e)")
        }
        XCTAssertEqual(try MovieLens.load(directory: cache + "/ml-latest-small").ratings.count, 3)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cache), ["ml-latest-small"])
        let notZip = URL(fileURLWithPath: dir + "/not.zip")
        try Data("hello".utf8).write(to: notZip)
        XCTAssertThrowsError(try MovieLensDownload.install(from: notZip, into: cache)) { e in
            XCTAssertTrue((e as? InputError)?.message.contains("not a zip archive") ?? false, "\(e)")
        }
        let elsewhere = try makeZip(ratings: goodRatings, movies: goodMovies, folder: "other")
        XCTAssertThrowsError(try MovieLensDownload.install(from: elsewhere, into: cache)) { e in
            XCTAssertEqual((e as? InputError)?.message, "\(elsewhere.absoluteString): no ml-latest-small/ folder in the archive; expected GroupLens's ml-latest-small.zip")
        }
        // An injected fetch stands in for the network.
        XCTAssertThrowsError(try MovieLensDownload.install(from: MovieLensDownload.url, into: cache, fetch: { _ in throw InputError("offline") })) { e in
            XCTAssertEqual((e as? InputError)?.message, "offline")
        }
        XCTAssertEqual(try MovieLens.load(directory: cache + "/ml-latest-small").ratings.count, 3)
    }

    func testSyntheticSetIsSeededLabelledAndReadable() throws {
        let config = SyntheticMovieLens.Config.small()
        let a = try SyntheticMovieLens(config), b = try SyntheticMovieLens(config)
        XCTAssertEqual(a.ratings, b.ratings, "same seed, same data")
        var other = config; other.seed = 7
        XCTAssertNotEqual(try SyntheticMovieLens(other).ratings, a.ratings)
        XCTAssertEqual(a.titles[17], "Planted Movie 17 (1967)")
        XCTAssertTrue(a.ratings.ratings.allSatisfy { MovieLens.ratingRange.contains($0) && ($0 * 2).rounded() == $0 * 2 })
        XCTAssertEqual(a.ratings.count, config.ratings)
        let folder = dir + "/synthetic"
        try a.write(to: folder)
        let read = try MovieLens.load(directory: folder)
        XCTAssertTrue(read.isSynthetic)
        XCTAssertEqual(read.ratings, a.ratings)
        XCTAssertTrue(read.summary.contains("SYNTHETIC"))
        let planted = try SyntheticMovieLens.readPlantedMovies(directory: folder)
        XCTAssertEqual(planted.bias[17], a.movieBias[17])
        XCTAssertEqual(planted.factors[17], a.movieFactors[17])
        // A folder that is not a synthetic set is never replaced.
        try FileManager.default.createDirectory(atPath: dir + "/mine", withIntermediateDirectories: true)
        XCTAssertThrowsError(try a.write(to: dir + "/mine"))
    }

    func testProcColNumbersIdsInOrderOfFirstAppearance() {
        let cf = CollabFilterDataset(userIds: [5, 3, 5, 9, 3], itemIds: [20, 10, 10, 30, 20], ratings: [1, 4.5, 3, 2, 0.5])
        XCTAssertEqual(cf.users, [5, 3, 9])
        XCTAssertEqual(cf.userCol, [0, 1, 0, 2, 1])
        XCTAssertEqual(cf.items, [20, 10, 30])
        XCTAssertEqual(cf.itemCol, [0, 1, 1, 2, 0])
        XCTAssertEqual(cf.item2idx[30], 2)
        XCTAssertEqual(cf.minScore, 0.5)
        XCTAssertEqual(cf.maxScore, 4.5)
        XCTAssertEqual(cf.mostRated(2), [10, 20], "10 and 20 have two ratings each; ties by id")
        let (u, i, y) = cf.batch([3, 0])
        XCTAssertEqual(u.data, [2, 0]); XCTAssertEqual(i.data, [2, 0]); XCTAssertEqual(y.data, [2, 1])
        XCTAssertEqual(u.label, "users")
    }

    func testSplitIsGetCvIdxsAsABooleanMask() {
        let n = 50
        let cf = CollabFilterDataset(userIds: Array(0..<n), itemIds: Array(0..<n), ratings: (0..<n).map { Float($0 % 5) + 1 })
        let split = cf.cvSplit()
        XCTAssertEqual(split.valid.count, 10)
        XCTAssertEqual(Set(split.valid), Set(CVIndices.getCVIdxs(n: n)))
        XCTAssertEqual(Array(split.valid), split.valid.sorted(), "split_by_idx keeps file order")
        XCTAssertEqual(split.train.count + split.valid.count, n)
        XCTAssertTrue(Set(split.train).isDisjoint(with: split.valid))
    }
}
