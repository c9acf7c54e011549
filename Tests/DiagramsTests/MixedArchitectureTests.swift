import Foundation
import XCTest
@testable import Diagrams

final class MixedArchitectureTests: XCTestCase {
    func testLessonSixNetworksAreLegible() throws {
        for arch in [Architecture.embeddingNet(), .mixedInput()] {
            let scene = try arch.scene()
            XCTAssertEqual(scene.overlappingTexts().map { "'\($0.0.string)' × '\($0.1.string)'" }, [], arch.title)
            XCTAssertEqual(scene.textsCoveringGroups(prefix: "node:").map { "'\($0.text)' on \($0.group)" }, [], arch.title)
            XCTAssertLessThan(scene.width, 2400, arch.title)
            XCTAssertLessThan(scene.height, 1200, arch.title)
        }
    }
}
