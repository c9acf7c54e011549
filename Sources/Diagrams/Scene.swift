// A picture is data first: a list of shapes with colours and text. Layouts build scenes, tests
// compare scenes (never PNG bytes, which change with font versions), and only the Cairo painter
// turns a scene into pixels or SVG.

/// A colour with components in 0...1.
public struct Color: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var red: Double
    public var green: Double
    public var blue: Double
    public var alpha: Double

    public init(red: Double, green: Double, blue: Double, alpha: Double = 1) {
        self.red = red; self.green = green; self.blue = blue; self.alpha = alpha
    }

    /// From a 0xRRGGBB literal, the way designers write colours.
    public init(hex: UInt32, alpha: Double = 1) {
        self.init(red: Double((hex >> 16) & 0xFF) / 255,
                  green: Double((hex >> 8) & 0xFF) / 255,
                  blue: Double(hex & 0xFF) / 255, alpha: alpha)
    }

    public func withAlpha(_ alpha: Double) -> Color {
        Color(red: red, green: green, blue: blue, alpha: alpha)
    }

    /// `#rrggbb` (alpha dropped): what SVG and HTML want, and a readable key in test dumps.
    public var hexString: String {
        func byte(_ v: Double) -> Int { Int((Swift.max(0, Swift.min(1, v)) * 255).rounded()) }
        let value = (byte(red) << 16) | (byte(green) << 8) | byte(blue)
        let digits = String(value, radix: 16)
        return "#" + String(repeating: "0", count: 6 - digits.count) + digits
    }

    public var description: String { alpha == 1 ? hexString : "\(hexString)@\(alpha)" }

    public static let black = Color(hex: 0x000000)
    public static let white = Color(hex: 0xFFFFFF)
    public static let text = Color(hex: 0x222222)
    public static let grey = Color(hex: 0x888888)
    /// Embedding lookups (trained tables), apart from the three weight colours.
    public static let lookup = Color(hex: 0x8E5BB5)
    public static let lightGrey = Color(hex: 0xDDDDDD)
    public static let red = Color(hex: 0xD62728)

    // The lecture's arrow colours: edges that share a weight matrix share a colour.
    /// Input → hidden (`l_in`, `W_ih`).
    public static let inputToHidden = Color(hex: 0x2CA02C)
    /// Hidden → hidden (`l_hidden`, `W_hh`).
    public static let hiddenToHidden = Color(hex: 0xF28E00)
    /// Hidden → output (`l_out`).
    public static let hiddenToOutput = Color(hex: 0x1F6FD1)
}

public struct Point: Equatable, Hashable, Sendable {
    public var x: Double
    public var y: Double
    public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }

    public static func + (a: Point, b: Point) -> Point { Point(a.x + b.x, a.y + b.y) }
    public static func - (a: Point, b: Point) -> Point { Point(a.x - b.x, a.y - b.y) }
    public static func * (a: Point, k: Double) -> Point { Point(a.x * k, a.y * k) }
    public var length: Double { (x * x + y * y).squareRoot() }
    /// Same direction, length 1 (or zero for the zero vector).
    public var unit: Point { length == 0 ? self : self * (1 / length) }
}

/// An axis-aligned rectangle; y grows downwards, as on screen.
public struct Rect: Equatable, Hashable, Sendable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }

    public init(center: Point, width: Double, height: Double) {
        self.init(x: center.x - width / 2, y: center.y - height / 2, width: width, height: height)
    }

    public var minX: Double { x }
    public var minY: Double { y }
    public var maxX: Double { x + width }
    public var maxY: Double { y + height }
    public var center: Point { Point(x + width / 2, y + height / 2) }

    /// True when the two rectangles share some area (touching edges do not count).
    public func intersects(_ other: Rect) -> Bool {
        minX < other.maxX && other.minX < maxX && minY < other.maxY && other.minY < maxY
    }

    public func union(_ other: Rect) -> Rect {
        let x0 = Swift.min(minX, other.minX), y0 = Swift.min(minY, other.minY)
        let x1 = Swift.max(maxX, other.maxX), y1 = Swift.max(maxY, other.maxY)
        return Rect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }

    public func insetBy(_ d: Double) -> Rect {
        Rect(x: x + d, y: y + d, width: width - 2 * d, height: height - 2 * d)
    }
}

/// How a shape's outline and inside are painted. `nil` means "don't paint that part".
public struct Style: Equatable, Hashable, Sendable {
    public var fill: Color?
    public var stroke: Color?
    public var lineWidth: Double
    /// Dash pattern in points (empty for a solid line).
    public var dash: [Double]

    public init(fill: Color? = nil, stroke: Color? = nil, lineWidth: Double = 1, dash: [Double] = []) {
        self.fill = fill; self.stroke = stroke; self.lineWidth = lineWidth; self.dash = dash
    }

    public static func stroke(_ color: Color, width: Double = 1, dash: [Double] = []) -> Style {
        Style(stroke: color, lineWidth: width, dash: dash)
    }

    public static func fill(_ color: Color) -> Style { Style(fill: color) }
}

public enum FontWeight: String, Equatable, Hashable, Sendable { case regular, bold }

/// Two families cover every picture: proportional for prose, monospaced for code and numbers.
public enum FontFamily: String, Equatable, Hashable, Sendable {
    case sans = "DejaVu Sans"
    case mono = "DejaVu Sans Mono"
}

public enum HorizontalAlignment: String, Equatable, Hashable, Sendable { case leading, center, trailing }
public enum VerticalAlignment: String, Equatable, Hashable, Sendable {
    /// The anchor is the top of the text's line box.
    case top
    /// The anchor is the middle of the line box (what labels inside shapes want).
    case middle
    /// The anchor is the baseline.
    case baseline
    /// The anchor is the bottom of the line box.
    case bottom
}

/// One line of text anchored at a point.
public struct TextItem: Equatable, Hashable, Sendable {
    public var string: String
    public var position: Point
    public var size: Double
    public var weight: FontWeight
    public var family: FontFamily
    public var color: Color
    public var horizontal: HorizontalAlignment
    public var vertical: VerticalAlignment

    public init(_ string: String, at position: Point, size: Double = 12, weight: FontWeight = .regular,
                family: FontFamily = .sans, color: Color = .text,
                horizontal: HorizontalAlignment = .center, vertical: VerticalAlignment = .middle) {
        self.string = string; self.position = position; self.size = size; self.weight = weight
        self.family = family; self.color = color; self.horizontal = horizontal; self.vertical = vertical
    }

    public var font: Font { Font(family: family, weight: weight, size: size) }
}

/// Where an arrow's head goes; the head is a filled triangle in the line's colour.
public struct ArrowHead: Equatable, Hashable, Sendable {
    public var length: Double
    public var width: Double
    public init(length: Double = 10, width: Double = 8) { self.length = length; self.width = width }
    public static let standard = ArrowHead()
    public static let small = ArrowHead(length: 7, width: 5.5)
}

/// Everything a scene can hold. Shapes are values, so two scenes compare with `==`.
public indirect enum Shape: Equatable, Hashable, Sendable {
    case rect(Rect, cornerRadius: Double, Style)
    case circle(center: Point, radius: Double, Style)
    /// A closed polygon (triangles are polygons with three corners).
    case polygon([Point], Style)
    /// An open polyline; with a head it is an arrow pointing at its last point.
    case polyline([Point], Style, head: ArrowHead?)
    /// A cubic Bézier curve; with a head it is an arrow pointing at `to`.
    case curve(from: Point, control1: Point, control2: Point, to: Point, Style, head: ArrowHead?)
    case text(TextItem)
    /// Shapes that belong together (a node and its label); `name` is for tests and debugging.
    case group(name: String, [Shape])

    // MARK: convenience constructors, in the vocabulary of the lecture's drawings

    public static func triangle(_ a: Point, _ b: Point, _ c: Point, _ style: Style) -> Shape {
        .polygon([a, b, c], style)
    }

    public static func line(_ from: Point, _ to: Point, _ style: Style) -> Shape {
        .polyline([from, to], style, head: nil)
    }

    public static func arrow(from: Point, to: Point, color: Color, width: Double = 2,
                             head: ArrowHead = .standard, dash: [Double] = []) -> Shape {
        .polyline([from, to], .stroke(color, width: width, dash: dash), head: head)
    }

    /// A loop that leaves `node`'s right side above its middle and comes back below it: the
    /// lecture's "this layer feeds itself" arrow.
    public static func loopArrow(rightOf center: Point, radius: Double, reach: Double = 46,
                                 color: Color, width: Double = 2) -> Shape {
        let start = center + Point(radius * 0.7, -radius * 0.7)
        let end = center + Point(radius * 0.7, radius * 0.7)
        return .curve(from: start, control1: start + Point(reach, -reach * 0.8),
                      control2: end + Point(reach, reach * 0.8), to: end,
                      .stroke(color, width: width), head: .standard)
    }

    public static func text(_ string: String, at p: Point, size: Double = 12, weight: FontWeight = .regular,
                            color: Color = .text, horizontal: HorizontalAlignment = .center,
                            vertical: VerticalAlignment = .middle, family: FontFamily = .sans) -> Shape {
        .text(TextItem(string, at: p, size: size, weight: weight, family: family, color: color,
                       horizontal: horizontal, vertical: vertical))
    }
}

/// A picture: a canvas size, a background and shapes painted in order (later on top).
extension Shape {
    static let tooltipPrefix = "tooltip:"
    /// An invisible area whose full text an SVG shows on hover (a label that had to be cut).
    public static func tooltip(_ text: String, over area: Rect) -> Shape {
        .group(name: tooltipPrefix + text, [.rect(area, cornerRadius: 0, .fill(Color.white.withAlpha(0)))])
    }
}

public struct Scene: Equatable, Sendable {
    public var width: Double
    public var height: Double
    public var background: Color?
    public var shapes: [Shape]

    public init(width: Double, height: Double, background: Color? = .white, shapes: [Shape] = []) {
        self.width = width; self.height = height; self.background = background; self.shapes = shapes
    }

    public mutating func add(_ shape: Shape) { shapes.append(shape) }
    public mutating func add(_ more: [Shape]) { shapes.append(contentsOf: more) }
}

// MARK: walking a scene (tests and layout both need it)

extension Shape {
    /// This shape and, for groups, every shape inside, depth first.
    public var flattened: [Shape] {
        if case .group(_, let children) = self { return children.flatMap(\.flattened) }
        return [self]
    }

    /// The colour a reader would call "this shape's colour": stroke for lines, fill otherwise.
    public var mainColor: Color? {
        switch self {
        case .rect(_, _, let s), .circle(_, _, let s), .polygon(_, let s): return s.fill ?? s.stroke
        case .polyline(_, let s, _), .curve(_, _, _, _, let s, _): return s.stroke
        case .text(let t): return t.color
        case .group: return nil
        }
    }

    /// A short name of the case, for counts in tests and text dumps.
    public var kindName: String {
        switch self {
        case .rect: return "rect"
        case .circle: return "circle"
        case .polygon(let p, _): return p.count == 3 ? "triangle" : "polygon"
        case .polyline(_, _, let head): return head == nil ? "line" : "arrow"
        case .curve(_, _, _, _, _, let head): return head == nil ? "curve" : "curved-arrow"
        case .text: return "text"
        case .group: return "group"
        }
    }
}

extension Scene {
    /// Every shape, groups opened.
    public var allShapes: [Shape] { shapes.flatMap(\.flattened) }

    /// Every text item, in painting order.
    public var texts: [TextItem] {
        allShapes.compactMap { if case .text(let t) = $0 { return t } else { return nil } }
    }

    /// Hover texts (`Shape.tooltip`) and the areas they cover, for the SVG writer.
    public var tooltips: [(text: String, area: Rect)] {
        func walk(_ shape: Shape) -> [(String, Rect)] {
            guard case .group(let name, let children) = shape else { return [] }
            if name.hasPrefix(Shape.tooltipPrefix), case .rect(let r, _, _)? = children.first {
                return [(String(name.dropFirst(Shape.tooltipPrefix.count)), r)]
            }
            return children.flatMap(walk)
        }
        return shapes.flatMap(walk)
    }

    /// Top-level groups with the given name prefix (e.g. all `node:` groups of a diagram).
    public func groups(named prefix: String) -> [(name: String, shapes: [Shape])] {
        shapes.compactMap {
            if case .group(let name, let children) = $0, name.hasPrefix(prefix) { return (name, children) }
            return nil
        }
    }
}
