// Layouts need to know how big a label is before placing it, or labels collide. We ask Cairo,
// the same library that paints them, so measured and painted text agree.

import CCairo
import Synchronization

/// A font as Cairo's toy text API selects it.
public struct Font: Equatable, Hashable, Sendable {
    public var family: FontFamily
    public var weight: FontWeight
    public var size: Double
    public init(family: FontFamily = .sans, weight: FontWeight = .regular, size: Double = 12) {
        self.family = family; self.weight = weight; self.size = size
    }
}

/// The size of one line of text: advance width and the font's line box (same for every string
/// in a font, so labels on one row line up).
public struct TextMetrics: Equatable, Sendable {
    public var width: Double
    public var ascent: Double
    public var descent: Double
    public var height: Double { ascent + descent }
}

/// Measures text with Cairo on a 1×1 scratch surface; one thread at a time (a Cairo context is
/// not thread-safe), so layouts may run on several.
public final class TextMeasurer: Sendable {
    /// One measurer for the process; layouts default to it.
    public static let shared = TextMeasurer()

    private struct State {
        let context: CairoContext
        var cache: [String: TextMetrics] = [:]
    }
    private let state: Mutex<State>

    public init() {
        // A 1×1 image cannot fail to allocate; if Cairo itself is broken nothing can be drawn.
        state = Mutex(State(context: try! CairoContext(try! CairoSurface(imageWidth: 1, height: 1))))
    }

    public func metrics(_ string: String, font: Font) -> TextMetrics {
        let key = "\(font.family.rawValue)|\(font.weight.rawValue)|\(font.size)|\(string)"
        return state.withLock { s in
            if let known = s.cache[key] { return known }
            CairoText.select(font, in: s.context.pointer)
            var text = cairo_text_extents_t()
            var fontExtents = cairo_font_extents_t()
            cairo_text_extents(s.context.pointer, string, &text)
            cairo_font_extents(s.context.pointer, &fontExtents)
            let m = TextMetrics(width: text.x_advance, ascent: fontExtents.ascent, descent: fontExtents.descent)
            s.cache[key] = m
            return m
        }
    }

    public func width(_ string: String, font: Font) -> Double { metrics(string, font: font).width }

    /// The box a painted text item covers (its line box, from the alignment anchor).
    public func bounds(of item: TextItem) -> Rect {
        let m = metrics(item.string, font: item.font)
        let origin = CairoText.baselineOrigin(of: item, metrics: m)
        return Rect(x: origin.x, y: origin.y - m.ascent, width: m.width, height: m.height)
    }

    /// `string` shortened with "…" so it fits in `maxWidth`.
    public func truncate(_ string: String, font: Font, maxWidth: Double) -> String {
        if width(string, font: font) <= maxWidth { return string }
        var chars = Array(string)
        while !chars.isEmpty && width(String(chars) + "…", font: font) > maxWidth { chars.removeLast() }
        return String(chars) + "…"
    }
}

/// Text placement rules shared by the measurer and the painter.
enum CairoText {
    static func select(_ font: Font, in cr: OpaquePointer) {
        cairo_select_font_face(cr, font.family.rawValue, CAIRO_FONT_SLANT_NORMAL,
                               font.weight == .bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, font.size)
    }

    /// Where Cairo's pen must start (left end of the baseline) for the item's alignment.
    static func baselineOrigin(of item: TextItem, metrics m: TextMetrics) -> Point {
        let x: Double
        switch item.horizontal {
        case .leading: x = item.position.x
        case .center: x = item.position.x - m.width / 2
        case .trailing: x = item.position.x - m.width
        }
        let y: Double
        switch item.vertical {
        case .top: y = item.position.y + m.ascent
        case .middle: y = item.position.y + (m.ascent - m.descent) / 2
        case .baseline: y = item.position.y
        case .bottom: y = item.position.y - m.descent
        }
        return Point(x, y)
    }
}

// MARK: bounds of shapes (layouts size their canvas from these; tests check overlaps with them)

extension Shape {
    /// The box this shape covers (curves sampled finely enough for layout).
    public func bounds(_ measurer: TextMeasurer = .shared) -> Rect? {
        func box(_ points: [Point], pad: Double) -> Rect? {
            guard let first = points.first else { return nil }
            var r = Rect(x: first.x, y: first.y, width: 0, height: 0)
            for p in points { r = r.union(Rect(x: p.x, y: p.y, width: 0, height: 0)) }
            return r.insetBy(-pad)
        }
        switch self {
        case .rect(let r, _, let s): return r.insetBy(-s.lineWidth / 2)
        case .circle(let c, let radius, let s):
            return Rect(center: c, width: 2 * radius + s.lineWidth, height: 2 * radius + s.lineWidth)
        case .polygon(let points, let s): return box(points, pad: s.lineWidth / 2)
        case .polyline(let points, let s, let head): return box(points, pad: Swift.max(s.lineWidth, (head?.width ?? 0) / 2))
        case .curve(let a, let c1, let c2, let b, let s, let head):
            // Sampled: the control points can lie far outside the curve itself.
            let samples = (0...24).map { k -> Point in
                let t = Double(k) / 24, u = 1 - t
                return a * (u * u * u) + c1 * (3 * u * u * t) + c2 * (3 * u * t * t) + b * (t * t * t)
            }
            return box(samples, pad: Swift.max(s.lineWidth, (head?.width ?? 0) / 2))
        case .text(let item): return measurer.bounds(of: item)
        case .group(_, let children):
            return children.compactMap { $0.bounds(measurer) }.reduce(nil) { acc, r in acc.map { $0.union(r) } ?? r }
        }
    }
}

extension Scene {
    /// Move every shape so the drawing's bounds start at `margin`, and size the canvas to fit.
    public mutating func fitToContent(margin: Double, measurer: TextMeasurer = .shared) {
        guard let content = shapes.compactMap({ $0.bounds(measurer) }).reduce(nil, { acc, r in acc.map { $0.union(r) } ?? r })
        else { return }
        let shift = Point(margin - content.minX, margin - content.minY)
        shapes = shapes.map { $0.translated(by: shift) }
        width = (content.width + 2 * margin).rounded(.up)
        height = (content.height + 2 * margin).rounded(.up)
    }
}

extension Shape {
    public func translated(by d: Point) -> Shape {
        switch self {
        case .rect(let r, let radius, let s):
            return .rect(Rect(x: r.x + d.x, y: r.y + d.y, width: r.width, height: r.height), cornerRadius: radius, s)
        case .circle(let c, let radius, let s): return .circle(center: c + d, radius: radius, s)
        case .polygon(let p, let s): return .polygon(p.map { $0 + d }, s)
        case .polyline(let p, let s, let head): return .polyline(p.map { $0 + d }, s, head: head)
        case .curve(let a, let c1, let c2, let b, let s, let head):
            return .curve(from: a + d, control1: c1 + d, control2: c2 + d, to: b + d, s, head: head)
        case .text(var item):
            item.position = item.position + d
            return .text(item)
        case .group(let name, let children): return .group(name: name, children.map { $0.translated(by: d) })
        }
    }
}

extension Shape {
    /// A one-line text cut to `maxWidth` with "…"; when cut, the whole text stays readable on
    /// hover in the SVG (a tooltip over the line).
    public static func elided(_ text: String, at origin: Point, size: Double, weight: FontWeight = .regular,
                              maxWidth: Double, horizontal: HorizontalAlignment = .leading,
                              vertical: VerticalAlignment = .top) -> [Shape] {
        let font = Font(weight: weight, size: size)
        let shown = TextMeasurer.shared.truncate(text, font: font, maxWidth: maxWidth)
        var shapes: [Shape] = [.text(shown, at: origin, size: size, weight: weight, horizontal: horizontal, vertical: vertical)]
        if shown != text {
            let width = TextMeasurer.shared.width(shown, font: font)
            let x = horizontal == .leading ? origin.x : horizontal == .center ? origin.x - width / 2 : origin.x - width
            let y = vertical == .top ? origin.y : origin.y - size
            shapes.append(.tooltip(text, over: Rect(x: x, y: y, width: width, height: size * 1.3)))
        }
        return shapes
    }
}
