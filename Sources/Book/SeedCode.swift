import Foundation
import LessonEngine
import Models
import TensorCore
import Yams

/// The seed's Python for one model (copied from the lesson notes into Resources/seed) and the
/// rules that say which of its lines produced each op.
public struct SeedCode {
    public let file: String
    public let lines: [String]
    let rules: [(phase: TracePhase?, match: NSRegularExpression, line: Int)]

    /// Read `Resources/seed/<model>.py` and its rules from `code-map.yaml`; nil for a model
    /// with no listing there yet (its page has no code panel).
    public static func load(model: Lesson.ModelKind, resources: BookResources) throws -> SeedCode? {
        let file = model.rawValue + ".py"
        guard FileManager.default.fileExists(atPath: resources.directory.appendingPathComponent("seed/" + file).path) else { return nil }
        let lines = try resources.text("seed/" + file).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let mapText = try resources.text("seed/code-map.yaml")
        guard let map = try Yams.load(yaml: mapText) as? [String: Any] else {
            throw InputError("book resources: seed/code-map.yaml: expected a map from model name to rules")
        }
        guard let entries = map[model.rawValue] as? [[String: Any]] else {
            throw InputError("book resources: seed/code-map.yaml: no rules for \(model.rawValue)")
        }
        var rules: [(TracePhase?, NSRegularExpression, Int)] = []
        for (k, entry) in entries.enumerated() {
            let place = "seed/code-map.yaml: \(model.rawValue) rule \(k + 1)"
            guard let pattern = entry["match"] as? String, let code = entry["code"] as? String else {
                throw InputError("book resources: \(place): expected 'match' and 'code'")
            }
            let regex: NSRegularExpression
            do { regex = try NSRegularExpression(pattern: pattern) } catch {
                throw InputError("book resources: \(place): '\(pattern)' is not a regular expression")
            }
            guard let line = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(code) }) else {
                throw InputError("book resources: \(place): no line of \(file) starts with '\(code)'")
            }
            var phase: TracePhase?
            if let p = entry["phase"] as? String {
                guard let parsed = TracePhase(rawValue: p) else {
                    throw InputError("book resources: \(place): phase '\(p)' is not forward, backward or update")
                }
                phase = parsed
            }
            rules.append((phase, regex, line))
        }
        return SeedCode(file: file, lines: lines, rules: rules)
    }

    /// The line (from 0) that produced `event`, or nil when no rule covers it. Forward and
    /// backward share the rules without a phase.
    public func line(for event: TraceEvent) -> Int? {
        let label = Linear.layerLabel(event.label)
        let range = NSRange(label.startIndex..., in: label)
        for rule in rules {
            if let phase = rule.phase, phase != event.phase { continue }
            if rule.phase == nil && event.phase == .update { continue }
            if rule.match.firstMatch(in: label, range: range) != nil { return rule.line }
        }
        return nil
    }
}

/// Files the book ships beside the binary (SwiftPM copies Sources/Book/Resources into the
/// build's `Unrolled_Book.resources`), with the source tree as the fallback for a moved binary
/// run inside the checkout.
public struct BookResources {
    public let directory: URL

    public static func locate() throws -> BookResources {
        var candidates: [URL] = []
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(executable.deletingLastPathComponent().appendingPathComponent("Unrolled_Book.resources/Resources"))
        if let override = ProcessInfo.processInfo.environment["UNROLLED_BOOK_RESOURCES"] {
            candidates.insert(URL(fileURLWithPath: override), at: 0)
        }
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources"))
        for c in candidates where FileManager.default.fileExists(atPath: c.appendingPathComponent("book.js").path) {
            return BookResources(directory: c)
        }
        throw InputError("book: its page files (book.js, book.css) are missing; looked in \(candidates.map(\.path).joined(separator: ", ")) (set UNROLLED_BOOK_RESOURCES to Sources/Book/Resources)")
    }

    public func text(_ name: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: url.path), let s = String(data: data, encoding: .utf8) else {
            throw InputError("book resources: cannot read \(url.path)")
        }
        return s
    }
}
