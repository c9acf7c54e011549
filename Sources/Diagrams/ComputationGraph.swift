// One training step as a graph of tensor operations, read from trace events. Each forward op is
// a box (label, op, shape, value statistics); arrows follow tensor ids (an event's input id is
// an earlier event's output id). The backward overlay writes each op's incoming gradient into
// its box, and the replay cursor's current op is highlighted.
//
// Layout: layers by dependency, each op as late as possible (just before its first use), so an
// embedding lookup sits beside the step that uses it instead of piling up at the top; long
// traces wrap into several columns ("bands") of at most `layersPerBand` layers, read like a
// newspaper: top to bottom, then the next column. An arrow into another column runs down the
// gap beside its column and along the gaps between rows, so every arrow is drawn.

import Foundation
import TensorCore

/// The forward ops of a trace and how their tensors flow.
public struct ComputationGraph {
    /// One forward op.
    public struct OpNode: Equatable {
        public var seq: Int
        public var op: String
        public var label: String
        public var attributes: String
        /// The result tensor.
        public var output: TracedTensor
        /// Inputs that no earlier op produced: parameters, data, constants.
        public var leafInputs: [TracedTensor]
        /// Gradient of the loss with respect to this op's result (from its backward event).
        public var grad: ValueSummary?
        /// The backward event that used that gradient.
        public var backwardSeq: Int?
    }

    public private(set) var nodes: [OpNode] = []
    /// Arrows as (producer index, consumer index) into `nodes`.
    public private(set) var edges: [(from: Int, to: Int)] = []

    public var layersPerBand = 12
    public var nodeWidth = 210.0
    public var measurer: TextMeasurer = .shared

    /// Build the graph from a trace (forward events become nodes; backward events attach
    /// gradients; update events are ignored).
    public init(events: [TraceEvent]) {
        var producer: [Int: Int] = [:]   // tensor id → node index
        for e in events where e.phase == .forward {
            guard let out = e.outputs.first else { continue }
            let index = nodes.count
            var leaves: [TracedTensor] = []
            for input in e.inputs {
                if let p = producer[input.id] {
                    if !edges.contains(where: { $0.from == p && $0.to == index }) { edges.append((p, index)) }
                } else {
                    leaves.append(input)
                }
            }
            nodes.append(OpNode(seq: e.seq, op: e.op, label: e.label, attributes: e.attributes, output: out,
                                leafInputs: leaves, grad: nil, backwardSeq: nil))
            producer[out.id] = index
        }
        for e in events where e.phase == .backward {
            guard let g = e.inputs.first, let i = producer[g.id] else { continue }
            nodes[i].grad = g.summary
            nodes[i].backwardSeq = e.seq
        }
    }

    /// Index of the node a trace position refers to: a forward op itself, or the forward op
    /// whose gradient a backward event propagates.
    public func nodeIndex(forSeq seq: Int) -> Int? {
        nodes.firstIndex { $0.seq == seq } ?? nodes.firstIndex { $0.backwardSeq == seq }
    }

    // MARK: - layout

    /// Layer of each node: as late as possible (just before its first consumer). A result that
    /// nothing uses but is not the last op (nn.RNN's final hidden state) sits as early as possible,
    /// beside its producer: pushed to the bottom, its arrow would cross the whole column.
    func layers() -> [Int] {
        var asap = [Int](repeating: 0, count: nodes.count)
        for (f, t) in edges.sorted(by: { $0.to < $1.to }) { asap[t] = max(asap[t], asap[f] + 1) }
        let last = asap.max() ?? 0
        var alap = [Int](repeating: last, count: nodes.count)
        let consumers = Dictionary(grouping: edges, by: \.from)
        // Nodes are in trace order, which is topological, so walking it backwards sees consumers first.
        for i in nodes.indices.reversed() {
            if let outs = consumers[i] { alap[i] = outs.map { alap[$0.to] }.min()! - 1 }
            else if i != nodes.count - 1 { alap[i] = asap[i] }
        }
        return alap
    }

    /// The picture. `highlight` is a trace `seq` (forward or backward); `showBackward` adds each
    /// op's incoming gradient.
    /// `context` says what the step ran on (the batch, the start, the learning rate), under the title.
    public func scene(highlight: Int? = nil, showBackward: Bool = false, context: String? = nil) -> Scene {
        guard !nodes.isEmpty else {
            return Scene(width: 360, height: 60, shapes: [.text("(no forward ops in this trace)", at: Point(16, 30),
                                                                  horizontal: .leading)])
        }
        let layer = layers()
        let layerCount = (layer.max() ?? 0) + 1
        let bands = Int((Double(layerCount) / Double(layersPerBand)).rounded(.up))
        // Spread layers evenly over the bands, so the last column is not a stub.
        let perBand = Int((Double(layerCount) / Double(bands)).rounded(.up))

        // Order inside each layer by the mean position of the node's producers (fewer crossings).
        var byLayer = [[Int]](repeating: [], count: layerCount)
        for i in nodes.indices { byLayer[layer[i]].append(i) }
        var slot = [Double](repeating: 0, count: nodes.count)
        let producers = Dictionary(grouping: edges, by: \.to)
        for l in 0..<layerCount {
            let keyed = byLayer[l].map { i -> (Int, Double) in
                let ps = producers[i]?.map { slot[$0.from] } ?? []
                return (i, ps.isEmpty ? Double(i) / 1000 : ps.reduce(0, +) / Double(ps.count))
            }
            byLayer[l] = keyed.sorted { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }.map(\.0)
            for (k, i) in byLayer[l].enumerated() { slot[i] = Double(k) - Double(byLayer[l].count - 1) / 2 }
        }

        let lines = boxLines(showBackward: showBackward)
        let boxHeight = Double(lines) * 14 + 10
        let hGap = 22.0, vGap = 40.0, bandGap = 60.0
        var bandX = [Double](repeating: 0, count: bands), bandRight = bandX
        var x = 0.0
        for b in 0..<bands {
            let widest = (b * perBand..<min(layerCount, (b + 1) * perBand)).map { byLayer[$0].count }.max() ?? 1
            let bandWidth = Double(widest) * nodeWidth + Double(widest - 1) * hGap
            bandX[b] = x + bandWidth / 2
            bandRight[b] = x + bandWidth
            x += bandWidth + bandGap
        }
        var center = [Point](repeating: Point(0, 0), count: nodes.count)
        for l in 0..<layerCount {
            let band = l / perBand, row = l % perBand
            for (k, i) in byLayer[l].enumerated() {
                let offset = (Double(k) - Double(byLayer[l].count - 1) / 2) * (nodeWidth + hGap)
                center[i] = Point(bandX[band] + offset, Double(row) * (boxHeight + vGap) + boxHeight / 2)
            }
        }

        let highlighted = highlight.flatMap(nodeIndex(forSeq:))
        let highlightIsBackward = highlight != nil && highlighted != nil && nodes[highlighted!].seq != highlight
        var shapes: [Shape] = []
        var arrows: [Shape] = []
        // Arrows into another column leave by the gap right of their own column, each in a
        // lane of its own there so they stay apart.
        let crossing = edges.filter { layer[$0.to] / perBand != layer[$0.from] / perBand }
        var laneOf: [Int: Double] = [:]
        for (b, group) in Dictionary(grouping: crossing.indices, by: { layer[crossing[$0].from] / perBand }) {
            let step = min(8.0, (bandGap - 12) / Double(max(1, group.count - 1)))
            for (k, e) in group.sorted().enumerated() {
                laneOf[e] = bandRight[b] + bandGap / 2 + (Double(k) - Double(group.count - 1) / 2) * step
            }
        }
        var crossed = 0
        for (f, t) in edges {
            let from = center[f] + Point(0, boxHeight / 2), to = center[t] - Point(0, boxHeight / 2)
            let touchesHighlight = f == highlighted || t == highlighted
            let color = touchesHighlight ? (highlightIsBackward ? Color.red : Color(hex: 0x333333)) : Color(hex: 0x9A9A9A)
            let width = touchesHighlight ? 2.0 : 1.2
            if layer[t] / perBand != layer[f] / perBand {
                // Down out of the producer, along the gap under its row to the lane, along the
                // lane to the gap over the consumer's row, then into the consumer from above.
                let lane = laneOf[crossed]!
                crossed += 1
                let out = from.y + vGap / 2, back = to.y - vGap / 2
                arrows.append(.polyline([from, Point(from.x, out), Point(lane, out), Point(lane, back), Point(to.x, back), to],
                                        .stroke(color, width: width), head: .small))
            } else if layer[t] == layer[f] + 1 {
                arrows.append(.polyline([from, to], .stroke(color, width: width), head: .small))
            } else if let lane = Self.lane(from: from, to: to, around: (layer[f] + 1..<layer[t]).flatMap { byLayer[$0] }
                                                .map { Rect(x: center[$0].x - nodeWidth / 2, y: center[$0].y - boxHeight / 2,
                                                            width: nodeWidth, height: boxHeight) }, gap: hGap) {
                // A box sits between them: go round it through the gap beside it, turning in the
                // gaps between rows, so the arrow never reads as passing through that op.
                let out = from.y + vGap / 2, back = to.y - vGap / 2
                arrows.append(.polyline([from, Point(from.x, out), Point(lane, out), Point(lane, back), Point(to.x, back), to],
                                        .stroke(color, width: width), head: .small))
            } else {
                // Skips layers inside the column: a curve leaving downwards and arriving from above.
                let dy = max(30, abs(to.y - from.y) * 0.4)
                arrows.append(.curve(from: from, control1: from + Point(0, dy), control2: to - Point(0, dy), to: to,
                                     .stroke(color, width: width), head: .small))
            }
        }
        shapes.append(.group(name: "edges", arrows))
        for i in nodes.indices {
            shapes.append(box(i, center: center[i], height: boxHeight, showBackward: showBackward,
                              highlighted: i == highlighted, backward: highlightIsBackward))
        }

        var scene = Scene(width: 0, height: 0, shapes: shapes)
        let backwardCount = nodes.filter { $0.backwardSeq != nil }.count
        var title = "One training step: \(nodes.count) forward ops"
        if showBackward { title += ", \(backwardCount) with gradients" }
        if let h = highlighted {
            // Name the position the learner asked for, then the box it lights up.
            // A backward frame names the gradient that flows back into the op's result.
            title += highlightIsBackward
                ? "  ·  now: #\(highlight!), backward through #\(nodes[h].seq) \(nodes[h].label): ∇ " + Self.gradientStats(nodes[h].grad)
                : "  ·  now: #\(nodes[h].seq) \(nodes[h].label)"
        }
        let left = center.map(\.x).min()! - nodeWidth / 2
        let contextLine: [Shape] = context.map {
            [.text($0, at: Point(left, -48), size: 12, color: .text, horizontal: .leading, vertical: .bottom)]
        } ?? []
        scene.shapes.insert(.group(name: "title", [
            .text(title, at: Point(left, context == nil ? -52 : -68),
                  size: 15, weight: .bold, horizontal: .leading, vertical: .bottom)] + contextLine + [
            .text("μ mean, σ std of the op's result" + (showBackward ? "; ∇ the same for the gradient of the loss w.r.t. it" : "")
                  + "; arrows to the next column run between columns",
                  at: Point(left, -28),
                  size: 11, color: Color(hex: 0x555555), horizontal: .leading, vertical: .bottom)]), at: 0)
        scene.fitToContent(margin: 16, measurer: measurer)
        return scene
    }

    func boxLines(showBackward: Bool) -> Int { showBackward ? 5 : 4 }

    /// Where an arrow from `from` down to `to` must run to miss `boxes` (the ops of the rows it
    /// skips): nil when the direct curve misses them all; else the x of the nearest gap beside a
    /// box that is clear in every skipped row.
    static func lane(from: Point, to: Point, around boxes: [Rect], gap: Double) -> Double? {
        let margin = 4.0
        func blocked(_ x: Double) -> Bool { boxes.contains { x > $0.minX - margin && x < $0.maxX + margin } }
        let lo = Swift.min(from.x, to.x), hi = Swift.max(from.x, to.x)
        // The curve stays between the two ends' x; it is clear when no box overlaps that span.
        guard boxes.contains(where: { $0.maxX + margin > lo && $0.minX - margin < hi }) else { return nil }
        let candidates = boxes.flatMap { [$0.minX - gap / 2, $0.maxX + gap / 2] }.filter { !blocked($0) }
        return candidates.min { abs($0 - from.x) + abs($0 - to.x) < abs($1 - from.x) + abs($1 - to.x) }
    }

    /// Tint by op family, so a learner spots the matrix products and the nonlinearities.
    static func tint(_ op: String) -> Color {
        switch op {
        case "matmul": return Color(hex: 0xE3EEFB)
        case "embedding": return Color(hex: 0xE4F4E4)
        case "tanh", "relu", "sigmoid", "exp", "log": return Color(hex: 0xFDEFD9)
        case "log_softmax", "nll_loss", "mse": return Color(hex: 0xF0E6F6)
        default: return Color(hex: 0xF6F6F6)
        }
    }

    func box(_ i: Int, center: Point, height: Double, showBackward: Bool, highlighted: Bool, backward: Bool) -> Shape {
        let n = nodes[i]
        let rect = Rect(center: center, width: nodeWidth, height: height)
        let border = highlighted ? (backward ? Color.red : Color(hex: 0xE08A00)) : Color(hex: 0x777777)
        var shapes: [Shape] = []
        if highlighted {
            shapes.append(.rect(rect.insetBy(-4), cornerRadius: 8, .fill(border.withAlpha(0.25))))
        }
        shapes.append(.rect(rect, cornerRadius: 5, Style(fill: highlighted ? Color(hex: 0xFFF6D5) : Self.tint(n.op),
                                                         stroke: border, lineWidth: highlighted ? 2.5 : 1)))
        let inner = nodeWidth - 12
        let bold = Font(weight: .bold, size: 11.5), mono = Font(family: .mono, size: 10), plain = Font(size: 10)
        var texts: [(String, Font, Color)] = []
        let heading = "#\(n.seq) \(n.label)", shown = measurer.truncate(heading, font: bold, maxWidth: inner)
        texts.append((shown, bold, .text))
        if shown != heading {
            // The SVG shows the whole label on hover.
            shapes.append(.tooltip(heading, over: rect))
        }
        let op = n.attributes.isEmpty ? n.op : "\(n.op) \(n.attributes)"
        texts.append((measurer.truncate("\(op) → \(Self.shape(n.output.shape))", font: mono, maxWidth: inner), mono,
                      Color(hex: 0x333333)))
        texts.append((Self.stats(n.output.summary), mono, Color(hex: 0x333333)))
        let uses = n.leafInputs.map { $0.label.isEmpty ? Self.shape($0.shape) : $0.label }
        texts.append((measurer.truncate(uses.isEmpty ? "" : "with " + uses.joined(separator: ", "), font: plain, maxWidth: inner),
                      plain, Color(hex: 0x666666)))
        if showBackward {
            texts.append((n.grad.map { "∇ " + Self.stats($0) } ?? "∇ (none)", mono, Color.red))
        }
        for (k, t) in texts.enumerated() where !t.0.isEmpty {
            shapes.append(.text(TextItem(t.0, at: Point(rect.minX + 6, rect.minY + 5 + Double(k) * 14), size: t.1.size,
                                         weight: t.1.weight, family: t.1.family, color: t.2,
                                         horizontal: .leading, vertical: .top)))
        }
        return .group(name: "op:\(n.seq)", shapes)
    }

    static func shape(_ s: [Int]) -> String { s.isEmpty ? "scalar" : "[" + s.map(String.init).joined(separator: "×") + "]" }

    /// "μ 0.0123 σ 0.312", or a note when the trace kept no statistics.
    /// "μ 1.2e-05  σ 0.0021  ‖·‖ 0.42" for a gradient.
    static func gradientStats(_ s: ValueSummary?) -> String {
        guard let s, !s.hasNonFinite, s.count > 1 else { return stats(s) }
        return stats(s) + "  ‖·‖ " + number(s.l2)
    }

    static func stats(_ s: ValueSummary?) -> String {
        guard let s else { return "(no values traced)" }
        if s.hasNonFinite { return "NaN \(s.nan) Inf \(s.inf) of \(s.count)" }
        if s.count == 1 { return "= " + number(s.mean) }
        return "μ " + number(s.mean) + "  σ " + number(s.std)
    }

    /// Three significant digits, with a real minus sign.
    static func number(_ v: Double) -> String {
        String(format: "%.3g", v).replacingOccurrences(of: "-", with: "−")
    }
}
