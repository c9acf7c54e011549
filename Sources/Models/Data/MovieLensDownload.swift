import Foundation
import ZIPFoundation

/// `unrolled data download movielens`: GroupLens's ml-latest-small.zip into the cache,
/// unpacked with ZIPFoundation into a temporary directory, checked with the strict reader, and
/// only then renamed into place, so the cache holds a whole data set or none. The zip's SHA-256
/// is printed: GroupLens replaces the file between releases, so no checksum can be pinned here.
public enum MovieLensDownload {
    public static let url = URL(string: "https://files.grouplens.org/datasets/movielens/ml-latest-small.zip")!
    /// The zip's top-level folder, and the cache folder's name.
    public static let folder = "ml-latest-small"
    /// The release is ~1 MB zipped and ~3.3 MB unpacked (2016), ~3.2 MB / 4.9 MB (2018);
    /// anything much larger is not this data set.
    public static let maxZipBytes = 50_000_000
    public static let maxEntryBytes: UInt64 = 200_000_000

    /// `$XDG_CACHE_HOME/unrolled`, else `~/.cache/unrolled`.
    public static var cacheDirectory: String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return base + "/unrolled"
    }

    /// Where `--ratings` defaults to: the unpacked download.
    public static var defaultDirectory: String { cacheDirectory + "/" + folder }

    public struct Installed: Sendable {
        public let directory: String
        public let sha256: String
        public let zipBytes: Int
        public let data: MovieLens
    }

    /// Fetch `source` (https or file URL) with `fetch`, unpack its `ml-latest-small/` entries
    /// into `cache`/ml-latest-small, replacing what was there only once the new copy has passed
    /// the reader's checks.
    public static func install(from source: URL = url, into cache: String = cacheDirectory,
                               fetch: (URL) throws -> Data = Download.fetch) throws -> Installed {
        let zip = try fetch(source)
        guard zip.count <= maxZipBytes else {
            throw InputError("\(source.absoluteString): \(zip.count) bytes; expected ml-latest-small.zip (a few MB)")
        }
        let sha = Download.sha256(zip)
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: cache, withIntermediateDirectories: true) } catch {
            throw InputError("\(cache): cannot create the cache directory (\(error.localizedDescription))")
        }
        let staging = cache + "/.\(folder).partial-\(ProcessInfo.processInfo.processIdentifier)"
        try? fm.removeItem(atPath: staging)
        defer { try? fm.removeItem(atPath: staging) }
        try unpack(zip, source: source.absoluteString, into: staging)
        let unpacked = staging + "/" + folder
        let data = try MovieLens.load(directory: unpacked)
        // Replace: move the old copy aside, rename the new one in, then delete the old.
        let target = cache + "/" + folder, old = staging + "/previous"
        do {
            if fm.fileExists(atPath: target) { try fm.moveItem(atPath: target, toPath: old) }
            try fm.moveItem(atPath: unpacked, toPath: target)
        } catch {
            if !fm.fileExists(atPath: target) && fm.fileExists(atPath: old) { try? fm.moveItem(atPath: old, toPath: target) }
            throw InputError("\(target): cannot move the unpacked data into place (\(error.localizedDescription))")
        }
        let installed = MovieLens(directory: target, ratings: data.ratings, titles: data.titles, isSynthetic: data.isSynthetic)
        return Installed(directory: target, sha256: sha, zipBytes: zip.count, data: installed)
    }

    /// Extract the regular files under `ml-latest-small/` (nothing outside it, no links).
    static func unpack(_ zip: Data, source: String, into staging: String) throws {
        let archive: Archive
        do { archive = try Archive(data: zip, accessMode: .read) } catch {
            throw InputError("\(source): not a zip archive (\(error))")
        }
        let fm = FileManager.default
        try fm.createDirectory(atPath: staging + "/" + folder, withIntermediateDirectories: true)
        var files = 0
        for entry in archive where entry.type == .file {
            let parts = entry.path.split(separator: "/")
            guard parts.count == 2, parts[0] == folder, !parts[1].hasPrefix(".") else { continue }
            guard entry.uncompressedSize <= maxEntryBytes else {
                throw InputError("\(source): entry \(entry.path) unpacks to \(entry.uncompressedSize) bytes; expected a small CSV")
            }
            do {
                _ = try archive.extract(entry, to: URL(fileURLWithPath: staging + "/" + folder + "/" + parts[1]))
            } catch {
                throw InputError("\(source): cannot unpack \(entry.path) (\(error))")
            }
            files += 1
        }
        guard files > 0 else { throw InputError("\(source): no \(folder)/ folder in the archive; expected GroupLens's ml-latest-small.zip") }
    }
}
