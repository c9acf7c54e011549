// Axes shared by every chart (SGD frames, the MSE contour, loss curves): a data→pixel mapping
// and ticks at "nice" numbers (1, 2, 5 × 10ⁿ), as a reader expects from matplotlib.

import Foundation

/// Tick positions at round numbers covering a range.
public struct NiceTicks: Equatable, Sendable {
    public var lower: Double
    public var upper: Double
    public var step: Double
    public var values: [Double]

    /// About `target` ticks spanning at least `min...max` (the range grows to round ends).
    public init(min: Double, max: Double, target: Int = 6) {
        var lo = min, hi = max
        if !(hi > lo) { lo -= 0.5; hi += 0.5 }   // one value (or nonsense): give it some room
        let step = NiceTicks.niceNumber((hi - lo) / Double(Swift.max(1, target - 1)), round: true)
        let lower = (lo / step).rounded(.down) * step
        let upper = (hi / step).rounded(.up) * step
        let n = Int(((upper - lower) / step).rounded())
        self.lower = lower
        self.upper = upper
        self.step = step
        values = (0...n).map { lower + Double($0) * step }
    }

    /// Heckbert's nice numbers: the closest of 1, 2, 5, 10 times a power of ten.
    static func niceNumber(_ x: Double, round: Bool) -> Double {
        guard x > 0, x.isFinite else { return 1 }
        let exponent = floor(log10(x))
        let fraction = x / pow(10, exponent)
        let nice: Double
        if round {
            nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        } else {
            nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        }
        return nice * pow(10, exponent)
    }

    /// A tick value printed with just enough decimals for this step ("0.25", "10", "-1.5").
    public func label(_ v: Double) -> String {
        let decimals = Swift.max(0, Int(-floor(log10(step) + 1e-9)))
        let text = String(format: "%.\(decimals)f", abs(v) < step * 1e-6 ? 0 : v)
        return text.replacingOccurrences(of: "-", with: "−")
    }
}

/// A rectangle of the canvas showing `x` and `y` ranges of data.
public struct PlotFrame: Equatable, Sendable {
    public var area: Rect
    public var xTicks: NiceTicks
    public var yTicks: NiceTicks

    public init(area: Rect, xTicks: NiceTicks, yTicks: NiceTicks) {
        self.area = area; self.xTicks = xTicks; self.yTicks = yTicks
    }

    /// Pixel position of a data point (y grows upwards in data, downwards on screen).
    public func point(_ x: Double, _ y: Double) -> Point {
        Point(area.minX + (x - xTicks.lower) / (xTicks.upper - xTicks.lower) * area.width,
              area.maxY - (y - yTicks.lower) / (yTicks.upper - yTicks.lower) * area.height)
    }

    /// Frame, ticks, tick labels, optional grid and axis names (x name under the axis, y name
    /// above the y axis, so no rotated text is needed).
    public func axes(xName: String, yName: String, grid: Bool = true, fontSize: Double = 11) -> [Shape] {
        var shapes: [Shape] = []
        let axis = Color(hex: 0x444444)
        if grid {
            for v in xTicks.values.dropFirst().dropLast() {
                let p = point(v, yTicks.lower)
                shapes.append(.line(Point(p.x, area.minY), Point(p.x, area.maxY), .stroke(Color(hex: 0xEBEBEB))))
            }
            for v in yTicks.values.dropFirst().dropLast() {
                let p = point(xTicks.lower, v)
                shapes.append(.line(Point(area.minX, p.y), Point(area.maxX, p.y), .stroke(Color(hex: 0xEBEBEB))))
            }
        }
        shapes.append(.rect(area, cornerRadius: 0, .stroke(axis)))
        for v in xTicks.values {
            let p = point(v, yTicks.lower)
            shapes.append(.line(Point(p.x, area.maxY), Point(p.x, area.maxY + 4), .stroke(axis)))
            shapes.append(.text(xTicks.label(v), at: Point(p.x, area.maxY + 6), size: fontSize, color: axis,
                                horizontal: .center, vertical: .top))
        }
        for v in yTicks.values {
            let p = point(xTicks.lower, v)
            shapes.append(.line(Point(area.minX - 4, p.y), Point(area.minX, p.y), .stroke(axis)))
            shapes.append(.text(yTicks.label(v), at: Point(area.minX - 6, p.y), size: fontSize, color: axis,
                                horizontal: .trailing, vertical: .middle))
        }
        shapes.append(.text(xName, at: Point(area.center.x, area.maxY + 8 + fontSize * 1.4), size: fontSize + 1,
                            color: .text, horizontal: .center, vertical: .top))
        // Starting at the axis, so a long name ("b (intercept)") never runs off the canvas.
        shapes.append(.text(yName, at: Point(area.minX - 4, area.minY - 6), size: fontSize + 1, color: .text,
                            horizontal: .leading, vertical: .bottom))
        return [.group(name: "axes", shapes)]
    }

    /// Room the tick labels need left of the plot area (measured, so long labels fit).
    public static func leftMargin(for ticks: NiceTicks, fontSize: Double = 11,
                                  measurer: TextMeasurer = .shared) -> Double {
        let widest = ticks.values.map { measurer.width(ticks.label($0), font: Font(size: fontSize)) }.max() ?? 0
        return widest + 12
    }
}

extension Array where Element == Double {
    /// The smallest and largest finite value, or nil when there is none.
    var finiteRange: (min: Double, max: Double)? {
        let finite = filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return nil }
        return (lo, hi)
    }
}
