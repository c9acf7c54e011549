import ArgumentParser
import Foundation
import LessonEngine
import Models
import TensorCore

struct CorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpus", abstract: "Fetch or inspect the lesson's corpus.",
        subcommands: [Download.self, Info.self])

    struct Download: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download nietzsche.txt into the cache and verify its sha256.")

        @Option(name: .long, help: "Where to put it (default: ~/.cache/unrolled/nietzsche.txt).")
        var to: String?

        @Option(name: .long, help: ArgumentHelp("Fetch from this URL instead (file:// for a local copy).", visibility: .hidden))
        var from: String?

        func run() throws {
            try reportingErrors {
                let dest = to ?? CorpusLocator.cachePath
                var source = CorpusDownload.url
                if let from {
                    guard let url = URL(string: from), url.scheme != nil else { throw InputError(usage: "--from: expected a URL, got '\(from)'") }
                    source = url
                }
                say("downloading \(source.absoluteString)")
                let bytes = try CorpusDownload.install(from: source, to: dest)
                say("saved \(bytes) bytes to \(dest) (sha256 verified)")
            }
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a corpus and print its facts.")
        @Option(name: .long, help: "Corpus file (default: as for `run`).")
        var corpus: String?

        func run() throws {
            try reportingErrors(interruptible: true) {
                let path = CorpusLocator.resolve(corpus)
                let c = try Corpus.load(path: path)
                say("\(path): \(c.length) characters, vocab \(c.vocabSize) (with \"\\0\" at 0)")
                say("sha256 \(c.sha256)\(c.sha256 == CorpusDownload.expectedSHA256 ? " (the lesson's nietzsche.txt)" : "")")
                say("idx[:10] = \(Array(c.idx.prefix(10)))")
                for layout in Layout.allCases {
                    let d = CharDataset(idx: c.idx, layout: layout, seqLength: layout == .char3 ? 3 : 8)
                    say("\(layout.rawValue): \(d.rows) × \(d.width)")
                }
            }
        }
    }
}
