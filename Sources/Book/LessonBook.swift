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
            let (animation, view) = try sgdAnimation(lesson: lesson, seed: seed, buffers: &builder.buffers)
            data.views.sgd = view
            sgdSVG = SVGText.svg(Scene(width: animation.width, height: animation.height, shapes: animation.staticShapes()),
                                 className: "sgd-svg")
            contourSVG = SVGText.svg(MSEContour(animation).scene(), className: "contour-svg")
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
        data.buffers = builder.buffers.entries
        (data.packed, data.packedBytes) = try builder.buffers.packedText()
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
            "JS": resources.text("explain.js") + "\n" + resources.text("book.js"),
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

    /// The animation's still parts, and every iteration of the run for the page's scrubber.
    static func sgdAnimation(lesson: Lesson, seed: UInt64, buffers: inout BufferTable) throws -> (LinearSGDAnimation, Views.SGD) {
        var options = RunOptions()
        options.seed = seed
        let story = LinearStory(runner: LessonRunner(lesson: lesson, options: options))
        let (path, perFrame) = story.trajectory(frames: lesson.animation.frames)
        var animation = try LinearSGDAnimation(x: story.x, y: story.y, frames: path.map { LineFit(a: $0.a, b: $0.b) },
                                               updatesPerFrame: perFrame)
        animation.drawnPoints = lesson.animation.points
        animation.subtitle = story.summary
        // The run itself, as `watch` reads it: a and b before iteration k's update, and its loss.
        var a: [Float] = [], b: [Float] = [], loss: [Float] = []
        _ = try LinearSGD.fit(x: story.x, y: story.y, a0: story.a0, b0: story.b0, lr: story.lr, iterations: story.iterations,
                              checked: false, checkHandGradients: false) { s in
            a.append(s.a); b.append(s.b); loss.append(s.loss)
        }
        let view = Views.SGD(iterations: a.count, a: buffers.add(a), b: buffers.add(b), loss: buffers.add(loss),
                             lr: story.lr, points: story.x.count, updatesPerFrame: perFrame,
                             line: Views.Affine(animation.plotFrame), contour: Views.Affine(MSEContour(animation).plotFrame),
                             xRange: [Double(animation.xRange.0), Double(animation.xRange.1)])
        return (animation, view)
    }
}
