import Foundation
import XCTest
@testable import Diagrams

/// The hand-written SVG a page scripts: group names kept, text escaped and placed by Cairo's rule.
final class SVGTextTests: XCTestCase {
    func testGroupsKeepTheirNamesAndTextIsEscaped() {
        let scene = Scene(width: 100, height: 50, shapes: [
            .group(name: "op:3", [.rect(Rect(x: 1, y: 2, width: 30, height: 10), cornerRadius: 3, .fill(.red)),
                                  .text("a<b & \"c\"", at: Point(5, 5), horizontal: .leading, vertical: .top)]),
            .group(name: "edge:3-4", [.arrow(from: Point(0, 0), to: Point(0, 20), color: .black)]),
        ])
        let svg = SVGText.svg(scene, className: "graph-svg")
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 100 50\""), svg)
        XCTAssertTrue(svg.contains("<g data-name=\"op:3\"><rect x=\"1\" y=\"2\" width=\"30\" height=\"10\" rx=\"3\" fill=\"#d62728\""), svg)
        XCTAssertTrue(svg.contains(">a&lt;b &amp; &quot;c&quot;</text>"), svg)
        XCTAssertTrue(svg.contains("<g data-name=\"edge:3-4\"><polyline"), svg)
        XCTAssertTrue(svg.contains("<polygon class=\"head\" points=\"0,20 "), "the arrow head ends at the tip: \(svg)")
        XCTAssertTrue(svg.hasSuffix("</svg>"))
    }

    /// A top-anchored label's baseline sits one ascent below its anchor, as CairoPainter draws it.
    func testTextBaselineFollowsCairo() throws {
        let item = TextItem("Hg", at: Point(10, 40), size: 20, horizontal: .center, vertical: .top)
        let m = TextMeasurer.shared.metrics(item.string, font: item.font)
        let svg = SVGText.svg(Scene(width: 100, height: 100, shapes: [.text(item)]))
        let x = SVGText.n(10 - m.width / 2), y = SVGText.n(40 + m.ascent)
        XCTAssertTrue(svg.contains("<text x=\"\(x)\" y=\"\(y)\""), "expected x=\(x) y=\(y) in \(svg)")
        XCTAssertGreaterThan(m.ascent, 10, "a 20-point font's ascent")
    }
}
