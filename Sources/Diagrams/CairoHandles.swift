// The only file that owns raw Cairo pointers. Each C handle lives in a final class that frees it
// in `deinit`, so no other code calls cairo_*_destroy and nothing leaks when a throw unwinds.

import CCairo

/// Bytes Cairo hands us through a write callback (PNG and SVG streams).
final class ByteSink {
    var bytes: [UInt8] = []
}

/// The callback Cairo calls with each chunk of an encoded stream. `closure` is a `ByteSink`.
private let appendToSink: cairo_write_func_t = { closure, data, length in
    guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
    let sink = Unmanaged<ByteSink>.fromOpaque(closure).takeUnretainedValue()
    sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
    return CAIRO_STATUS_SUCCESS
}

/// A `cairo_surface_t`: an image in memory, or an SVG document being written to a byte sink.
final class CairoSurface {
    let pointer: OpaquePointer
    /// Kept alive as long as the surface: Cairo writes SVG bytes into it until `finish()`.
    private let sink: ByteSink?

    /// A 32-bit ARGB image of `width` × `height` pixels.
    init(imageWidth width: Int, height: Int) throws {
        pointer = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width), Int32(height))
        sink = nil
        try CairoSurface.check(cairo_surface_status(pointer), "creating a \(width)×\(height) image")
    }

    /// An SVG document of `width` × `height` pixels whose bytes go to a sink.
    init(svgWidth width: Double, height: Double) throws {
        let sink = ByteSink()
        self.sink = sink
        pointer = cairo_svg_surface_create_for_stream(appendToSink, Unmanaged.passUnretained(sink).toOpaque(),
                                                      width, height)
        try CairoSurface.check(cairo_surface_status(pointer), "creating an SVG surface")
        // Pixels, not points, so an SVG and the PNG of the same scene have the same size in a browser.
        cairo_svg_surface_set_document_unit(pointer, CAIRO_SVG_UNIT_PX)
    }

    deinit { cairo_surface_destroy(pointer) }

    /// Flush everything; for SVG surfaces this writes the closing tags. Returns the SVG bytes.
    func finishSVG() throws -> [UInt8] {
        cairo_surface_finish(pointer)
        try CairoSurface.check(cairo_surface_status(pointer), "finishing an SVG document")
        return sink?.bytes ?? []
    }

    /// The image encoded as PNG, in memory.
    func pngBytes() throws -> [UInt8] {
        let out = ByteSink()
        let status = cairo_surface_write_to_png_stream(pointer, appendToSink,
                                                       Unmanaged.passUnretained(out).toOpaque())
        try CairoSurface.check(status, "encoding a PNG")
        return withExtendedLifetime(out) { out.bytes }
    }

    static func check(_ status: cairo_status_t, _ doing: String) throws {
        guard status != CAIRO_STATUS_SUCCESS else { return }
        let message = cairo_status_to_string(status).map { String(cString: $0) } ?? "status \(status.rawValue)"
        throw DiagramError.cairo("Cairo failed while \(doing): \(message)")
    }
}

/// A `cairo_t`: the pen that draws on one surface.
final class CairoContext {
    let pointer: OpaquePointer
    /// The surface must outlive the context; holding it here makes that automatic.
    let surface: CairoSurface

    init(_ surface: CairoSurface) throws {
        self.surface = surface
        pointer = cairo_create(surface.pointer)
        try CairoSurface.check(cairo_status(pointer), "creating a drawing context")
    }

    deinit { cairo_destroy(pointer) }
}
