import Foundation

/// Where the corpus comes from when `--corpus` is not given: `UNROLLED_CORPUS`, the download
/// cache, then the development copy beside a checkout (`../shared/data/nietzsche.txt`). The CLI
/// and the tests look it up through this one place.
public enum CorpusLocator {
    public static var cachePath: String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return base + "/unrolled/nietzsche.txt"
    }

    /// The path a command reads: the explicit one, else the first that exists, else the cache
    /// path (so the error names where `corpus download` puts it).
    public static func resolve(_ explicit: String?) -> String {
        existing(explicit) ?? explicit ?? cachePath
    }

    /// The corpus path if one is found: the explicit one (when it exists), `UNROLLED_CORPUS`,
    /// the download cache, `../shared/data/nietzsche.txt`.
    public static func existing(_ explicit: String?) -> String? {
        let fm = FileManager.default
        if let explicit { return fm.fileExists(atPath: explicit) ? explicit : nil }
        let env = ProcessInfo.processInfo.environment
        if let p = env["UNROLLED_CORPUS"], !p.isEmpty { return p }
        for p in [cachePath, "../shared/data/nietzsche.txt"] where fm.fileExists(atPath: p) { return p }
        return nil
    }
}
