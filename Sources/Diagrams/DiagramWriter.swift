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

    /// Paint `scene` as `dir/name.svg` and `dir/name.png`; returns the paths written (SVG first).
    @discardableResult
    public static func writeScene(_ scene: Scene, to dir: URL, name: String, formats: Formats = .both,
                                  pngScale: Double = 1) throws -> [URL] {
        try FileOutput.makeDirectory(dir)
        var written: [URL] = []
        if formats.contains(.svg) {
            let url = dir.appendingPathComponent(name + ".svg")
            try FileOutput.write(try CairoPainter.svg(scene), to: url)
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
