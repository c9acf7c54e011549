import XCTest
@testable import Diagrams

/// The PCA scatter: every point gets its label and no two labels (or a label and a marker) overlap,
/// even when the points crowd together.
final class LabelledScatterTests: XCTestCase {
    func testLabelsNeverOverlapEvenWhenPointsCrowd() throws {
        // 50 points: half on a tight cluster, half spread, titles of MovieLens length.
        var items: [LabelledScatter.Item] = []
        for k in 0..<50 {
            let t = Double(k)
            let (x, y) = k < 25 ? (0.001 * sin(t), 0.001 * cos(t * 1.7)) : (0.05 * sin(t * 0.9), 0.05 * cos(t * 1.3))
            items.append(.init(x: x, y: y, label: "Planted Movie \(1000 + k * 37) (19\(50 + k % 50))"))
        }
        let plot = try LabelledScatter(items: items, title: "test", xName: "fac0", yName: "fac1")
        let (scene, boxes) = plot.layout()
        let texts = scene.shapes.flatMap(\.flattened).compactMap { shape -> TextItem? in
            if case .text(let t) = shape, t.string.hasPrefix("Planted") { return t } else { return nil }
        }
        XCTAssertEqual(texts.count, 50, "every point labelled")
        let measured = texts.map { TextMeasurer.shared.bounds(of: $0) }
        for i in measured.indices {
            for j in measured.indices where j > i {
                XCTAssertFalse(measured[i].insetBy(0.5).intersects(measured[j].insetBy(0.5)), "'\(texts[i].string)' overlaps '\(texts[j].string)'")
            }
        }
        XCTAssertTrue(boxes.allSatisfy { $0.width > 0 })
        let markers = scene.shapes.flatMap(\.flattened).compactMap { shape -> Point? in
            if case .circle(let c, _, _) = shape { return c } else { return nil }
        }
        XCTAssertEqual(markers.count, 50)
        for box in measured { XCTAssertFalse(markers.contains { box.insetBy(0.5).intersects(Rect(center: $0, width: 6, height: 6)) }) }
    }

    func testBadInput() {
        XCTAssertThrowsError(try LabelledScatter(items: [], title: "", xName: "", yName: ""))
        XCTAssertThrowsError(try LabelledScatter(items: [.init(x: .nan, y: 0, label: "a")], title: "", xName: "", yName: ""))
    }
}
