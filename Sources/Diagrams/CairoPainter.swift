// The one place a Scene becomes pixels or SVG. Layouts never call Cairo; they build scenes.

import CCairo

/// Paints scenes with Cairo.
public enum CairoPainter {
    /// The scene as a PNG file's bytes. `scale` 2 gives a sharp picture on high-density screens.
    public static func png(_ scene: Scene, scale: Double = 1) throws -> [UInt8] {
        let surface = try imageSurface(scene, scale: scale)
        return try surface.pngBytes()
    }

    /// The scene as an SVG document (UTF-8 bytes). Cairo turns text into glyph outlines, so the
    /// SVG looks the same without the fonts installed.
    public static func svg(_ scene: Scene) throws -> [UInt8] {
        let surface = try CairoSurface(svgWidth: scene.width, height: scene.height)
        do {
            let context = try CairoContext(surface)
            paint(scene, on: context.pointer)
            try CairoSurface.check(cairo_status(context.pointer), "painting an SVG")
        }
        return try surface.finishSVG()
    }

    static func imageSurface(_ scene: Scene, scale: Double) throws -> CairoSurface {
        guard scene.width > 0, scene.height > 0, scale > 0 else {
            throw DiagramError.invalidInput("scene has no area (\(scene.width)×\(scene.height))")
        }
        let w = Int((scene.width * scale).rounded(.up)), h = Int((scene.height * scale).rounded(.up))
        let surface = try CairoSurface(imageWidth: w, height: h)
        let context = try CairoContext(surface)
        cairo_scale(context.pointer, scale, scale)
        paint(scene, on: context.pointer)
        try CairoSurface.check(cairo_status(context.pointer), "painting a PNG")
        cairo_surface_flush(surface.pointer)
        return surface
    }

    static func paint(_ scene: Scene, on cr: OpaquePointer) {
        if let bg = scene.background {
            setColor(bg, cr)
            cairo_rectangle(cr, 0, 0, scene.width, scene.height)
            cairo_fill(cr)
        }
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND)
        for shape in scene.shapes { paint(shape, cr) }
    }

    private static func paint(_ shape: Shape, _ cr: OpaquePointer) {
        switch shape {
        case .rect(let r, let radius, let style):
            roundedRect(r, radius: radius, cr)
            fillAndStroke(style, cr)
        case .circle(let c, let radius, let style):
            cairo_new_path(cr)
            cairo_arc(cr, c.x, c.y, radius, 0, 2 * Double.pi)
            cairo_close_path(cr)
            fillAndStroke(style, cr)
        case .polygon(let points, let style):
            guard let first = points.first else { return }
            cairo_new_path(cr)
            cairo_move_to(cr, first.x, first.y)
            for p in points.dropFirst() { cairo_line_to(cr, p.x, p.y) }
            cairo_close_path(cr)
            fillAndStroke(style, cr)
        case .polyline(var points, let style, let head):
            guard points.count >= 2 else { return }
            var tip: (Point, Point)?
            if let head {
                let end = points[points.count - 1]
                let dir = (end - points[points.count - 2]).unit
                tip = (end, dir)
                // Stop the line where the head begins, so a thick line cannot poke past the tip.
                points[points.count - 1] = end - dir * (head.length * 0.8)
            }
            cairo_new_path(cr)
            cairo_move_to(cr, points[0].x, points[0].y)
            for p in points.dropFirst() { cairo_line_to(cr, p.x, p.y) }
            stroke(style, cr)
            if let head, let (end, dir) = tip { arrowHead(at: end, direction: dir, head, style, cr) }
        case .curve(let a, let c1, let c2, let b, let style, let head):
            let dir = ((b == c2 ? b - c1 : b - c2)).unit
            let end = head.map { b - dir * ($0.length * 0.8) } ?? b
            cairo_new_path(cr)
            cairo_move_to(cr, a.x, a.y)
            cairo_curve_to(cr, c1.x, c1.y, c2.x, c2.y, end.x, end.y)
            stroke(style, cr)
            if let head { arrowHead(at: b, direction: dir, head, style, cr) }
        case .text(let item):
            guard item.color.alpha > 0, !item.string.isEmpty else { return }
            CairoText.select(item.font, in: cr)
            let m = TextMeasurer.shared.metrics(item.string, font: item.font)
            let origin = CairoText.baselineOrigin(of: item, metrics: m)
            setColor(item.color, cr)
            cairo_move_to(cr, origin.x, origin.y)
            cairo_show_text(cr, item.string)
            cairo_new_path(cr)
        case .group(_, let children):
            for child in children { paint(child, cr) }
        }
    }

    private static func arrowHead(at tip: Point, direction dir: Point, _ head: ArrowHead, _ style: Style,
                                  _ cr: OpaquePointer) {
        guard let color = style.stroke else { return }
        let back = tip - dir * head.length
        let normal = Point(-dir.y, dir.x) * (head.width / 2)
        cairo_new_path(cr)
        cairo_move_to(cr, tip.x, tip.y)
        cairo_line_to(cr, back.x + normal.x, back.y + normal.y)
        cairo_line_to(cr, back.x - normal.x, back.y - normal.y)
        cairo_close_path(cr)
        setColor(color, cr)
        cairo_fill(cr)
    }

    private static func roundedRect(_ r: Rect, radius: Double, _ cr: OpaquePointer) {
        cairo_new_path(cr)
        let rad = min(radius, r.width / 2, r.height / 2)
        guard rad > 0 else {
            cairo_rectangle(cr, r.x, r.y, r.width, r.height)
            return
        }
        let half = Double.pi / 2
        cairo_arc(cr, r.maxX - rad, r.minY + rad, rad, -half, 0)
        cairo_arc(cr, r.maxX - rad, r.maxY - rad, rad, 0, half)
        cairo_arc(cr, r.minX + rad, r.maxY - rad, rad, half, 2 * half)
        cairo_arc(cr, r.minX + rad, r.minY + rad, rad, 2 * half, 3 * half)
        cairo_close_path(cr)
    }

    private static func fillAndStroke(_ style: Style, _ cr: OpaquePointer) {
        if let fill = style.fill {
            setColor(fill, cr)
            style.stroke == nil ? cairo_fill(cr) : cairo_fill_preserve(cr)
        }
        stroke(style, cr)
        cairo_new_path(cr)
    }

    private static func stroke(_ style: Style, _ cr: OpaquePointer) {
        guard let color = style.stroke, style.lineWidth > 0 else { cairo_new_path(cr); return }
        setColor(color, cr)
        cairo_set_line_width(cr, style.lineWidth)
        if style.dash.isEmpty {
            cairo_set_dash(cr, nil, 0, 0)
        } else {
            cairo_set_dash(cr, style.dash, Int32(style.dash.count), 0)
        }
        cairo_stroke(cr)
    }

    private static func setColor(_ c: Color, _ cr: OpaquePointer) {
        cairo_set_source_rgba(cr, c.red, c.green, c.blue, c.alpha)
    }
}
