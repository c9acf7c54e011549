// Training curves as fastai's `sched.plot_loss()` shows them: the per-batch training loss
// smoothed (by the caller: Models' `SmoothedLoss`, the table's own average) over the raw values
// drawn faint, and the validation loss once per epoch. The x axis counts epochs, so both share it.

import Foundation

/// Loss curves of a training run.
public struct LossPlot {
    /// Training loss per batch (or per epoch when `batchesPerEpoch` is 1).
    public var train: [Double]
    public var batchesPerEpoch: Int
    /// Validation loss at the end of each epoch.
    public var validation: [Double]
    /// The training curve smoothed, one value per training loss, drawn over the raw values;
    /// nil (or a wrong count) draws the raw values alone.
    public var smoothedTrain: [Double]?
    public var smoothedLegend = "train (smoothed, β=0.98)"
    public var title = "Loss"
    /// The x axis's name; "epoch" unless the caller counts something else (SGD iterations).
    public var xName = "epoch"
    /// The y axis's name and the per-batch curve's legend ("learning rate" for the collab
    /// lesson's SGDR plot); nil legend: "train".
    public var yName = "loss"
    public var trainLegend: String?
    /// Where each training loss sits on the x axis, when epochs are uneven (a scaled schedule
    /// trains part of an epoch), one per loss; nil (or a wrong count) places batch i at
    /// (i + 1) / batchesPerEpoch.
    public var trainPositions: [Double]?
    /// Where each validation loss sits, one per loss; nil places validation k at epoch k + 1.
    public var validationPositions: [Double]?
    /// Plot log₁₀ of the losses: a loss that falls over decades (lesson 1's 83 → 0.09) stays
    /// readable instead of sitting flat on zero after the first drop.
    public var logarithmic = false
    public var width = 640.0
    public var height = 400.0

    public init(train: [Double], batchesPerEpoch: Int, validation: [Double] = []) throws {
        guard !train.isEmpty || !validation.isEmpty else {
            throw DiagramError.invalidInput("a loss plot needs training or validation losses")
        }
        guard batchesPerEpoch >= 1 else {
            throw DiagramError.invalidInput("batchesPerEpoch must be at least 1, got \(batchesPerEpoch)")
        }
        self.train = train; self.batchesPerEpoch = batchesPerEpoch; self.validation = validation
    }

    public func scene() -> Scene {
        // Smoothed on the losses themselves, then moved to the log scale when asked.
        func scaled(_ v: [Double]) -> [Double] { logarithmic ? v.map { $0 > 0 ? log10($0) : .nan } : v }
        let smoothed = smoothedTrain.flatMap { $0.count == self.train.count ? $0 : nil }
        let smooth = scaled(smoothed ?? self.train)
        let train = scaled(self.train), validation = scaled(self.validation)
        // Batch i ends at epoch (i + 1) / batchesPerEpoch; validation k at epoch k + 1.
        let trainX = trainPositions.flatMap { $0.count == train.count ? $0 : nil }
            ?? train.indices.map { Double($0 + 1) / Double(batchesPerEpoch) }
        let validX = validationPositions.flatMap { $0.count == validation.count ? $0 : nil }
            ?? validation.indices.map { Double($0 + 1) }
        let xs = trainX + validX
        let ys = train + validation
        let xr = (xs + [0]).finiteRange ?? (0, 1), yr = ys.finiteRange ?? (0, 1)
        let xTicks = NiceTicks(min: xr.min, max: xr.max, target: 7)
        let yTicks = NiceTicks(min: logarithmic ? yr.min : Swift.min(0, yr.min), max: yr.max, target: 6)
        let left = PlotFrame.leftMargin(for: yTicks) + 8
        let frame = PlotFrame(area: Rect(x: left, y: 60, width: width - left - 24, height: height - 60 - 64),
                              xTicks: xTicks, yTicks: yTicks)
        var shapes = frame.axes(xName: xName, yName: logarithmic ? "log₁₀ \(yName)" : yName)
        let trainColor = Color.hiddenToOutput, validColor = Color(hex: 0xE4572E)
        func points(_ x: [Double], _ y: [Double]) -> [Point] {
            zip(x, y).filter { $0.1.isFinite }.map { frame.point($0.0, $0.1) }
        }
        if train.count > 1 {
            if smoothed != nil {
                shapes.append(.group(name: "train-raw", [.polyline(points(trainX, train), .stroke(trainColor.withAlpha(0.25), width: 1), head: nil)]))
            }
            shapes.append(.group(name: "train", [.polyline(points(trainX, smooth), .stroke(trainColor, width: 2), head: nil)]))
        } else if let p = points(trainX, train).first {
            shapes.append(.group(name: "train", [.circle(center: p, radius: 3.5, .fill(trainColor))]))
        }
        if !validation.isEmpty {
            let vp = points(validX, validation)
            var v: [Shape] = vp.count > 1 ? [.polyline(vp, .stroke(validColor, width: 2), head: nil)] : []
            v += vp.map { .circle(center: $0, radius: 3.5, Style(fill: validColor, stroke: .white, lineWidth: 1)) }
            shapes.append(.group(name: "validation", v))
        }
        // Legend in the right-hand corner (top or bottom) that fewer curves run through.
        var legend: [Shape] = []
        var entries: [(String, Color)] = []
        if !train.isEmpty {
            entries.append((trainLegend ?? (smoothed != nil && train.count > 1 ? smoothedLegend : "train"), trainColor))
        }
        if !validation.isEmpty { entries.append(("validation (per epoch)", validColor)) }
        let font = Font(size: 11)
        let widest = entries.map { TextMeasurer.shared.width($0.0, font: font) }.max() ?? 0
        let cardWidth = widest + 40, cardHeight = Double(entries.count) * 16 + 4
        let cardX = frame.area.maxX - cardWidth - 8
        let curves = [points(trainX, smooth), points(validX, validation)]
        let top = Rect(x: cardX, y: frame.area.minY + 4, width: cardWidth, height: cardHeight)
        let bottom = Rect(x: cardX, y: frame.area.maxY - cardHeight - 8, width: cardWidth, height: cardHeight)
        let card = Self.crossings(bottom, curves) < Self.crossings(top, curves) ? bottom : top
        if !entries.isEmpty {
            // An opaque card, so a curve that still passes behind it cannot strike through the text.
            legend.append(.rect(card, cornerRadius: 3, Style(fill: Color.white.withAlpha(0.9), stroke: Color(hex: 0xDDDDDD), lineWidth: 1)))
        }
        for (k, e) in entries.enumerated() {
            let y = card.minY + 10 + Double(k) * 16
            let x = card.minX + 8
            legend.append(.line(Point(x, y), Point(x + 22, y), .stroke(e.1, width: 2)))
            legend.append(.text(e.0, at: Point(x + 28, y), size: 11, horizontal: .leading, vertical: .middle))
        }
        shapes.append(.group(name: "legend", legend))
        // A title wider than the picture is cut with "…" rather than off the edge.
        shapes += Shape.elided(title, at: Point(frame.area.minX, 12), size: 14, weight: .bold, maxWidth: width - frame.area.minX - 8)
        return Scene(width: width, height: height, shapes: shapes)
    }
}

extension LossPlot {
    /// How much of `curves` (polylines, sampled along each segment) lies inside `rect`.
    static func crossings(_ rect: Rect, _ curves: [[Point]]) -> Int {
        var count = 0
        for curve in curves {
            for (p, q) in zip(curve, curve.dropFirst()) + (curve.count == 1 ? [(curve[0], curve[0])] : []) {
                for k in 0...16 {
                    let t = Double(k) / 16
                    let x = p.x + (q.x - p.x) * t, y = p.y + (q.y - p.y) * t
                    if x >= rect.minX && x <= rect.maxX && y >= rect.minY && y <= rect.maxY { count += 1 }
                }
            }
        }
        return count
    }
}

extension DiagramWriter {
    /// Loss curves as `dir/name.svg` and `dir/name.png`.
    @discardableResult
    public static func writeLossPlot(_ plot: LossPlot, to dir: URL, name: String = "loss") throws -> [URL] {
        try writeScene(plot.scene(), to: dir, name: name)
    }
}
