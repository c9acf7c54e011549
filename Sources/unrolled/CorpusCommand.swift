import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LessonEngine
import Models
import TensorCore

struct CorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpus", abstract: "Fetch or inspect the lesson's corpus.",
        subcommands: [Download.self, Info.self])

    static let url = "https://s3.amazonaws.com/text-datasets/nietzsche.txt"
    static let expectedSHA256 = "23cf69874ab69d3d256099ab530ea4be24d47d9675b673bcc67cbcd6298ec647"

    struct Download: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download nietzsche.txt into the cache and verify its sha256.")

        @Option(name: .long, help: "Where to put it (default: ~/.cache/unrolled/nietzsche.txt).")
        var to: String?

        func run() throws {
            try reportingErrors {
                let dest = to ?? CorpusLocator.cachePath
                let destURL = URL(fileURLWithPath: dest)
                try? FileManager.default.createDirectory(at: destURL.deletingLastPathComponent(), withIntermediateDirectories: true)
                // Refuse a device or directory in the way before downloading anything.
                do { try AtomicFile.checkDestination(dest, probe: true) } catch let e as FileWriteError {
                    throw InputError("corpus download --to \(e.description)")
                }
                say("downloading \(CorpusCommand.url)")
                let data = try fetch(URL(string: CorpusCommand.url)!)
                let temp = destURL.deletingLastPathComponent().appendingPathComponent(".nietzsche.txt.tmp-\(getpid())")
                do { try data.write(to: temp) } catch { throw InputError("corpus download: cannot write \(temp.path): \(error.localizedDescription)") }
                let digest = try fileSHA256(of: temp.path)
                guard digest == CorpusCommand.expectedSHA256 else {
                    try? FileManager.default.removeItem(at: temp)
                    throw InputError("corpus download: sha256 \(digest) does not match the lesson's \(CorpusCommand.expectedSHA256)")
                }
                guard rename(temp.path, dest) == 0 else { throw InputError("corpus download: cannot move into \(dest)") }
                say("saved \(data.count) bytes to \(dest) (sha256 verified)")
            }
        }

        func fetch(_ url: URL) throws -> Data {
            let done = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var result: Result<Data, Error> = .failure(InputError("corpus download: no response"))
            let task = URLSession.shared.dataTask(with: url) { data, response, error in
                if let error { result = .failure(InputError("corpus download: \(error.localizedDescription)")) }
                else if let http = response as? HTTPURLResponse, http.statusCode != 200 {
                    result = .failure(InputError("corpus download: HTTP \(http.statusCode) from \(url)"))
                } else if let data { result = .success(data) }
                done.signal()
            }
            task.resume()
            if done.wait(timeout: .now() + 120) == .timedOut {
                task.cancel()
                throw InputError("corpus download: no answer from \(url) within 120 s")
            }
            return try result.get()
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
                say("sha256 \(c.sha256)\(c.sha256 == CorpusCommand.expectedSHA256 ? " (the lesson's nietzsche.txt)" : "")")
                say("idx[:10] = \(Array(c.idx.prefix(10)))")
                for layout in Layout.allCases {
                    let d = CharDataset(idx: c.idx, layout: layout, seqLength: layout == .char3 ? 3 : 8)
                    say("\(layout.rawValue): \(d.rows) × \(d.width)")
                }
            }
        }
    }
}

/// sha256 via coreutils' sha256sum (present on every Debian system; Foundation on Linux has no
/// digest API, and one checksum does not justify a crypto dependency).
func fileSHA256(of path: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["sha256sum", path]
    let pipe = Pipe()
    p.standardOutput = pipe
    do { try p.run() } catch { throw InputError("sha256sum not available to verify \(path)") }
    let out = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0, let line = String(data: out, encoding: .utf8), let digest = line.split(separator: " ").first else {
        throw InputError("sha256sum failed on \(path)")
    }
    return String(digest)
}
