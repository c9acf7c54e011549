// The front door for the CLI: one call per kind of picture, each returning the files it wrote.
// Everything here is "build a scene, paint it, write it atomically".

import Foundation
import TensorCore

/// Writes diagrams to disk. Every method creates `dir` if needed and throws `DiagramError`
/// with the path and reason when it cannot.
public enum DiagramWriter {
    /// Which encodings `writeScene` produces.
    public struct Formats: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let svg = Formats(rawValue: 1)
        public static let png = Formats(rawValue: 2)
        public static let both: Formats = [.svg, .png]
    }

    /// Cairo's SVG has no hover text: each tooltip becomes a transparent rectangle with a
    /// `<title>` laid over the picture, just before `</svg>`.
    static func withTooltips(_ svg: [UInt8], _ scene: Scene) -> [UInt8] {
        let tips = scene.tooltips
        guard !tips.isEmpty, var text = String(bytes: svg, encoding: .utf8), let end = text.range(of: "</svg>", options: .backwards)
        else { return svg }
        func n(_ v: Double) -> String { String(format: "%.2f", v) }
        let overlay = tips.map { tip in
            "<rect x=\"\(n(tip.area.x))\" y=\"\(n(tip.area.y))\" width=\"\(n(tip.area.width))\" height=\"\(n(tip.area.height))\" "
                + "fill=\"#ffffff\" fill-opacity=\"0\"><title>\(xmlEscaped(tip.text))</title></rect>"
        }.joined(separator: "\n")
        text.replaceSubrange(end, with: "<g class=\"tooltips\">\n" + overlay + "\n</g>\n</svg>")
        return Array(text.utf8)
    }

    /// Paint `scene` as `dir/name.svg` and `dir/name.png`; returns the paths written (SVG first).
    @discardableResult
    public static func writeScene(_ scene: Scene, to dir: URL, name: String, formats: Formats = .both,
                                  pngScale: Double = 1) throws -> [URL] {
        try FileOutput.makeDirectory(dir)
        var written: [URL] = []
        if formats.contains(.svg) {
            let url = dir.appendingPathComponent(name + ".svg")
            try FileOutput.write(withTooltips(try CairoPainter.svg(scene), scene), to: url)
            written.append(url)
        }
        if formats.contains(.png) {
            let url = dir.appendingPathComponent(name + ".png")
            try FileOutput.write(try CairoPainter.png(scene, scale: pngScale), to: url)
            written.append(url)
        }
        return written
    }
}

extension DiagramWriter {
    /// Lay out `architecture` and write `dir/name.svg` and `dir/name.png`; returns both paths.
    @discardableResult
    public static func writeArchitecture(_ architecture: Architecture, to dir: URL, name: String,
                                         pngScale: Double = 1) throws -> [URL] {
        try writeScene(try architecture.scene(), to: dir, name: name, pngScale: pngScale)
    }

    /// Every lesson architecture (`Architecture.lessonDiagrams`) into `dir`; returns all paths.
    @discardableResult
    public static func writeLessonArchitectures(to dir: URL, steps: Int = 8) throws -> [URL] {
        var urls: [URL] = []
        for (name, arch) in Architecture.lessonDiagrams(steps: steps) {
            urls += try writeArchitecture(arch, to: dir, name: name)
        }
        return urls
    }
}

/// Everything `writeSGDAnimation` produced.
public struct SGDAnimationFiles: Sendable {
    /// One PNG per frame, `name-frame-01.png` …
    public var framePNGs: [URL]
    /// One SVG per frame.
    public var frameSVGs: [URL]
    /// The animated PNG.
    public var apng: URL
    /// The animated SVG (SMIL).
    public var animatedSVG: URL
    /// The self-contained HTML player.
    public var player: URL
    /// The MSE contour with the SGD path (SVG and PNG).
    public var contour: [URL]

    /// Every file, for a gallery.
    public var all: [URL] { [player, apng, animatedSVG] + contour + frameSVGs + framePNGs }
}

extension DiagramWriter {
    /// Write the SGD animation in every form: numbered PNG and SVG frames, an APNG, a SMIL SVG,
    /// an HTML player and the contour plot, all named after `name` in `dir`.
    @discardableResult
    public static func writeSGDAnimation(_ animation: LinearSGDAnimation, to dir: URL,
                                         name: String = "sgd") throws -> SGDAnimationFiles {
        try FileOutput.makeDirectory(dir)
        let n = animation.frames.count
        let digits = String(n).count
        var pngs: [[UInt8]] = []
        var pngURLs: [URL] = [], svgURLs: [URL] = []
        for i in 0..<n {
            let number = String(repeating: "0", count: digits - String(i + 1).count) + String(i + 1)
            let scene = animation.frameScene(i)
            let png = try CairoPainter.png(scene)
            pngs.append(png)
            let pngURL = dir.appendingPathComponent("\(name)-frame-\(number).png")
            let svgURL = dir.appendingPathComponent("\(name)-frame-\(number).svg")
            try FileOutput.write(png, to: pngURL)
            try FileOutput.write(try CairoPainter.svg(scene), to: svgURL)
            pngURLs.append(pngURL); svgURLs.append(svgURL)
        }
        let apng = dir.appendingPathComponent("\(name).apng.png")
        try FileOutput.write(try APNG.assemble(frames: pngs, delayMilliseconds: animation.frameDuration), to: apng)
        let smil = dir.appendingPathComponent("\(name).animated.svg")
        try FileOutput.write(try SMILAnimation.svg(animation), to: smil)
        let player = dir.appendingPathComponent("\(name).html")
        let html = try HTMLPlayer.html(title: "SGD fitting y = a·x + b", frames: pngs, width: animation.width,
                                       height: animation.height, frameDuration: animation.frameDuration,
                                       captions: (0..<n).map { animation.caption($0).joined(separator: "   ") })
        try FileOutput.write(html, to: player)
        let contour = try writeScene(MSEContour(animation).scene(), to: dir, name: "\(name)-contour")
        return SGDAnimationFiles(framePNGs: pngURLs, frameSVGs: svgURLs, apng: apng, animatedSVG: smil,
                                 player: player, contour: contour)
    }
}

extension DiagramWriter {
    /// The computation graph of a recorded step as `dir/name.svg` and `dir/name.png`.
    /// - Parameters:
    ///   - highlight: trace `seq` of the current op (forward or backward), or nil.
    ///   - showBackward: write each op's incoming gradient statistics into its box.
    @discardableResult
    public static func writeComputationGraph(events: [TraceEvent], to dir: URL, name: String,
                                             highlight: Int? = nil, showBackward: Bool = false, context: String? = nil) throws -> [URL] {
        guard events.contains(where: { $0.phase == .forward }) else {
            throw DiagramError.invalidInput("the trace has no forward events (was tracing on?)")
        }
        let scene = ComputationGraph(events: events).scene(highlight: highlight, showBackward: showBackward, context: context)
        return try writeScene(scene, to: dir, name: name)
    }
}
