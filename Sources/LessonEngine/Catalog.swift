import Foundation
import Models

/// Finds lesson files: by id (`char3`) among lessons/*.yaml, or by path.
public struct Catalog {
    public let directory: String

    /// `UNROLLED_LESSONS`, else ./lessons, else beside the executable: `../share/unrolled/lessons`
    /// (where `make install` puts them) or a lessons/ folder above it (a build inside a checkout),
    /// so the CLI works from any directory.
    public static func locate() -> Catalog? {
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["UNROLLED_LESSONS"], !env.isEmpty {
            return Catalog(directory: env)
        }
        var candidates = [fm.currentDirectoryPath + "/lessons"]
        // The executable itself, even when it was found on PATH (argv[0] is then a bare name).
        let exe = (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first ?? "."
        var dir = URL(fileURLWithPath: exe).resolvingSymlinksInPath().deletingLastPathComponent()
        candidates.append(dir.deletingLastPathComponent().appendingPathComponent("share/unrolled/lessons").path)
        for _ in 0..<6 {
            candidates.append(dir.appendingPathComponent("lessons").path)
            dir = dir.deletingLastPathComponent()
        }
        return candidates.first { fm.fileExists(atPath: $0 + "/01-linear-sgd.yaml") }.map { Catalog(directory: $0) }
    }

    public init(directory: String) { self.directory = directory }

    /// Every lesson file, in file-name order (the numbers give the lesson order).
    public func files() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { "\(directory)/\($0)" }
    }

    public func all() throws -> [Lesson] { try files().map { try Lesson.load(path: $0) } }

    /// A lesson by id, or a path to a lesson file.
    /// Its narration beats are checked against its model's op labels here, before any work.
    public func lesson(_ name: String) throws -> Lesson {
        if name.hasSuffix(".yaml") || name.contains("/") {
            let l = try Lesson.load(path: name)
            try l.checkBeatLabels()
            return l
        }
        let lessons = try all()
        if let l = lessons.first(where: { $0.id == name }) {
            try l.checkBeatLabels()
            return l
        }
        let hint = DidYouMean.hint(for: name, among: lessons.map(\.id)).map { " (\($0))" } ?? ""
        throw InputError("unknown lesson '\(name)'\(hint); expected one of: \(lessons.map(\.id).joined(separator: ", ")) (or a path to a .yaml file)")
    }
}
