// A scene as SVG markup written by hand, for pages that script their pictures: every named
// group keeps its name (`data-name="op:12"`), so a browser can highlight an op or an arrow by
// name. Cairo's SVG (CairoPainter.svg) outlines the glyphs and drops the names, which suits a
// file but not an interactive page. Text is placed with the same baseline rule as Cairo.

import Foundation

public enum SVGText {
    /// The scene as one `<svg>` element (no XML prologue, for inlining in HTML).
    /// `className` goes on the root element; `groupName` maps a group's name to extra attributes.
    public static func svg(_ scene: Scene, className: String = "",
                           measurer: TextMeasurer = .shared,
                           groupAttributes: (String) -> String = { _ in "" }) -> String {
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(n(scene.width)) \(n(scene.height))\" "
        out += "width=\"\(n(scene.width))\" height=\"\(n(scene.height))\""
        if !className.isEmpty { out += " class=\"\(escaped(className))\"" }
        out += ">"
        if let bg = scene.background {
            out += "<rect width=\"\(n(scene.width))\" height=\"\(n(scene.height))\" fill=\"\(bg.hexString)\"/>"
        }
        for shape in scene.shapes { write(shape, into: &out, measurer: measurer, groupAttributes: groupAttributes) }
        return out + "</svg>"
    }

    static func write(_ shape: Shape, into out: inout String, measurer: TextMeasurer,
                      groupAttributes: (String) -> String) {
        switch shape {
        case .rect(let r, let radius, let style):
            let rad = min(radius, r.width / 2, r.height / 2)
            out += "<rect x=\"\(n(r.x))\" y=\"\(n(r.y))\" width=\"\(n(r.width))\" height=\"\(n(r.height))\""
            if rad > 0 { out += " rx=\"\(n(rad))\"" }
            out += paint(style) + "/>"
        case .circle(let c, let radius, let style):
            out += "<circle cx=\"\(n(c.x))\" cy=\"\(n(c.y))\" r=\"\(n(radius))\"" + paint(style) + "/>"
        case .polygon(let points, let style):
            out += "<polygon points=\"\(pointList(points))\"" + paint(style) + "/>"
        case .polyline(var points, let style, let head):
            guard points.count >= 2 else { return }
            var tip: (Point, Point)?
            if let head {
                // As CairoPainter: the line stops where the head begins.
                let end = points[points.count - 1]
                let dir = (end - points[points.count - 2]).unit
                tip = (end, dir)
                points[points.count - 1] = end - dir * (head.length * 0.8)
            }
            out += "<polyline points=\"\(pointList(points))\" fill=\"none\"" + stroke(style) + "/>"
            if let head, let (end, dir) = tip { out += arrowHead(end, dir, head, style) }
        case .curve(let a, let c1, let c2, let b, let style, let head):
            let dir = (b == c2 ? b - c1 : b - c2).unit
            let end = head.map { b - dir * ($0.length * 0.8) } ?? b
            out += "<path d=\"M\(n(a.x)),\(n(a.y)) C\(n(c1.x)),\(n(c1.y)) \(n(c2.x)),\(n(c2.y)) \(n(end.x)),\(n(end.y))\" fill=\"none\""
            out += stroke(style) + "/>"
            if let head { out += arrowHead(b, dir, head, style) }
        case .text(let item):
            guard item.color.alpha > 0, !item.string.isEmpty else { return }
            let origin = CairoText.baselineOrigin(of: item, metrics: measurer.metrics(item.string, font: item.font))
            out += "<text x=\"\(n(origin.x))\" y=\"\(n(origin.y))\" font-family=\"\(item.family.rawValue)\" font-size=\"\(n(item.size))\""
            if item.weight == .bold { out += " font-weight=\"bold\"" }
            out += " fill=\"\(item.color.hexString)\"" + opacity("fill-opacity", item.color.alpha)
            out += " xml:space=\"preserve\">" + escaped(item.string) + "</text>"
        case .group(let name, let children):
            out += "<g data-name=\"\(escaped(name))\"\(groupAttributes(name))>"
            for child in children { write(child, into: &out, measurer: measurer, groupAttributes: groupAttributes) }
            out += "</g>"
        }
    }

    static func arrowHead(_ tip: Point, _ dir: Point, _ head: ArrowHead, _ style: Style) -> String {
        guard let color = style.stroke else { return "" }
        let back = tip - dir * head.length
        let normal = Point(-dir.y, dir.x) * (head.width / 2)
        let points = [tip, back + normal, back - normal]
        return "<polygon class=\"head\" points=\"\(pointList(points))\" fill=\"\(color.hexString)\"" + opacity("fill-opacity", color.alpha) + "/>"
    }

    static func paint(_ style: Style) -> String {
        var s = ""
        if let fill = style.fill { s += " fill=\"\(fill.hexString)\"" + opacity("fill-opacity", fill.alpha) } else { s += " fill=\"none\"" }
        return s + stroke(style)
    }

    static func stroke(_ style: Style) -> String {
        guard let color = style.stroke, style.lineWidth > 0 else { return "" }
        var s = " stroke=\"\(color.hexString)\" stroke-width=\"\(n(style.lineWidth))\" stroke-linecap=\"round\" stroke-linejoin=\"round\""
        s += opacity("stroke-opacity", color.alpha)
        if !style.dash.isEmpty { s += " stroke-dasharray=\"\(style.dash.map(n).joined(separator: " "))\"" }
        return s
    }

    static func opacity(_ attribute: String, _ alpha: Double) -> String {
        alpha >= 1 ? "" : " \(attribute)=\"\(n(alpha))\""
    }

    static func pointList(_ points: [Point]) -> String {
        points.map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " ")
    }

    /// Two decimals, no trailing zeros: enough for a screen, short in the page.
    static func n(_ v: Double) -> String {
        let r = (v * 100).rounded() / 100
        if r == r.rounded() { return String(Int(r)) }
        var s = String(format: "%.2f", r)
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }

    /// Text and attribute values with XML's five special characters escaped.
    public static func escaped(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
