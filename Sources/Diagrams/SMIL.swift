// An animated SVG that needs no script: the still parts (axes, points) are Cairo's SVG of a
// scene, nested as-is; the line is an SVG <line> whose y1/y2 step through the frames with SMIL
// <animate calcMode="discrete">, and each caption is a <text> made visible in its own slot.
// Without SMIL support a viewer still shows frame 1, because the static attributes are frame 1.

import Foundation

public enum SMILAnimation {
    /// The animation as one self-contained SVG document that loops forever.
    public static func svg(_ animation: LinearSGDAnimation) throws -> String {
        let n = animation.frames.count
        let still = Scene(width: animation.width, height: animation.height, shapes: animation.staticShapes())
        let background = String(decoding: try CairoPainter.svg(still), as: UTF8.self)
        let duration = String(format: "%.3fs", Double(n * animation.frameDuration) / 1000)
        // Discrete animation: value k holds from keyTimes[k] until keyTimes[k+1].
        let keyTimes = (0..<n).map { String(format: "%.4f", Double($0) / Double(n)) }.joined(separator: ";")

        func animate(_ attribute: String, _ values: [String]) -> String {
            "<animate attributeName=\"\(attribute)\" values=\"\(values.joined(separator: ";"))\" keyTimes=\"\(keyTimes)\" "
                + "calcMode=\"discrete\" dur=\"\(duration)\" repeatCount=\"indefinite\"/>"
        }
        func number(_ v: Double) -> String { String(format: "%.2f", v) }

        var svg = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" \
        width="\(number(animation.width))" height="\(number(animation.height))" \
        viewBox="0 0 \(number(animation.width)) \(number(animation.height))">
        <title>SGD fitting y = a·x + b (\(n) frames)</title>

        """
        svg += stripXMLDeclaration(background) + "\n"

        let ends = (0..<n).map(animation.lineEnds)
        let (p0, p1) = ends[0]
        svg += "<line id=\"fit\" x1=\"\(number(p0.x))\" y1=\"\(number(p0.y))\" x2=\"\(number(p1.x))\" y2=\"\(number(p1.y))\" "
            + "stroke=\"\(LinearSGDAnimation.lineColor.hexString)\" stroke-width=\"2.5\" stroke-linecap=\"round\">\n"
        svg += "  " + animate("y1", ends.map { number($0.0.y) }) + "\n"
        svg += "  " + animate("y2", ends.map { number($0.1.y) }) + "\n"
        svg += "</line>\n"

        let font = Font(family: .mono, size: LinearSGDAnimation.captionSize)
        for i in 0..<n {
            let visibility = (0..<n).map { $0 == i ? "visible" : "hidden" }
            svg += "<g class=\"caption\" visibility=\"\(i == 0 ? "visible" : "hidden")\">\n"
            svg += "  " + animate("visibility", visibility) + "\n"
            for (k, line) in animation.caption(i).enumerated() {
                let item = TextItem(line, at: animation.captionAnchor(k), size: font.size, family: .mono,
                                    horizontal: .leading, vertical: .middle)
                let origin = CairoText.baselineOrigin(of: item, metrics: animation.measurer.metrics(line, font: font))
                svg += "  <text x=\"\(number(origin.x))\" y=\"\(number(origin.y))\" font-family=\"DejaVu Sans Mono, monospace\" "
                    + "font-size=\"\(number(font.size))\" fill=\"\(Color.text.hexString)\" xml:space=\"preserve\">"
                    + xmlEscaped(line) + "</text>\n"
            }
            svg += "</g>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    /// Cairo's SVG starts with an XML declaration, which may not appear inside another document.
    static func stripXMLDeclaration(_ svg: String) -> String {
        guard svg.hasPrefix("<?xml"), let end = svg.range(of: "?>") else { return svg }
        return String(svg[end.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Text made safe for XML and HTML content and attribute values.
func xmlEscaped(_ s: String) -> String {
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
