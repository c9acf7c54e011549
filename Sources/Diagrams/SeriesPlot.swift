// Values followed across training steps (`unrolled watch`): one panel per watched expression,
// each with its own y axis (a weight, its gradient and Adam's v differ by orders of magnitude),
// sharing the step axis; a panel holds one line per watched element.

import Foundation

public struct SeriesPlot {
    public struct Series {
        public var name: String
        public var values: [Double]
        public init(name: String, values: [Double]) { self.name = name; self.values = values }
    }

    public struct Panel {
        public var title: String
        public var series: [Series]
        public init(title: String, series: [Series]) { self.title = title; self.series = series }
    }

    public var steps: [Double]
    public var panels: [Panel]
    public var title: String
    /// log10 of |value| on every y axis (values spanning decades, gradient norms).
    public var logarithmic = false
    public var width = 720.0
    public var panelHeight = 190.0

    public init(steps: [Double], panels: [Panel], title: String) throws {
        guard !steps.isEmpty, !panels.isEmpty, panels.allSatisfy({ !$0.series.isEmpty }) else {
            throw DiagramError.invalidInput("a watch plot needs at least one step and one series")
        }
        guard panels.allSatisfy({ $0.series.allSatisfy { $0.values.count == steps.count } }) else {
            throw DiagramError.invalidInput("every series needs one value per step")
        }
        self.steps = steps; self.panels = panels; self.title = title
    }

    static let palette: [Color] = [Color(hex: 0x1F77B4), Color(hex: 0xE4572E), Color(hex: 0x2CA02C), Color(hex: 0x9467BD),
                                   Color(hex: 0x8C564B), Color(hex: 0xD62728), Color(hex: 0x17BECF), Color(hex: 0x7F7F7F)]

    public var height: Double { 36 + Double(panels.count) * panelHeight }

    public func scene() -> Scene {
        func y(_ v: Double) -> Double { logarithmic ? (v == 0 ? .nan : log10(abs(v))) : v }
        let xr = steps.finiteRange ?? (0, 1)
        let xTicks = NiceTicks(min: xr.min, max: xr.max, target: 7)
        var shapes: [Shape] = []
        for (p, panel) in panels.enumerated() {
            let top = 36 + Double(p) * panelHeight
            let ys = panel.series.flatMap { $0.values.map(y) }
            let yr = ys.finiteRange ?? (0, 1)
            let yTicks = NiceTicks(min: yr.min, max: yr.max, target: 4)
            let left = PlotFrame.leftMargin(for: yTicks) + 8
            let frame = PlotFrame(area: Rect(x: left, y: top + 22, width: width - left - 24, height: panelHeight - 22 - 44),
                                  xTicks: xTicks, yTicks: yTicks)
            var parts = frame.axes(xName: p == panels.count - 1 ? "step" : "", yName: "")
            parts += Shape.elided(logarithmic ? "log₁₀ |\(panel.title)|" : panel.title, at: Point(left, top + 4), size: 12,
                                  weight: .bold, maxWidth: width - left - 16)
            for (k, s) in panel.series.enumerated() {
                let colour = Self.palette[k % Self.palette.count]
                let points = zip(steps, s.values).compactMap { x, v -> Point? in
                    let yv = y(v)
                    return yv.isFinite ? frame.point(x, yv) : nil
                }
                var line: [Shape] = points.count > 1 ? [.polyline(points, .stroke(colour, width: 2), head: nil)] : []
                if points.count <= 40 { line += points.map { .circle(center: $0, radius: 2.5, .fill(colour)) } }
                parts.append(.group(name: "series-\(p)-\(k)", line))
            }
            shapes.append(.group(name: "panel-\(p)", parts))
        }
        shapes += Shape.elided(title, at: Point(8, 10), size: 14, weight: .bold, maxWidth: width - 16)
        return Scene(width: width, height: height, shapes: shapes)
    }
}

extension DiagramWriter {
    /// A watch plot as `dir/name.svg` and `dir/name.png`.
    @discardableResult
    public static func writeSeriesPlot(_ plot: SeriesPlot, to dir: URL, name: String) throws -> [URL] {
        try writeScene(plot.scene(), to: dir, name: name)
    }
}
