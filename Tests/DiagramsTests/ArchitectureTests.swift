import Foundation
import XCTest
@testable import Diagrams

final class ArchitectureTests: XCTestCase {
    func testEveryLessonDiagramIsLegible() throws {
        for (name, arch) in Architecture.lessonDiagrams() {
            let scene = try arch.scene()
            let overlaps = scene.overlappingTexts().map { "'\($0.0.string)' × '\($0.1.string)'" }
            XCTAssertEqual(overlaps, [], "\(name): overlapping labels")
            let covering = scene.textsCoveringGroups(prefix: "node:").map { "'\($0.text)' on \($0.group)" }
            XCTAssertEqual(covering, [], "\(name): labels on nodes")
            XCTAssertLessThan(scene.width, 2400, name)
            XCTAssertLessThan(scene.height, 1200, name)
        }
    }

    func testWriteLessonArchitectures() throws {
        let dir = outputDirectory("architectures")
        let urls = try DiagramWriter.writeLessonArchitectures(to: dir)
        XCTAssertEqual(urls.count, 2 * Architecture.lessonDiagrams().count)
        for url in urls { XCTAssertTrue(FileManager.default.fileExists(atPath: url.path), url.path) }
    }
}
