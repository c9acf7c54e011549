import Foundation
@testable import LessonEngine
import Models

/// A small deterministic corpus (no network, no ../shared data) and a tiny lesson, so a whole
/// schedule trains in a second in a debug build.
enum Tiny {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static var lessonsDirectory: String { repoRoot.appendingPathComponent("lessons").path }

    static func corpus(characters: Int = 3000) throws -> String {
        let words = ["the", "will", "to", "power", "is", "truth", "a", "woman", "and", "what", "then", "of", "philosophers"]
        var state: UInt64 = 7
        var text = ""
        while text.unicodeScalars.count < characters {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            text += words[Int(state >> 33) % words.count] + ((state >> 20) % 9 == 0 ? ".\n" : " ")
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("unrolled-tiny-\(getpid())-\(characters).txt")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    static func lesson(_ model: String = "CharLoopModel", layout: String = "overlapping-windows",
                       schedule: String = "  - {optimizer: adam, lr: 1.0e-2, epochs: 2.5}\n  - {lr: 1.0e-3, epochs: 1.5}\n") throws -> Lesson {
        try Lesson.parse(yaml: """
            id: tiny
            title: tiny
            model: \(model)
            hyperparameters: {n_hidden: 16, n_fac: 4, seq_length: 4, batch_size: 64}
            data: {layout: \(layout), validation: cv-20}
            schedule:
            \(schedule)
            """, source: "tiny.yaml")
    }

    static func temporaryDirectory() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("unrolled-test-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}
