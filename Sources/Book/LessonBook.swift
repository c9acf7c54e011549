// The lesson book: one self-contained HTML page per lesson (its recorded step as data, its
// pictures as inline SVG, the page's CSS and JavaScript from Resources/), plus an index. Pages
// open from file:// and make no request of any kind.

import Diagrams
import Foundation
import LessonEngine
import Models
import TensorCore

public enum LessonBook {
    /// One lesson's page as HTML. `trained` is the same step replayed with trained weights.
    public static func page(replay: Replay, trained: Replay? = nil, trainedSource: String = "", seed: UInt64,
                            resources: BookResources, command: String) throws -> String {
        let lesson = replay.lesson
        let code = try SeedCode.load(model: lesson.model, resources: resources)
        let architectures = Self.architectures(for: lesson)
        let archScenes = try architectures.map { try $0.scene() }
        let archNames = Set(archScenes.flatMap { $0.shapes.compactMap { shape -> String? in
            if case .group(let name, _) = shape { return name } else { return nil }
        } })
        var builder = PageBuilder(replay: replay, code: code, command: command)
        var data = try builder.build(archNames: archNames)
        var sgdSVG = "", contourSVG = ""
        if lesson.model == .linearSGD {
            let (animation, view) = try sgdAnimation(lesson: lesson, seed: seed)
            data.views.sgd = view
            sgdSVG = sgdFramesSVG(animation)
            contourSVG = contourWithCursor(MSEContour(animation).scene())
        }
        if let trained {
            var other = PageBuilder(replay: trained, code: nil, command: command)
            // One buffer table for both, so equal values are stored once.
            other.buffers = builder.buffers
            let outputs = trained.events.map { $0.outputs.map { other.tensor($0) } }
            builder.buffers = other.buffers
            let loss = trained.events.first { $0.phase == .forward && $0.label == "loss" }?.outputs.first?.values?.first
            data.views.trained = TrainedStep(source: trainedSource, loss: loss.map { String(format: "%.6g", $0) } ?? "",
                                             outputs: outputs)
        }
        data.buffers = builder.buffers.encoded
        if !replay.vocabulary.isEmpty { data.lesson.vocabulary = replay.vocabulary.map { String(Character($0)) } }

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // JSONEncoder writes "/" as "\/", so "</script>" cannot occur inside the data.
        let json = String(decoding: try encoder.encode(data), as: UTF8.self)
        let graph = graphSVG(ComputationGraph(events: replay.events).scene(showBackward: true))
        let arch = zip(architectures, archScenes).map { a, scene in
            "<figure class=\"arch\">" + SVGText.svg(scene, className: "arch-svg") + "</figure>"
        }.joined()
        return try fill(template: resources.text("book.html"), [
            "TITLE": SVGText.escaped(lesson.title),
            "CSS": resources.text("book.css"),
            "JS": resources.text("book.js"),
            "DATA": json,
            "GRAPH": graph,
            "ARCH": arch,
            "SGD": sgdSVG,
            "CONTOUR": contourSVG,
        ])
    }

    /// The index page linking every lesson page.
    public static func index(entries: [(file: String, title: String, summary: String)], resources: BookResources) throws -> String {
        let items = entries.map { e in
            "<li><a href=\"\(SVGText.escaped(e.file))\">\(SVGText.escaped(e.title))</a><br><span class=\"dim\">\(SVGText.escaped(e.summary))</span></li>"
        }.joined(separator: "\n")
        return try fill(template: resources.text("index.html"), ["CSS": resources.text("book.css"), "ITEMS": items])
    }

    static func fill(template: String, _ values: [String: String]) throws -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw InputError("book resources: unclosed {{ in a page template")
            }
            let key = String(rest[open.upperBound..<close.lowerBound])
            guard let value = values[key] else { throw InputError("book resources: the template asks for {{\(key)}}, which the book does not fill") }
            out += value
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    static func architectures(for lesson: Lesson) -> [Architecture] {
        let steps = lesson.seqLength
        switch lesson.model {
        case .linearSGD: return []
        case .char3: return [.char3()]
        case .charLoop: return [.charLoop(unrolled: false), .charLoop(unrolled: true, steps: steps)]
        case .charLoopConcat: return [.charLoopConcat(unrolled: false), .charLoopConcat(unrolled: true, steps: steps)]
        case .charRnn: return [.charRnn(unrolled: false), .charRnn(unrolled: true, steps: steps)]
        case .charSeqRnn: return [.charSeqRnn(unrolled: false), .charSeqRnn(unrolled: true, steps: steps)]
        case .embeddingDotBias: return [.embeddingDotBias()]
        case .embeddingNet: return [.embeddingNet(factors: lesson.nFactors)]
        case .mixedInput: return [.mixedInput()]
        }
    }

    /// The computation graph with every arrow in a group named after the ops it joins
    /// (`edge:12-13`), found from where it starts and ends on the boxes.
    static func graphSVG(_ scene: Scene) -> String {
        var bottom: [(Point, Int)] = [], top: [(Point, Int)] = []
        for shape in scene.shapes {
            guard case .group(let name, let children) = shape, name.hasPrefix("op:"), let seq = Int(name.dropFirst(3)) else { continue }
            for child in children {
                if case .rect(let r, _, _) = child {
                    bottom.append((Point(r.center.x, r.maxY), seq)); top.append((Point(r.center.x, r.minY), seq))
                    break
                }
            }
        }
        func near(_ p: Point, _ list: [(Point, Int)]) -> Int? {
            list.first { abs($0.0.x - p.x) < 0.5 && abs($0.0.y - p.y) < 0.5 }?.1
        }
        var scene = scene
        scene.shapes = scene.shapes.map { shape in
            guard case .group("edges", let arrows) = shape else { return shape }
            return .group(name: "edges", arrows.map { arrow in
                var ends: (Point, Point)?
                if case .polyline(let points, _, _) = arrow, let a = points.first, let b = points.last { ends = (a, b) }
                if case .curve(let a, _, _, let b, _, _) = arrow { ends = (a, b) }
                guard let (a, b) = ends, let from = near(a, bottom), let to = near(b, top) else { return arrow }
                return .group(name: "edge:\(from)-\(to)", [arrow])
            })
        }
        return SVGText.svg(scene, className: "graph-svg")
    }

    // MARK: linear SGD

    static func sgdAnimation(lesson: Lesson, seed: UInt64) throws -> (LinearSGDAnimation, Views.SGD) {
        var options = RunOptions()
        options.seed = seed
        let story = LinearStory(runner: LessonRunner(lesson: lesson, options: options))
        let (path, perFrame) = story.trajectory(frames: lesson.animation.frames)
        var animation = try LinearSGDAnimation(x: story.x, y: story.y, frames: path.map { LineFit(a: $0.a, b: $0.b) },
                                               updatesPerFrame: perFrame)
        animation.drawnPoints = lesson.animation.points
        animation.subtitle = story.summary
        let view = Views.SGD(frames: path.count, captions: path.indices.map { animation.caption($0).joined(separator: "   ") },
                             losses: path.map { Double($0.loss) }, fits: path.map { [$0.a, $0.b] },
                             updatesPerFrame: perFrame, lr: story.lr)
        return (animation, view)
    }

    /// The animation's still parts once and each frame's line and caption as a hidden group
    /// (`frame:3`) that the page shows one at a time.
    static func sgdFramesSVG(_ animation: LinearSGDAnimation) -> String {
        var scene = animation.frameScene(0)
        scene.shapes = animation.staticShapes()
        for i in animation.frames.indices {
            scene.shapes.append(.group(name: "frame:\(i)", animation.movingShapes(i)))
        }
        return SVGText.svg(scene, className: "sgd-svg")
    }

    /// The contour plot with a ring per path dot (`dot:3`), shown for the current frame.
    static func contourWithCursor(_ scene: Scene) -> String {
        var scene = scene
        var dots: [Point] = []
        for shape in scene.shapes {
            if case .group("path", let children) = shape {
                for c in children { if case .circle(let p, _, _) = c { dots.append(p) } }
            }
        }
        for (i, p) in dots.enumerated() {
            scene.shapes.append(.group(name: "dot:\(i)", [.circle(center: p, radius: 7, .stroke(.black, width: 2.5))]))
        }
        return SVGText.svg(scene, className: "contour-svg")
    }
}
