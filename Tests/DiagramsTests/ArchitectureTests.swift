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

    /// The concat model: e is a trained table (not "no weights of its own"), and the first cat
    /// gets h = 0 like every later one gets h.
    func testConcatLegendAndFirstHiddenState() throws {
        let arch = Architecture.charLoopConcat(unrolled: true, steps: 3)
        XCTAssertTrue(arch.edges.contains(Architecture.Edge("h0", "cat1", .carryH)))
        let texts = try arch.scene().texts.map(\.string)
        XCTAssertTrue(texts.contains("e: a row of a trained table"), "\(texts)")
        XCTAssertTrue(texts.contains("h: no weights of its own"), "\(texts)")
        XCTAssertFalse(texts.contains { $0.hasPrefix("e, h") }, "\(texts)")
    }

    func testWriteLessonArchitectures() throws {
        let dir = outputDirectory("architectures")
        let urls = try DiagramWriter.writeLessonArchitectures(to: dir)
        XCTAssertEqual(urls.count, 2 * Architecture.lessonDiagrams().count)
        for url in urls { XCTAssertTrue(FileManager.default.fileExists(atPath: url.path), url.path) }
    }
}
