// The loss surface of the SGD animation: mse(a, b) over a grid of (a, b), drawn as filled bands
// plus contour lines (marching squares), with the path SGD took on top. Levels are spaced
// geometrically because the MSE of a bad line is thousands of times that of a good one; equal
// steps would put every line near the start.

import Foundation

/// The MSE landscape of a `LinearSGDAnimation`, with its path.
public struct MSEContour {
    public var animation: LinearSGDAnimation
    /// Grid cells per axis.
    public var resolution = 90
    /// Number of contour levels.
    public var levels = 12
    public var width = 520.0
    public var height = 440.0

    public init(_ animation: LinearSGDAnimation) { self.animation = animation }

    /// The least-squares line, where the MSE is smallest.
    public var minimum: LineFit {
        let n = Double(animation.x.count)
        let xs = animation.x.map(Double.init), ys = animation.y.map(Double.init)
        let mx = xs.reduce(0, +) / n, my = ys.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0
        for (x, y) in zip(xs, ys) { sxy += (x - mx) * (y - my); sxx += (x - mx) * (x - mx) }
        let a = sxx > 0 ? sxy / sxx : 0
        return LineFit(a: Float(a), b: Float(my - a * mx))
    }

    /// The (a, b) window: the path and the minimum with a margin.
    func window() -> (NiceTicks, NiceTicks) {
        let path = animation.frames + [minimum]
        let a = path.map { Double($0.a) }, b = path.map { Double($0.b) }
        let ar = a.finiteRange!, br = b.finiteRange!
        let pa = Swift.max(0.5, 0.15 * (ar.max - ar.min)), pb = Swift.max(0.5, 0.15 * (br.max - br.min))
        return (NiceTicks(min: ar.min - pa, max: ar.max + pa, target: 7),
                NiceTicks(min: br.min - pb, max: br.max + pb, target: 7))
    }

    /// The (a, b) plane in pixels.
    public var plotFrame: PlotFrame {
        let (aTicks, bTicks) = window()
        let left = PlotFrame.leftMargin(for: bTicks) + 8
        return PlotFrame(area: Rect(x: left, y: 60, width: width - left - 20, height: height - 60 - 84),
                         xTicks: aTicks, yTicks: bTicks)
    }

    public func scene() -> Scene {
        let frame = plotFrame
        let (aTicks, bTicks) = (frame.xTicks, frame.yTicks)
        let n = resolution
        let aAt = { (i: Int) in aTicks.lower + (aTicks.upper - aTicks.lower) * Double(i) / Double(n) }
        let bAt = { (j: Int) in bTicks.lower + (bTicks.upper - bTicks.lower) * Double(j) / Double(n) }
        // Loss at grid corners, [j][i] with j along b.
        var grid = [[Double]](repeating: [Double](repeating: 0, count: n + 1), count: n + 1)
        for j in 0...n { for i in 0...n { grid[j][i] = animation.loss(LineFit(a: Float(aAt(i)), b: Float(bAt(j)))) } }
        let all = grid.flatMap { $0 }
        let lo = Swift.max(all.min()!, 1e-6), hi = Swift.max(all.max()!, lo * 1.0001)
        let thresholds = (1...levels).map { k in lo * pow(hi / lo, Double(k) / Double(levels + 1)) }
        func band(_ v: Double) -> Int { thresholds.firstIndex { v < $0 } ?? levels }

        var shapes: [Shape] = []
        // Filled bands: one rect per run of equal-band cells in a row keeps the SVG small.
        var cells: [Shape] = []
        for j in 0..<n {
            var i = 0
            while i < n {
                let centerLoss = { (i: Int) in
                    animation.loss(LineFit(a: Float((aAt(i) + aAt(i + 1)) / 2), b: Float((bAt(j) + bAt(j + 1)) / 2)))
                }
                let k = band(centerLoss(i))
                var end = i + 1
                while end < n && band(centerLoss(end)) == k { end += 1 }
                let p0 = frame.point(aAt(i), bAt(j + 1)), p1 = frame.point(aAt(end), bAt(j))
                // One pixel of overlap: two half-covered edge pixels would let the white show through.
                cells.append(.rect(Rect(x: p0.x, y: p0.y, width: p1.x - p0.x + 1, height: p1.y - p0.y + 1),
                                   cornerRadius: 0, .fill(MSEContour.bandColor(k, of: levels))))
                i = end
            }
        }
        shapes.append(.group(name: "bands", cells))

        var lines: [Shape] = []
        for t in thresholds {
            for polyline in MarchingSquares.contours(grid, level: t) {
                let pts = polyline.map { frame.point(aTicks.lower + (aTicks.upper - aTicks.lower) * $0.x / Double(n),
                                                     bTicks.lower + (bTicks.upper - bTicks.lower) * $0.y / Double(n)) }
                lines.append(.polyline(pts, .stroke(Color(hex: 0x222222, alpha: 0.45), width: 0.8), head: nil))
            }
        }
        shapes.append(.group(name: "contours", lines))
        shapes += frame.axes(xName: "a (slope)", yName: "b (intercept)", grid: false)

        // The path SGD took, one dot per frame.
        let path = animation.frames.map { frame.point(Double($0.a), Double($0.b)) }
        var pathShapes: [Shape] = [.polyline(path, .stroke(.white, width: 4), head: nil),
                                   .polyline(path, .stroke(LinearSGDAnimation.lineColor, width: 2), head: nil)]
        pathShapes += path.map { .circle(center: $0, radius: 2.6, Style(fill: LinearSGDAnimation.lineColor, stroke: .white, lineWidth: 0.8)) }
        let start = animation.frames[0]
        pathShapes.append(.text(String(format: "start (a=%.1f, b=%.1f)", start.a, start.b).replacingOccurrences(of: "-", with: "−"),
                                at: path[0] + Point(8, -8), size: 11, weight: .bold, horizontal: .leading, vertical: .bottom))
        shapes.append(.group(name: "path", pathShapes))
        let m = minimum
        let mp = frame.point(Double(m.a), Double(m.b))
        let minLabel = String(format: "minimum (a=%.2f, b=%.2f)", m.a, m.b)
        // Above the cross (SGD arrives from below), on whichever side has room inside the plot.
        let fitsRight = mp.x + 10 + TextMeasurer.shared.width(minLabel, font: Font(weight: .bold, size: 11)) < frame.area.maxX
        shapes.append(.group(name: "minimum", [
            .line(mp + Point(-6, -6), mp + Point(6, 6), .stroke(.black, width: 2)),
            .line(mp + Point(-6, 6), mp + Point(6, -6), .stroke(.black, width: 2)),
            .text(minLabel, at: mp + Point(fitsRight ? 10 : -10, -10), size: 11, weight: .bold, color: .white,
                  horizontal: fitsRight ? .leading : .trailing, vertical: .bottom)]))
        shapes.append(.text("MSE(a, b) with the SGD path", at: Point(frame.area.minX, 12), size: 14, weight: .bold,
                            horizontal: .leading, vertical: .top))
        shapes.append(.text("darker = lower loss; contour levels are spaced ×\(String(format: "%.2f", pow(hi / lo, 1 / Double(levels + 1)))) apart; dots: one per frame",
                            at: Point(frame.area.minX, height - 14), size: 11, color: Color(hex: 0x555555),
                            horizontal: .leading, vertical: .bottom))
        return Scene(width: width, height: height, shapes: shapes)
    }

    /// Dark (low loss) to light (high loss) blues: the eye reads dark as "deep", like a valley.
    static func bandColor(_ k: Int, of levels: Int) -> Color {
        let t = Double(k) / Double(levels)
        let dark = (0.12, 0.25, 0.45), light = (0.93, 0.96, 1.0)
        return Color(red: dark.0 + (light.0 - dark.0) * t, green: dark.1 + (light.1 - dark.1) * t,
                     blue: dark.2 + (light.2 - dark.2) * t)
    }
}

/// Contour lines of a grid of values by marching squares, joined into polylines.
enum MarchingSquares {
    /// Polylines in grid coordinates (x = column index, y = row index, fractional) where
    /// `grid` crosses `level`.
    static func contours(_ grid: [[Double]], level: Double) -> [[Point]] {
        let rows = grid.count, cols = grid.first?.count ?? 0
        guard rows > 1, cols > 1 else { return [] }
        var segments: [(Point, Point)] = []
        func crossing(_ p: Point, _ q: Point, _ vp: Double, _ vq: Double) -> Point {
            let t = (level - vp) / (vq - vp)
            return Point(p.x + (q.x - p.x) * t, p.y + (q.y - p.y) * t)
        }
        for j in 0..<(rows - 1) {
            for i in 0..<(cols - 1) {
                // Corners counter-clockwise from (i, j); an edge is crossed where its ends differ.
                let corners = [Point(Double(i), Double(j)), Point(Double(i + 1), Double(j)),
                               Point(Double(i + 1), Double(j + 1)), Point(Double(i), Double(j + 1))]
                let values = [grid[j][i], grid[j][i + 1], grid[j + 1][i + 1], grid[j + 1][i]]
                var points: [Point] = []
                for e in 0..<4 {
                    let a = e, b = (e + 1) % 4
                    if (values[a] < level) != (values[b] < level) {
                        points.append(crossing(corners[a], corners[b], values[a], values[b]))
                    }
                }
                if points.count == 2 {
                    segments.append((points[0], points[1]))
                } else if points.count == 4 {
                    // Saddle: pair the crossings so the cell's centre value decides the sides.
                    let centre = values.reduce(0, +) / 4
                    if (centre < level) == (values[0] < level) {
                        segments.append((points[0], points[3])); segments.append((points[1], points[2]))
                    } else {
                        segments.append((points[0], points[1])); segments.append((points[2], points[3]))
                    }
                }
            }
        }
        return join(segments)
    }

    /// Chain segments that share end points into polylines (fewer, smoother shapes).
    static func join(_ segments: [(Point, Point)]) -> [[Point]] {
        func key(_ p: Point) -> String { String(format: "%.6f,%.6f", p.x, p.y) }
        var byEnd: [String: [Int]] = [:]
        for (i, s) in segments.enumerated() {
            byEnd[key(s.0), default: []].append(i)
            byEnd[key(s.1), default: []].append(i)
        }
        var used = [Bool](repeating: false, count: segments.count)
        var lines: [[Point]] = []
        func extend(_ line: inout [Point]) {
            while let last = line.last, let next = byEnd[key(last)]?.first(where: { !used[$0] }) {
                used[next] = true
                let s = segments[next]
                line.append(key(s.0) == key(last) ? s.1 : s.0)
            }
        }
        for i in segments.indices where !used[i] {
            used[i] = true
            var line = [segments[i].0, segments[i].1]
            extend(&line)
            line.reverse()
            extend(&line)
            lines.append(line)
        }
        return lines
    }
}
