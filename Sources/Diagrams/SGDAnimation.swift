// The lesson's "can you do this with NumPy?" animation: 50 points, a line y = a·x + b that SGD
// moves a little every frame. The caller runs SGD (the lesson engine owns the maths); this file
// only draws frames. Every frame shares one PlotFrame, so the axes stay still and only the
// line moves, like matplotlib's FuncAnimation.

import Foundation

/// The fitted line y = a·x + b at one frame of the SGD animation.
public struct LineFit: Equatable, Sendable {
    public var a: Float
    public var b: Float
    public init(a: Float, b: Float) { self.a = a; self.b = b }
}

/// Frames of linear regression by SGD: scatter of the data, the current line, a caption.
public struct LinearSGDAnimation {
    public let x: [Float]
    public let y: [Float]
    /// (a, b) at each frame, first frame = starting guess.
    public let frames: [LineFit]
    /// SGD updates between frames (30 in the lesson), shown in the caption; nil to omit.
    public var updatesPerFrame: Int?
    /// How many of the points to draw (the first n; the loss uses all of them); nil: all.
    public var drawnPoints: Int?
    /// A line under the title saying what is fitted: points, start, learning rate.
    public var subtitle: String?
    /// Milliseconds each frame is shown by the animated outputs (matplotlib's `interval=100`).
    public var frameDuration: Int = 100
    public var width = 500.0
    public var height = 400.0
    public var measurer: TextMeasurer = .shared

    /// Throws when the points are missing, x and y differ in length, or there are no frames.
    public init(x: [Float], y: [Float], frames: [LineFit], updatesPerFrame: Int? = 30) throws {
        guard !x.isEmpty else { throw DiagramError.invalidInput("SGD animation needs at least one data point") }
        guard x.count == y.count else {
            throw DiagramError.invalidInput("SGD animation: \(x.count) x values but \(y.count) y values")
        }
        guard !frames.isEmpty else { throw DiagramError.invalidInput("SGD animation needs at least one frame") }
        self.x = x; self.y = y; self.frames = frames; self.updatesPerFrame = updatesPerFrame
        var s = [0.0, 0.0, 0.0, 0.0, 0.0]
        for (xi, yi) in zip(x, y) {
            let (xd, yd) = (Double(xi), Double(yi))
            s[0] += xd; s[1] += yd; s[2] += xd * xd; s[3] += xd * yd; s[4] += yd * yd
        }
        sums = s
    }

    /// Σx, Σy, Σx², Σxy, Σy²: the mean squared error of any line needs only these, so the
    /// contour's thousands of losses over 10,000 points cost one pass.
    let sums: [Double]

    /// Mean squared error of a line on the data (the lesson's `mse_loss`), expanded over the sums.
    public func loss(_ fit: LineFit) -> Double {
        let (a, b, n) = (Double(fit.a), Double(fit.b), Double(x.count))
        let total = a * a * sums[2] + b * b * n + sums[4] + 2 * a * b * sums[0] - 2 * a * sums[3] - 2 * b * sums[1]
        return Swift.max(0, total / n)
    }

    public var xRange: (Double, Double) {
        let xs = x.map(Double.init)
        return (xs.min()!, xs.max()!)
    }

    /// One mapping for all frames: covers the data and every frame's line over the data's x range.
    public var plotFrame: PlotFrame {
        let (x0, x1) = xRange
        var ys = y.map(Double.init)
        for f in frames { ys += [line(f, at: x0), line(f, at: x1)] }
        let yr = ys.finiteRange ?? (0, 1)
        let xTicks = NiceTicks(min: x0, max: x1, target: 6)
        let yTicks = NiceTicks(min: yr.min, max: yr.max, target: 7)
        let left = PlotFrame.leftMargin(for: yTicks, measurer: measurer) + 8
        // Room under the title for the subtitle lines.
        let top = 60.0 + 13 * Double(subtitleLines.count)
        let area = Rect(x: left, y: top, width: width - left - 20, height: height - top - 78)
        return PlotFrame(area: area, xTicks: xTicks, yTicks: yTicks)
    }

    func line(_ f: LineFit, at xv: Double) -> Double { Double(f.a) * xv + Double(f.b) }

    /// Axes, points and title: what every frame has in common.
    public func staticShapes() -> [Shape] {
        let frame = plotFrame
        var shapes = frame.axes(xName: "x", yName: "y")
        let dot = Style(fill: Color.hiddenToOutput.withAlpha(0.75), stroke: .white, lineWidth: 0.5)
        let shown = min(drawnPoints ?? x.count, x.count)
        shapes.append(.group(name: "points", zip(x.prefix(shown), y.prefix(shown)).map { .circle(center: frame.point(Double($0), Double($1)), radius: 3.2, dot) }))
        shapes.append(.text("SGD fitting y = a·x + b", at: Point(frame.area.minX, 12), size: 14, weight: .bold,
                            horizontal: .leading, vertical: .top))
        for (k, line) in subtitleLines.enumerated() {
            let fitted = measurer.truncate(line, font: Font(size: 10.5), maxWidth: width - frame.area.minX - 8)
            shapes.append(.text(fitted, at: Point(frame.area.minX, 32 + Double(k) * 13), size: 10.5, color: .text,
                                horizontal: .leading, vertical: .top))
        }
        return shapes
    }

    /// What is fitted (the subtitle) and, when only some points are drawn, how many.
    var subtitleLines: [String] {
        let shown = min(drawnPoints ?? x.count, x.count)
        var lines: [String] = []
        if let subtitle { lines.append(subtitle) }
        if shown < x.count { lines.append("\(shown) of the \(x.count) points drawn; the loss is over all of them") }
        return lines
    }

    /// The two ends of frame `i`'s line in pixels.
    public func lineEnds(_ i: Int) -> (Point, Point) {
        let (x0, x1) = xRange
        let frame = plotFrame
        return (frame.point(x0, line(frames[i], at: x0)), frame.point(x1, line(frames[i], at: x1)))
    }

    /// "frame 3/20 · 60 updates" and "a = … b = … loss = …", as two caption lines.
    public func caption(_ i: Int) -> [String] {
        let f = frames[i]
        var first = "frame \(i + 1)/\(frames.count)"
        if let n = updatesPerFrame { first += "  ·  after \(i * n) updates" }
        let second = String(format: "a = %.3f   b = %.3f   loss = %.4f", f.a, f.b, loss(f))
            .replacingOccurrences(of: "-", with: "−")
        return [first, second]
    }

    /// Where caption line `k` is anchored (left end, middle of the line box).
    func captionAnchor(_ k: Int) -> Point {
        Point(plotFrame.area.minX, height - 28 + Double(k) * 16)
    }

    public static let lineColor = Color(hex: 0xE4572E)
    static let captionSize = 12.0

    /// The parts of frame `i` that change: the line and its caption.
    public func movingShapes(_ i: Int) -> [Shape] {
        let (p0, p1) = lineEnds(i)
        var shapes: [Shape] = [.group(name: "line", [.line(p0, p1, .stroke(Self.lineColor, width: 2.5))])]
        let lines = caption(i)
        shapes.append(.group(name: "caption", lines.enumerated().map { k, s in
            .text(s, at: captionAnchor(k), size: Self.captionSize, color: .text, horizontal: .leading,
                  vertical: .middle, family: .mono)
        }))
        return shapes
    }

    /// Frame `i` as a complete picture.
    public func frameScene(_ i: Int) -> Scene {
        Scene(width: width, height: height, shapes: staticShapes() + movingShapes(i))
    }
}
