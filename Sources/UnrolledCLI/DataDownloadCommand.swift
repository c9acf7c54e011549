import ArgumentParser
import Foundation
import Models

/// `unrolled data download movielens`.
struct DataDownload: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Fetch GroupLens's ml-latest-small.zip into the cache ($XDG_CACHE_HOME/unrolled or ~/.cache/unrolled) and unpack it.")

    enum Dataset: String, ExpressibleByArgument, CaseIterable { case movielens }

    @Argument(help: "The data set: movielens.")
    var dataset: Dataset

    @Option(name: .long, help: ArgumentHelp("Fetch from here instead (an https or file:// URL of the same zip).", valueName: "URL"))
    var url: String?

    func run() throws {
        try reportingErrors {
            var source = MovieLensDownload.url
            if let url {
                guard let u = URL(string: url), ["https", "http", "file"].contains(u.scheme ?? "") else {
                    throw InputError("--url: expected an https:// or file:// URL, got '\(url)'")
                }
                source = u
            }
            say("fetching \(source.absoluteString)")
            let result = try MovieLensDownload.install(from: source)
            say("sha256 \(result.sha256)  (\(result.zipBytes) bytes; GroupLens replaces this file between releases, so it is printed, not pinned)")
            say(result.data.summary)
            say("unpacked into \(result.directory)")
        }
    }
}
