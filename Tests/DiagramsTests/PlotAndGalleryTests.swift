import Foundation
import XCTest
@testable import Diagrams

final class PlotAndGalleryTests: XCTestCase {
    func testNiceTicks() {
        let t = NiceTicks(min: 0.13, max: 9.7, target: 6)
        XCTAssertEqual(t.values, [0, 2, 4, 6, 8, 10])
        XCTAssertEqual(t.values.map(t.label), ["0", "2", "4", "6", "8", "10"])
        let small = NiceTicks(min: -0.03, max: 0.12, target: 6)
        XCTAssertEqual(small.step, 0.05, accuracy: 1e-12)
        XCTAssertEqual(small.values.map(small.label), ["−0.05", "0.00", "0.05", "0.10", "0.15"])
        let flat = NiceTicks(min: 3, max: 3)
        XCTAssertLessThan(flat.lower, 3); XCTAssertGreaterThan(flat.upper, 3)
    }

    /// The caller's smoothed curve is drawn over the raw values; without one (or with the wrong
    /// number of values) the raw values are the curve.
    func testSmoothedCurveIsDrawnOnlyWhenGivenOnePerLoss() throws {
        var plot = try LossPlot(train: [3, 2, 1], batchesPerEpoch: 1)
        XCTAssertEqual(plot.scene().groups(named: "train").map(\.name), ["train"])
        plot.smoothedTrain = [3, 2.5]
        XCTAssertEqual(plot.scene().groups(named: "train").map(\.name), ["train"])
        plot.smoothedTrain = [3, 2.5, 2]
        let scene = plot.scene()
        XCTAssertEqual(scene.groups(named: "train").map(\.name), ["train-raw", "train"])
        XCTAssertTrue(scene.texts.contains { $0.string == "train (smoothed, β=0.98)" })
    }

    func testLossPlotScene() throws {
        let batches = 40, epochs = 4
        let train = (0..<(batches * epochs)).map { i in 4.2 * exp(-Double(i) / 60) + 1.5 + 0.2 * sin(Double(i)) }
        var plot = try LossPlot(train: train, batchesPerEpoch: batches, validation: [2.06, 1.79, 1.69, 1.62])
        plot.smoothedTrain = train.map { 4.2 * exp(-$0 / 60) + 1.5 }
        let scene = plot.scene()
        XCTAssertEqual(scene.groups(named: "validation").first?.shapes.filter { $0.kindName == "circle" }.count, 4)
        XCTAssertEqual(scene.groups(named: "train").map(\.name), ["train-raw", "train"])
        XCTAssertEqual(scene.overlappingTexts().map { "\($0.0.string) × \($0.1.string)" }, [])
        let urls = try DiagramWriter.writeLossPlot(plot, to: outputDirectory("loss"))
        XCTAssertEqual(try PNGFile.size(readBytes(urls[1])).width, 640)
        XCTAssertThrowsError(try LossPlot(train: [], batchesPerEpoch: 1))
    }

    /// Lesson 1's loss falls over decades: on the log axis each tenfold drop is the same height.
    func testLogarithmicLossAxisSpacesDecadesEvenly() throws {
        var plot = try LossPlot(train: [100, 10, 1, 0.1], batchesPerEpoch: 1)
        plot.logarithmic = true
        let scene = plot.scene()
        guard case .polyline(let points, _, _)? = scene.groups(named: "train").first?.shapes.first else {
            return XCTFail("no training curve")
        }
        let drops = zip(points, points.dropFirst()).map { $1.y - $0.y }
        XCTAssertGreaterThan(drops[0], 10)
        for d in drops { XCTAssertEqual(d, drops[0], accuracy: 1e-6) }
        XCTAssertTrue(scene.texts.contains { $0.string == "log₁₀ loss" })
    }

    func testLossPlotPositionsForUnevenEpochs() throws {
        // A scaled schedule: 0.2 of an epoch, then 0.05; validation after each.
        var plot = try LossPlot(train: [3, 2.8, 2.6, 2.5, 2.4], batchesPerEpoch: 1, validation: [2.7, 2.45])
        plot.smoothedTrain = [3, 2.9, 2.8, 2.7, 2.6]
        plot.trainPositions = [0.05, 0.1, 0.15, 0.2, 0.25]
        plot.validationPositions = [0.2, 0.25]
        plot.xName = "epochs"
        let scene = plot.scene()
        let dots = scene.groups(named: "validation").first!.shapes.compactMap { shape -> Double? in
            if case .circle(let center, _, _) = shape { return center.x } else { return nil }
        }
        // Each validation dot sits above the batch that ended its epoch (positions 0.2 and 0.25).
        guard case .polyline(let raw, _, _)? = scene.groups(named: "train-raw").first?.shapes.first else {
            return XCTFail("no raw training curve")
        }
        XCTAssertEqual(dots, [raw[3].x, raw[4].x])
        XCTAssertLessThan(raw[0].x, raw[1].x)
        XCTAssertTrue(scene.texts.contains { $0.string == "epochs" })
    }

    func testLegendAvoidsTheCurvesAndLongTitlesAreCut() throws {
        // Validation starts high at the right: the top-right corner is taken, so the legend goes below.
        var plot = try LossPlot(train: (0..<40).map { 3 - Double($0) / 40 }, batchesPerEpoch: 20, validation: [4.9, 4.2])
        plot.title = String(repeating: "a very long title ", count: 8)
        let scene = plot.scene()
        guard case .rect(let card, _, _)? = scene.groups(named: "legend").first?.shapes.first else {
            return XCTFail("the legend has no card")
        }
        XCTAssertGreaterThan(card.minY, scene.height / 2)
        let title = try XCTUnwrap(scene.texts.first { $0.string.hasPrefix("a very long") })
        XCTAssertTrue(title.string.hasSuffix("…"))
        XCTAssertEqual(scene.overlappingTexts().map { "\($0.0.string) × \($0.1.string)" }, [])
    }

    func testGalleryLinksEverySVG() throws {
        let root = outputDirectory("gallery")
        let arch = try DiagramWriter.writeArchitecture(.char3(), to: root.appendingPathComponent("arch"), name: "char3")
        let page = try Gallery.write(sections: [GallerySection(title: "Architectures", folder: root.appendingPathComponent("arch"),
                                                               files: arch)], to: root)
        let html = try String(contentsOf: page, encoding: .utf8)
        XCTAssertTrue(html.contains("<img src=\"arch/char3.svg\""), html)
        XCTAssertTrue(html.contains("<a href=\"arch/char3.png\">"))
        XCTAssertTrue(html.contains("<h2>Architectures</h2>"))
        // Each picture opens at full size: on click in place (no size cap), or alone by its link.
        XCTAssertTrue(html.contains("figure.full img { max-width: none; max-height: none;"), html)
        XCTAssertTrue(html.contains("classList.toggle(\"full\")"), html)
        XCTAssertTrue(html.contains("<a href=\"arch/char3.svg\">open alone</a>"), html)
    }

    func testUnwritableDirectoryGivesAClearError() throws {
        let blocker = outputDirectory("blocked")
        try FileManager.default.createDirectory(at: blocker.deletingLastPathComponent(), withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: blocker.path, contents: Data("not a folder".utf8)))
        XCTAssertThrowsError(try DiagramWriter.writeArchitecture(.plainNN(), to: blocker, name: "nn")) { error in
            XCTAssertEqual("\(error)", "cannot create output directory \(blocker.path): a file with that name exists")
        }
        // A file further up: the message names it (Foundation's own reads "could not be completed").
        let below = blocker.appendingPathComponent("char3")
        XCTAssertThrowsError(try DiagramWriter.writeArchitecture(.plainNN(), to: below, name: "nn")) { error in
            XCTAssertEqual("\(error)", "cannot create output directory \(below.path): \(blocker.path) is a file, not a folder")
        }
    }

    func testSceneSnapshotOfChar3() throws {
        // A stable text dump: what is drawn and in which colour, not where (fonts may move pixels).
        let scene = try Architecture.char3().scene()
        let counts = scene.shapeCountsByColor()
        XCTAssertEqual(counts["arrow \(Color.inputToHidden.hexString)"], 3 + 1)     // + legend sample
        XCTAssertEqual(counts["arrow \(Color.hiddenToHidden.hexString)"], 2 + 1)
        XCTAssertEqual(counts["arrow \(Color.hiddenToOutput.hexString)"], 1 + 1)
        XCTAssertEqual(scene.groups(named: "node:").map(\.name),
                       ["node:c1", "node:h1", "node:c2", "node:h2", "node:c3", "node:h3", "node:out"])
        let nodeKinds = scene.groups(named: "node:").map { $0.shapes.first!.kindName }
        XCTAssertEqual(nodeKinds, ["rect", "circle", "rect", "circle", "rect", "circle", "triangle"])
        // Char 2 enters beside hidden layer 2 (same row), as the lecture draws it.
        let centres = Dictionary(uniqueKeysWithValues: scene.groups(named: "node:").map { ($0.name, $0.shapes[0].bounds()!.center) })
        XCTAssertEqual(centres["node:c2"]!.y, centres["node:h2"]!.y, accuracy: 0.01)
        XCTAssertLessThan(centres["node:c2"]!.x, centres["node:h2"]!.x)
        XCTAssertEqual(centres["node:h1"]!.x, centres["node:h3"]!.x, accuracy: 0.01)
    }

    func testUnrolledDiagramHasOneColumnPerCharacter() throws {
        for steps in [3, 8] {
            let scene = try Architecture.charLoop(unrolled: true, steps: steps).scene()
            let inputs = scene.groups(named: "node:c").map { $0.shapes[0].bounds()!.center }
            XCTAssertEqual(inputs.count, steps)
            XCTAssertEqual(Set(inputs.map { Int($0.y.rounded()) }).count, 1, "inputs share a row")
            XCTAssertEqual(inputs.map(\.x), inputs.map(\.x).sorted())
        }
    }

    func testCyclicEdgesAreRejected() {
        let arch = Architecture(title: "bad", nodes: [.init("a", .hidden), .init("b", .hidden)],
                                edges: [.init("a", "b", .lHidden), .init("b", "a", .lHidden)])
        XCTAssertThrowsError(try arch.scene())
        let unknown = Architecture(title: "bad", nodes: [.init("a", .hidden)], edges: [.init("a", "zz", .lOut)])
        XCTAssertThrowsError(try unknown.scene()) { XCTAssertTrue("\($0)".contains("unknown node 'zz'")) }
    }
}

func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}

final class ElidedTitleTests: XCTestCase {
    /// A title cut with "…" keeps its whole text on hover; one that fits has no tooltip.
    func testCutTitlesKeepTheirWholeTextOnHover() throws {
        let long = String(repeating: "log_softmax(l_out(outp[-1])) ", count: 6)
        var plot = try LossPlot(train: [3, 2, 1.5], batchesPerEpoch: 3)
        plot.title = long
        XCTAssertEqual(plot.scene().tooltips.map(\.text), [long])
        XCTAssertTrue(plot.scene().texts.contains { $0.string.hasSuffix("…") })
        plot.title = "Loss"
        XCTAssertTrue(plot.scene().tooltips.isEmpty)
        let watch = try SeriesPlot(steps: [1, 2], panels: [.init(title: long, series: [.init(name: "a", values: [1, 2])])], title: "w")
        XCTAssertEqual(watch.scene().tooltips.map(\.text), [long])
    }
}
