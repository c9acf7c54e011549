// Legibility checks on scenes. Tests run them on every layout, and a layout can run them on
// itself; both read the same measured text boxes the painter uses.

extension Scene {
    /// Pairs of text items whose boxes share area (shrunk by `tolerance` so touching is fine).
    public func overlappingTexts(tolerance: Double = 0.5, measurer: TextMeasurer = .shared) -> [(TextItem, TextItem)] {
        let items = texts.filter { !$0.string.isEmpty }
        let boxes = items.map { measurer.bounds(of: $0).insetBy(tolerance) }
        var pairs: [(TextItem, TextItem)] = []
        for i in boxes.indices {
            for j in (i + 1)..<boxes.count where boxes[i].intersects(boxes[j]) {
                pairs.append((items[i], items[j]))
            }
        }
        return pairs
    }

    /// Texts that cover a non-text shape of a top-level group they do not belong to, e.g. an
    /// arrow's label lying on a node (`prefix` "node:").
    public func textsCoveringGroups(prefix: String, tolerance: Double = 0.5,
                                    measurer: TextMeasurer = .shared) -> [(text: String, group: String)] {
        var hits: [(String, String)] = []
        let groups = self.groups(named: prefix)
        for shape in shapes {
            let ownName: String? = { if case .group(let n, _) = shape { return n } else { return nil } }()
            for case .text(let t) in shape.flattened {
                let box = measurer.bounds(of: t).insetBy(tolerance)
                for g in groups where g.name != ownName {
                    for s in g.shapes.flatMap(\.flattened) {
                        if case .text = s { continue }
                        if let b = s.bounds(measurer), b.intersects(box) { hits.append((t.string, g.name)) }
                    }
                }
            }
        }
        return hits
    }

    /// Counts of shape kinds per colour ("arrow #2ca02c": 3), a compact snapshot for tests.
    public func shapeCountsByColor() -> [String: Int] {
        var counts: [String: Int] = [:]
        for s in allShapes {
            counts["\(s.kindName) \(s.mainColor?.hexString ?? "none")", default: 0] += 1
        }
        return counts
    }
}
