// The notes' PCA picture: movies placed by two components, each with its title. matplotlib's
// `plt.text` lets titles pile up; here each label takes the first free spot around its point
// (then further out, joined by a thin leader line), so no two labels and no label and marker
// overlap.

import Foundation

public struct LabelledScatter {
    public struct Item: Equatable, Sendable {
        public var x: Double, y: Double, label: String
        public init(x: Double, y: Double, label: String) { self.x = x; self.y = y; self.label = label }
    }

    public var items: [Item]
    public var title: String
    public var xName: String
    public var yName: String
    public var width = 1100.0
    public var height = 820.0
    public var fontSize = 10.0
    /// Labels longer than this are cut with "…".
    public var maxLabelWidth = 190.0
    public let measurer: TextMeasurer

    public init(items: [Item], title: String, xName: String, yName: String, measurer: TextMeasurer = .shared) throws {
        guard !items.isEmpty else { throw DiagramError.invalidInput("a scatter plot needs at least one point") }
        guard items.allSatisfy({ $0.x.isFinite && $0.y.isFinite }) else {
            throw DiagramError.invalidInput("scatter plot: a point has a non-finite coordinate")
        }
        self.items = items; self.title = title; self.xName = xName; self.yName = yName; self.measurer = measurer
    }

    public func scene() -> Scene { layout().scene }

    /// The scene and where each label went (an empty rect for a label left out).
    public func layout() -> (scene: Scene, labels: [Rect]) {
        let xr = items.map(\.x).finiteRange!, yr = items.map(\.y).finiteRange!
        let xTicks = NiceTicks(min: xr.min, max: xr.max, target: 8)
        let yTicks = NiceTicks(min: yr.min, max: yr.max, target: 7)
        let left = PlotFrame.leftMargin(for: yTicks, measurer: measurer) + 8
        let frame = PlotFrame(area: Rect(x: left, y: 60, width: width - left - 24, height: height - 60 - 64),
                              xTicks: xTicks, yTicks: yTicks)
        var shapes = frame.axes(xName: xName, yName: yName)
        let dot = Color.hiddenToOutput, radius = 3.0
        let points = items.map { frame.point($0.x, $0.y) }
        // Markers are obstacles too, so no label covers a point.
        var taken: [Rect] = points.map { Rect(center: $0, width: 2 * radius + 2, height: 2 * radius + 2) }
        let font = Font(size: fontSize)
        var labelShapes: [Shape] = [], leaders: [Shape] = [], boxes = [Rect](repeating: Rect(x: 0, y: 0, width: 0, height: 0), count: items.count)
        // Crowded points first: they have the fewest free spots.
        let crowding = points.map { p in points.filter { ($0 - p).length < 60 }.count }
        let order = items.indices.sorted { crowding[$0] != crowding[$1] ? crowding[$0] > crowding[$1] : $0 < $1 }
        for k in order {
            let text = measurer.truncate(items[k].label, font: font, maxWidth: maxLabelWidth)
            let m = measurer.metrics(text, font: font)
            let (w, h) = (m.width + 2, m.height)
            let p = points[k]
            var chosen: Rect?
            search: for ring in 0..<14 {
                let d = 5.0 + Double(ring) * 9
                // Right, left, above, below, then the diagonals, then 16 directions further out.
                let directions: [(Double, Double)] = ring == 0
                    ? [(1, 0), (-1, 0), (0, -1), (0, 1), (1, -1), (-1, -1), (1, 1), (-1, 1)]
                    : (0..<16).map { let a = Double($0) * .pi / 8; return (cos(a), sin(a)) }
                for (dx, dy) in directions {
                    let cx = p.x + dx * (d + w / 2), cy = p.y + dy * (d + h / 2)
                    let box = Rect(center: Point(cx, cy), width: w, height: h)
                    guard box.minX >= frame.area.minX + 1, box.maxX <= frame.area.maxX - 1,
                          box.minY >= frame.area.minY + 1, box.maxY <= frame.area.maxY - 1 else { continue }
                    if taken.contains(where: { $0.intersects(box) }) { continue }
                    chosen = box
                    if ring > 0 {
                        // A leader from the marker's edge to the label's nearest side.
                        let end = Point(min(max(p.x, box.minX), box.maxX), min(max(p.y, box.minY), box.maxY))
                        let start = p + (end - p).unit * radius
                        leaders.append(.line(start, end, .stroke(Color.grey.withAlpha(0.6), width: 0.6)))
                    }
                    break search
                }
            }
            // With 14 rings (~120 px) free room always exists for the notes' 50 movies; should a
            // label still find none, it is left out rather than drawn over another.
            guard let box = chosen else { continue }
            taken.append(box)
            boxes[k] = box
            labelShapes.append(.text(text, at: Point(box.minX + 1, box.center.y), size: fontSize, color: .text,
                                     horizontal: .leading, vertical: .middle))
        }
        shapes.append(.group(name: "leaders", leaders))
        shapes.append(.group(name: "points", points.map { .circle(center: $0, radius: radius, Style(fill: dot, stroke: .white, lineWidth: 0.8)) }))
        shapes.append(.group(name: "labels", labelShapes))
        shapes += Shape.elided(title, at: Point(frame.area.minX, 12), size: 14, weight: .bold, maxWidth: width - frame.area.minX - 8)
        return (Scene(width: width, height: height, shapes: shapes), boxes)
    }
}
