import Crypto
import TensorCore
import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Fetching a data set and checking what arrived: the one place that talks to the network.
public enum Download {
    /// file:// URLs are read directly (how the tests feed files they built); http(s) through
    /// URLSession, with timeouts so a dead network fails with a message instead of hanging.
    public static func fetch(_ url: URL) throws -> Data {
        if url.isFileURL {
            guard let d = FileManager.default.contents(atPath: url.path) else { throw InputError("\(url.path): cannot read file") }
            return d
        }
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = 30
        config.timeoutIntervalForResource = 300
        let session = URLSession(configuration: config)
        let done = DispatchSemaphore(value: 0)
        // Written by the session's thread before `done` is signalled, read after the wait (a class
        // because the completion handler escapes, and a Mutex cannot be captured by one).
        final class Outcome: Sendable { let result = Mutex<Swift.Result<Data, Error>?>(nil) }
        let outcome = Outcome()
        session.dataTask(with: url) { data, response, error in
            defer { done.signal() }
            if let error { outcome.result.withLock { $0 = .failure(InputError("\(url.absoluteString): download failed (\(error.localizedDescription))")) }; return }
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            guard status == 200, let data else { outcome.result.withLock { $0 = .failure(InputError("\(url.absoluteString): HTTP status \(status), expected 200")) }; return }
            outcome.result.withLock { $0 = .success(data) }
        }.resume()
        done.wait()
        return try (outcome.result.withLock { $0 } ?? .failure(InputError("\(url.absoluteString): no response"))).get()
    }

    /// Lower-case hex SHA-256, as sha256sum prints it.
    public static func sha256(_ data: Data) -> String { SHA256.hash(data: data).hex }

    /// The same of a file, read in 1 MB pieces (a full trace can be hundreds of MB).
    public static func sha256(file path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw InputError("\(path): cannot read to hash it") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty { hasher.update(data: piece) }
        return hasher.finalize().hex
    }
}

/// `unrolled corpus download`: nietzsche.txt into the cache, kept only if its SHA-256 is the
/// lesson's; written beside the destination and renamed into place, so the cache holds the
/// whole file or nothing.
public enum CorpusDownload {
    public static let url = URL(string: "https://s3.amazonaws.com/text-datasets/nietzsche.txt")!
    public static let expectedSHA256 = "23cf69874ab69d3d256099ab530ea4be24d47d9675b673bcc67cbcd6298ec647"

    /// Fetch `source` into `destination`; returns the bytes saved.
    public static func install(from source: URL = url, to destination: String,
                               fetch: (URL) throws -> Data = Download.fetch) throws -> Int {
        let destURL = URL(fileURLWithPath: destination)
        let folder = destURL.deletingLastPathComponent()
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw InputError("corpus download --to \(destination): cannot create \(folder.path) (\(error.localizedDescription))")
        }
        // Refuse a device or directory in the way before downloading anything.
        do { try AtomicFile.checkDestination(destination, probe: true) } catch let e as FileWriteError {
            throw InputError("corpus download --to \(e.description)")
        }
        let data = try fetch(source)
        let digest = Download.sha256(data)
        guard digest == expectedSHA256 else {
            throw InputError("corpus download: \(source.absoluteString) has sha256 \(digest), not the lesson's \(expectedSHA256)")
        }
        do { try AtomicFile.write([UInt8](data), to: destination) } catch let e as FileWriteError {
            throw InputError("corpus download --to \(e.description)")
        }
        return data.count
    }
}
