// One layout engine for every architecture picture. It reads only the structure:
//   - column = the node's time step (unrolled diagrams have one column per character);
//   - row    = how many arrows lie before the node inside its column (longest path);
//   - an input that joins a layer already fed from above (char 2 into hidden layer 2) is put
//     beside that layer, with a horizontal arrow, as the lecture draws it.
// Sizes come from measured text, and gaps from the widest label that must fit in them, so
// labels do not collide however long the model's layer names are.

/// Places an `Architecture`'s nodes and arrows and returns a `Scene`.
public struct ArchitectureLayout {
    public var nodeFontSize = 13.0
    public var edgeFontSize = 12.0
    public var titleFontSize = 16.0
    /// Vertical space between rows of nodes (room for an arrow and its label beside it).
    public var rowGap = 56.0
    /// Minimum horizontal space between the extents of neighbouring columns.
    public var columnGap = 28.0
    public var margin = 16.0
    public var measurer: TextMeasurer

    public init(measurer: TextMeasurer = .shared) { self.measurer = measurer }

    // MARK: - placed nodes

    /// A node with its position and drawn size.
    struct Placed {
        var node: Architecture.Node
        var column: Int
        var row: Int
        /// Placed left of the node it feeds, in that node's row.
        var beside: String?
        var center = Point(0, 0)
        var width = 0.0
        var height = 0.0

        /// The outline as a polygon around `center` (circles are handled separately).
        var outline: [Point] {
            let hw = width / 2, hh = height / 2
            switch node.kind {
            case .output:
                return [center + Point(0, -hh), center + Point(hw, hh), center + Point(-hw, hh)]
            default:
                return [center + Point(-hw, -hh), center + Point(hw, -hh), center + Point(hw, hh), center + Point(-hw, hh)]
            }
        }

        /// Where a ray from the centre in direction `d` leaves the shape: arrows start and end here.
        func boundary(toward d: Point) -> Point {
            let u = d.unit
            if node.kind == .hidden { return center + u * (width / 2) }
            let poly = outline
            var best = Double.infinity
            for i in 0..<poly.count {
                let a = poly[i] - center, b = poly[(i + 1) % poly.count] - center
                let e = b - a
                let denom = u.x * e.y - u.y * e.x
                if abs(denom) < 1e-12 { continue }
                let t = (a.x * e.y - a.y * e.x) / denom          // distance along the ray
                let s = (a.x * u.y - a.y * u.x) / denom          // position along the side
                if t > 0 && s >= -1e-9 && s <= 1 + 1e-9 { best = Swift.min(best, t) }
            }
            return best.isFinite ? center + u * best : center
        }
    }

    // MARK: - layout

    /// The diagram of `architecture`. Throws `DiagramError.invalidInput` for unknown node ids or
    /// arrows that form a cycle (recurrence belongs in `loops`).
    public func scene(for architecture: Architecture) throws -> Scene {
        let errors = architecture.validationErrors()
        guard errors.isEmpty else { throw DiagramError.invalidInput(errors.joined(separator: "; ")) }
        guard !architecture.nodes.isEmpty else { throw DiagramError.invalidInput("architecture has no nodes") }

        var placed = try assignGrid(architecture)
        sizeNodes(&placed)
        positionNodes(&placed, architecture)

        var shapes: [Shape] = []
        let index = Dictionary(uniqueKeysWithValues: placed.map { ($0.node.id, $0) })
        for edge in architecture.edges {
            shapes.append(edgeShape(edge, index[edge.from]!, index[edge.to]!))
        }
        for loop in architecture.loops {
            shapes.append(loopShape(loop, index[loop.from]!, index[loop.to]!))
        }
        for p in placed { shapes.append(nodeShape(p)) }

        var scene = Scene(width: 0, height: 0, shapes: shapes)
        // Title above, legend below: measured against the drawing's own extent.
        let drawing = shapes.compactMap { $0.bounds(measurer) }.reduce(nil) { acc, r in acc.map { $0.union(r) } ?? r }!
        let title = TextItem(architecture.title, at: Point(drawing.minX, drawing.minY - 14), size: titleFontSize,
                             weight: .bold, horizontal: .leading, vertical: .bottom)
        scene.shapes.insert(.group(name: "title", [.text(title)]), at: 0)
        scene.add(legend(for: architecture, topLeft: Point(drawing.minX, drawing.maxY + 24),
                         width: Swift.max(drawing.width, 420)))
        scene.fitToContent(margin: margin, measurer: measurer)
        return scene
    }

    /// Column from the time step, row from the longest path inside the column.
    func assignGrid(_ arch: Architecture) throws -> [Placed] {
        let steps = Array(Set(arch.nodes.map { $0.step ?? Int.min })).sorted()
        let columnOf = Dictionary(uniqueKeysWithValues: steps.enumerated().map { ($1, $0) })
        var column: [String: Int] = [:]
        for n in arch.nodes { column[n.id] = columnOf[n.step ?? Int.min]! }

        let inColumn = arch.edges.filter { column[$0.from] == column[$0.to] }
        var depth = Dictionary(uniqueKeysWithValues: arch.nodes.map { ($0.id, 0) })
        // Longest path by relaxation; more rounds than nodes means the arrows go round in a cycle.
        var changed = true, rounds = 0
        while changed {
            changed = false
            rounds += 1
            if rounds > arch.nodes.count + 1 {
                throw DiagramError.invalidInput("arrows of '\(arch.title)' form a cycle; draw recurrence as a loop")
            }
            for e in inColumn where depth[e.to]! < depth[e.from]! + 1 {
                depth[e.to] = depth[e.from]! + 1
                changed = true
            }
        }

        var beside: [String: String] = [:]
        let predecessors = Dictionary(grouping: inColumn, by: \.to)
        for n in arch.nodes where predecessors[n.id] == nil {
            let outs = inColumn.filter { $0.from == n.id }
            guard outs.count == 1, let target = outs.first?.to else { continue }
            let fedFromAbove = (predecessors[target] ?? []).contains {
                $0.from != n.id && depth[$0.from]! == depth[target]! - 1 && depth[$0.from]! > depth[n.id]!
            }
            if fedFromAbove {
                beside[n.id] = target
                depth[n.id] = depth[target]!
            }
        }
        // Rows in use, numbered without gaps.
        let rows = Array(Set(depth.values)).sorted()
        let rowOf = Dictionary(uniqueKeysWithValues: rows.enumerated().map { ($1, $0) })
        return arch.nodes.map { Placed(node: $0, column: column[$0.id]!, row: rowOf[depth[$0.id]!]!, beside: beside[$0.id]) }
    }

    func nodeFont(_ kind: Architecture.NodeKind) -> Font {
        Font(size: kind == .concat ? edgeFontSize - 1 : nodeFontSize)
    }

    func sizeNodes(_ placed: inout [Placed]) {
        for i in placed.indices {
            let m = measurer.metrics(placed[i].node.label, font: nodeFont(placed[i].node.kind))
            switch placed[i].node.kind {
            case .input:
                placed[i].width = m.width + 20
                placed[i].height = m.height + 14
            case .concat:
                placed[i].width = m.width + 14
                placed[i].height = m.height + 8
            case .hidden:
                let d = Swift.max(42, m.width + 14)
                placed[i].width = d
                placed[i].height = d
            case .output:
                // The label sits at the widest third of the triangle; the base is sized so it fits.
                let base = Swift.max(56, (m.width + 10) * 1.6)
                placed[i].width = base
                placed[i].height = Swift.max(40, base * 0.62)
            }
        }
    }

    func label(_ layer: Architecture.Layer) -> Font { Font(weight: .bold, size: edgeFontSize) }

    func positionNodes(_ placed: inout [Placed], _ arch: Architecture) {
        let columns = (placed.map(\.column).max() ?? 0) + 1
        let rows = (placed.map(\.row).max() ?? 0) + 1
        let indexOf = Dictionary(uniqueKeysWithValues: placed.enumerated().map { ($1.node.id, $0) })

        // Horizontal offsets inside each cell: main nodes centred, side inputs to their left.
        var offset = [Double](repeating: 0, count: placed.count)
        var leftExtent = [Double](repeating: 0, count: columns)
        var rightExtent = [Double](repeating: 0, count: columns)
        for c in 0..<columns {
            for r in 0..<rows {
                let cell = placed.indices.filter { placed[$0].column == c && placed[$0].row == r }
                let mains = cell.filter { placed[$0].beside == nil }
                let total = mains.map { placed[$0].width }.reduce(0, +) + Double(Swift.max(0, mains.count - 1)) * 24
                var x = -total / 2
                for i in mains {
                    offset[i] = x + placed[i].width / 2
                    x += placed[i].width + 24
                }
                var left = mains.first.map { offset[$0] - placed[$0].width / 2 } ?? 0
                for i in cell where placed[i].beside != nil {
                    // Room for the horizontal arrow and its label between the input and its target.
                    let edge = arch.edges.first { $0.from == placed[i].node.id }!
                    let gap = measurer.width(edge.layer.name, font: label(edge.layer)) + 40
                    offset[i] = left - gap - placed[i].width / 2
                    left = offset[i] - placed[i].width / 2
                }
                leftExtent[c] = Swift.max(leftExtent[c], -left)
                let right = mains.last.map { offset[$0] + placed[$0].width / 2 } ?? 0
                rightExtent[c] = Swift.max(rightExtent[c], right)
            }
        }
        // Labels of arrows inside a column sit to the right of the arrow; loops bulge right.
        for e in arch.edges where placed[indexOf[e.from]!].column == placed[indexOf[e.to]!].column
            && placed[indexOf[e.from]!].row != placed[indexOf[e.to]!].row {
            let c = placed[indexOf[e.from]!].column
            rightExtent[c] = Swift.max(rightExtent[c], 10 + measurer.width(e.layer.name, font: label(e.layer)))
        }
        for l in arch.loops {
            let p = placed[indexOf[l.from]!]
            rightExtent[p.column] = Swift.max(rightExtent[p.column],
                                              p.width / 2 + loopReach(p, placed[indexOf[l.to]!]) + 8
                                                + measurer.width(l.layer.name, font: label(l.layer)))
        }

        // Column centres: neighbours keep their extents apart, and arrows between columns are
        // long enough for their label.
        var centerX = [Double](repeating: 0, count: columns)
        for c in 1..<Swift.max(1, columns) {
            var needed = rightExtent[c - 1] + columnGap + leftExtent[c]
            for e in arch.edges {
                let a = placed[indexOf[e.from]!], b = placed[indexOf[e.to]!]
                guard a.column == c - 1, b.column == c else { continue }
                let labelWidth = measurer.width(e.layer.name, font: label(e.layer))
                let sameRow = a.row == b.row
                // A row-changing arrow rises through the gap: keep it clear of the labels beside
                // the column's own arrows by making the gap wider.
                let room = sameRow ? labelWidth + 36 : labelWidth + rightExtent[c - 1] + 60
                needed = Swift.max(needed, a.width / 2 + room + b.width / 2)
            }
            centerX[c] = centerX[c - 1] + needed
        }

        // Row centres from the tallest node in each row.
        var rowHeight = [Double](repeating: 0, count: rows)
        for p in placed { rowHeight[p.row] = Swift.max(rowHeight[p.row], p.height) }
        var centerY = [Double](repeating: 0, count: rows)
        for r in 1..<Swift.max(1, rows) {
            centerY[r] = centerY[r - 1] + rowHeight[r - 1] / 2 + rowGap + rowHeight[r] / 2
        }
        for i in placed.indices {
            placed[i].center = Point(centerX[placed[i].column] + offset[i], centerY[placed[i].row])
        }
    }

    func loopReach(_ from: Placed, _ to: Placed) -> Double {
        from.node.id == to.node.id ? 40 : 40 + Double(abs(from.row - to.row)) * 10
    }

    // MARK: - shapes

    func nodeShape(_ p: Placed) -> Shape {
        let outline = Color(hex: 0x333333)
        let font = nodeFont(p.node.kind)
        var shapes: [Shape] = []
        var labelAt = p.center
        switch p.node.kind {
        case .input:
            shapes.append(.rect(Rect(center: p.center, width: p.width, height: p.height), cornerRadius: 2,
                                Style(fill: Color(hex: 0xF3F3F3), stroke: outline, lineWidth: 1.5)))
        case .concat:
            shapes.append(.rect(Rect(center: p.center, width: p.width, height: p.height), cornerRadius: p.height / 2,
                                Style(fill: Color(hex: 0xE4E4E4), stroke: Color.grey, lineWidth: 1.2)))
        case .hidden:
            shapes.append(.circle(center: p.center, radius: p.width / 2,
                                  Style(fill: .white, stroke: outline, lineWidth: 1.5)))
        case .output:
            let pts = p.outline
            shapes.append(.triangle(pts[0], pts[1], pts[2], Style(fill: Color(hex: 0xF3F3F3), stroke: outline, lineWidth: 1.5)))
            // The widest part of the triangle is its lower half.
            labelAt = p.center + Point(0, p.height * 0.18)
        }
        shapes.append(.text(TextItem(p.node.label, at: labelAt, size: font.size, weight: font.weight)))
        return .group(name: "node:\(p.node.id)", shapes)
    }

    func edgeShape(_ e: Architecture.Edge, _ a: Placed, _ b: Placed) -> Shape {
        let color = e.layer.role.color
        let dash: [Double] = e.layer.role == .other ? [5, 4] : []
        let font = label(e.layer)
        var shapes: [Shape] = []
        let labelAnchor: Point
        var horizontal = HorizontalAlignment.center, vertical = VerticalAlignment.middle
        if a.column != b.column && a.row != b.row {
            // Between columns and rows: an S-curve leaving and arriving horizontally.
            let start = a.boundary(toward: Point(1, 0)), end = b.boundary(toward: Point(-1, 0))
            let dx = (end.x - start.x) * 0.55
            shapes.append(.curve(from: start, control1: start + Point(dx, 0), control2: end - Point(dx, 0), to: end,
                                 .stroke(color, width: 2, dash: dash), head: .standard))
            labelAnchor = Point((start.x + end.x) / 2 + 6, (start.y + end.y) / 2)
            horizontal = .leading
        } else {
            let d = b.center - a.center
            let start = a.boundary(toward: d), end = b.boundary(toward: Point(-d.x, -d.y))
            shapes.append(.arrow(from: start, to: end, color: color, width: 2, dash: dash))
            // Label on the arrow's right-hand side (right of a downward arrow, above a rightward one).
            let u = (end - start).unit
            let side = Point(u.y, -u.x)
            labelAnchor = Point((start.x + end.x) / 2, (start.y + end.y) / 2) + side * 6
            if side.x > 0.3 { horizontal = .leading } else if side.x < -0.3 { horizontal = .trailing }
            if side.y < -0.3 { vertical = .bottom } else if side.y > 0.3 { vertical = .top }
        }
        shapes.append(.text(TextItem(e.layer.name, at: labelAnchor, size: font.size, weight: font.weight,
                                     color: color, horizontal: horizontal, vertical: vertical)))
        return .group(name: "edge:\(e.from)->\(e.to)", shapes)
    }

    func loopShape(_ l: Architecture.Loop, _ a: Placed, _ b: Placed) -> Shape {
        let color = l.layer.role.color
        let dash: [Double] = l.layer.role == .other ? [5, 4] : []
        let font = label(l.layer)
        let reach = loopReach(a, b)
        let arrow: Shape
        let labelX: Double
        if a.node.id == b.node.id {
            arrow = .loopArrow(rightOf: a.center, radius: a.width / 2, reach: reach, color: color)
            labelX = a.center.x + a.width / 2 + reach * 0.75 + 6
        } else {
            // Back to an earlier node: leave right, bulge right, come back in from the right.
            let start = a.boundary(toward: Point(1, 0)), end = b.boundary(toward: Point(1, 0))
            let x = Swift.max(start.x, end.x) + reach
            arrow = .curve(from: start, control1: Point(x, start.y), control2: Point(x, end.y), to: end,
                           .stroke(color, width: 2, dash: dash), head: .standard)
            labelX = Swift.max(start.x, end.x) + reach * 0.75 + 6
        }
        let y = (a.center.y + b.center.y) / 2
        let text = TextItem(l.layer.name, at: Point(labelX, y), size: font.size, weight: font.weight,
                            color: color, horizontal: .leading, vertical: .middle)
        return .group(name: "loop:\(l.from)->\(l.to)", [arrow, .text(text)])
    }

    /// One line per weight colour used, then the shape key, flowing into rows of `width`.
    func legend(for arch: Architecture, topLeft: Point, width: Double) -> Shape {
        var items: [[Shape]] = []
        var widths: [Double] = []
        let font = Font(size: 11)
        let layers = arch.edges.map(\.layer) + arch.loops.map(\.layer)
        for role in Architecture.WeightRole.allCases {
            var names: [String] = []
            for l in layers where l.role == role && !names.contains(l.name) { names.append(l.name) }
            guard !names.isEmpty else { continue }
            let text = "\(names.joined(separator: ", ")): \(role.meaning)"
            let dash: [Double] = role == .other ? [5, 4] : []
            items.append([.polyline([Point(0, 0), Point(26, 0)], .stroke(role.color, width: 2, dash: dash), head: .small),
                          .text(TextItem(text, at: Point(32, 0), size: font.size, horizontal: .leading))])
            widths.append(32 + measurer.width(text, font: font))
        }
        let kinds = Set(arch.nodes.map(\.kind))
        let key: [(Architecture.NodeKind, String)] = [(.input, "input"), (.hidden, "hidden activations"),
                                                      (.output, "output"), (.concat, "concatenation")]
        let keyStyle = Style(fill: Color(hex: 0xF3F3F3), stroke: Color(hex: 0x333333), lineWidth: 1.2)
        for (kind, name) in key where kinds.contains(kind) {
            let symbol: Shape
            switch kind {
            case .input: symbol = .rect(Rect(x: 0, y: -6, width: 18, height: 12), cornerRadius: 1, keyStyle)
            case .hidden: symbol = .circle(center: Point(9, 0), radius: 7, keyStyle)
            case .output: symbol = .triangle(Point(9, -7), Point(18, 7), Point(0, 7), keyStyle)
            case .concat: symbol = .rect(Rect(x: 0, y: -5, width: 18, height: 10), cornerRadius: 5, keyStyle)
            }
            items.append([symbol, .text(TextItem(name, at: Point(24, 0), size: font.size, horizontal: .leading))])
            widths.append(24 + measurer.width(name, font: font))
        }
        var shapes: [Shape] = []
        var x = 0.0, y = 0.0
        for (item, w) in zip(items, widths) {
            if x > 0 && x + w > width { x = 0; y += 20 }
            let at = topLeft + Point(x, y)
            shapes += item.map { $0.translated(by: at) }
            x += w + 22
        }
        return .group(name: "legend", shapes)
    }
}

extension Architecture {
    /// This architecture laid out with the default settings.
    public func scene() throws -> Scene { try ArchitectureLayout().scene(for: self) }
}
