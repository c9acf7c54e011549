import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import Diagrams

final class SGDAnimationTests: XCTestCase {
    func makeAnimation() throws -> LinearSGDAnimation {
        let (x, y) = LinearSGDFixture.data()
        return try LinearSGDAnimation(x: x, y: y, frames: LinearSGDFixture.trajectory(x: x, y: y))
    }

    func testFixtureFollowsTheLessonsUpdates() {
        let (x, y) = LinearSGDFixture.data()
        let frames = LinearSGDFixture.trajectory(x: x, y: y)
        XCTAssertEqual(frames.count, 20)
        XCTAssertEqual(frames[0], LineFit(a: -1, b: 1))
        // SGD heads towards the generating line (a=3, b=8): b first, a slowly.
        XCTAssertGreaterThan(frames[19].b, 5)
    }

    func testFrameSceneHasPointsLineAndCaption() throws {
        let animation = try makeAnimation()
        let scene = animation.frameScene(3)
        XCTAssertEqual(scene.groups(named: "points").first?.shapes.count, 50)
        XCTAssertEqual(scene.groups(named: "line").count, 1)
        let caption = scene.groups(named: "caption").first!.shapes.compactMap { s -> String? in
            if case .text(let t) = s { return t.string } else { return nil }
        }
        XCTAssertEqual(caption.first, "frame 4/20  ·  after 90 updates")
        XCTAssertTrue(caption[1].hasPrefix("a = "), caption[1])
        XCTAssertEqual(scene.overlappingTexts().map { "\($0.0.string) × \($0.1.string)" }, [])
        // The axes do not move between frames, only the line and caption.
        XCTAssertEqual(animation.frameScene(0).shapes.first, scene.shapes.first)
    }

    func testInvalidInputIsRejectedWithAMessage() {
        XCTAssertThrowsError(try LinearSGDAnimation(x: [1, 2], y: [1], frames: [LineFit(a: 0, b: 0)])) { error in
            XCTAssertEqual("\(error)", "cannot draw: SGD animation: 2 x values but 1 y values")
        }
    }

    func testWritesFramesAPNGSMILAndPlayer() throws {
        let animation = try makeAnimation()
        let dir = outputDirectory("sgd")
        let files = try DiagramWriter.writeSGDAnimation(animation, to: dir)
        XCTAssertEqual(files.framePNGs.count, 20)
        XCTAssertEqual(files.frameSVGs.count, 20)
        XCTAssertEqual(files.framePNGs[0].lastPathComponent, "sgd-frame-01.png")

        let size = try PNGFile.size(readBytes(files.framePNGs[7]))
        XCTAssertEqual(size.width, 500); XCTAssertEqual(size.height, 400)

        try checkAPNG(readBytes(files.apng), frames: 20, width: 500, height: 400)
        try checkSMIL(files.animatedSVG, frames: 20)
        try checkFrameSVG(files.frameSVGs[0])

        let html = try String(contentsOf: files.player, encoding: .utf8)
        for control in ["id=\"play\"", "id=\"pause\"", "id=\"prev\"", "id=\"next\"", "id=\"slider\"", "type=\"range\""] {
            XCTAssertTrue(html.contains(control), "player lacks \(control)")
        }
        XCTAssertEqual(html.components(separatedBy: "data:image/png;base64,").count - 1, 21)   // 20 frames + first src
        XCTAssertFalse(html.contains("<script src"), "player must not load external scripts")
        XCTAssertFalse(html.contains("http://") || html.contains("https://"))

        XCTAssertEqual(files.contour.map(\.pathExtension), ["svg", "png"])
    }

    func checkAPNG(_ bytes: [UInt8], frames: Int, width: Int, height: Int) throws {
        let chunks = try PNGFile.chunks(bytes)
        for c in chunks { XCTAssertEqual(c.storedCRC, c.computedCRC, "bad CRC in \(c.type)") }
        XCTAssertEqual(chunks.first?.type, "IHDR")
        XCTAssertEqual(chunks[1].type, "acTL")
        XCTAssertEqual(BigEndian.uint32(chunks[1].data, at: 0), UInt32(frames))
        XCTAssertEqual(BigEndian.uint32(chunks[1].data, at: 4), 0, "loops forever")
        XCTAssertEqual(chunks.last?.type, "IEND")
        // fcTL and fdAT share one sequence 0, 1, 2, … in file order.
        let sequenced = chunks.filter { $0.type == "fcTL" || $0.type == "fdAT" }
        XCTAssertEqual(sequenced.map { Int(BigEndian.uint32($0.data, at: 0)) }, Array(0..<sequenced.count))
        let controls = chunks.filter { $0.type == "fcTL" }
        XCTAssertEqual(controls.count, frames)
        for c in controls {
            XCTAssertEqual(c.data.count, 26)
            XCTAssertEqual(Int(BigEndian.uint32(c.data, at: 4)), width)
            XCTAssertEqual(Int(BigEndian.uint32(c.data, at: 8)), height)
            XCTAssertEqual(BigEndian.uint16(c.data, at: 20), 100)    // 100 / 1000 s
            XCTAssertEqual(BigEndian.uint16(c.data, at: 22), 1000)
        }
        // The first frame is the ordinary IDAT image (fcTL before it); later frames use fdAT.
        let types = chunks.map(\.type)
        XCTAssertLessThan(types.firstIndex(of: "fcTL")!, types.firstIndex(of: "IDAT")!)
        XCTAssertFalse(types.contains("fdAT") && types.lastIndex(of: "IDAT")! > types.firstIndex(of: "fdAT")!)
        XCTAssertGreaterThanOrEqual(types.filter { $0 == "fdAT" }.count, frames - 1)
    }

    func checkSMIL(_ url: URL, frames: Int) throws {
        let doc = try XMLDocument(contentsOf: url, options: [])
        let root = try XCTUnwrap(doc.rootElement())
        XCTAssertEqual(root.name, "svg")
        let lineAnimations = "//*[local-name()='line']/*[local-name()='animate']"
        XCTAssertEqual(try strings(doc, lineAnimations + "/@attributeName"), ["y1", "y2"])
        for values in try strings(doc, lineAnimations + "/@values") {
            XCTAssertEqual(values.split(separator: ";").count, frames)
        }
        XCTAssertEqual(try strings(doc, lineAnimations + "/@calcMode"), ["discrete", "discrete"])
        XCTAssertEqual(try strings(doc, lineAnimations + "/@repeatCount"), ["indefinite", "indefinite"])
        let captions = try doc.nodes(forXPath: "//*[local-name()='g'][@class='caption']")
        XCTAssertEqual(captions.count, frames)
        // The still background is Cairo's SVG, nested.
        XCTAssertEqual(try doc.nodes(forXPath: "/*[local-name()='svg']/*[local-name()='svg']").count, 1)
    }

    func checkFrameSVG(_ url: URL) throws {
        let doc = try XMLDocument(contentsOf: url, options: [])
        XCTAssertEqual(doc.rootElement()?.name, "svg")
        XCTAssertEqual(try strings(doc, "/*/@width"), ["500px"])
        XCTAssertGreaterThan(try doc.nodes(forXPath: "//*[local-name()='path']").count, 50)
    }

    /// String values of the nodes an XPath selects (FoundationXML's attribute lookup ignores
    /// attributes of namespaced SVG elements, XPath does not).
    func strings(_ doc: XMLDocument, _ xpath: String) throws -> [String] {
        try doc.nodes(forXPath: xpath).compactMap(\.stringValue)
    }
}
