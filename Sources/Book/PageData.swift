// What one lesson page knows, as JSON inside the page: the recorded step's events with their
// tensors, the contrib text the CLI prints, and the views across the step. Values are float32
// little-endian (a float's exact bits), deflated in base 85 (BufferTable.packedText), each distinct
// buffer once, some as the rule that makes them (BufferTable).

import Diagrams
import Foundation
import LessonEngine
import Models
import TensorCore

/// One tensor as the page shows it.
struct PageTensor: Encodable {
    var label: String
    var id: Int
    var shape: [Int]
    var kind: String
    /// Presenter.stats: the statistics line `step` prints, of the whole tensor.
    var stats: String
    /// Index into `buffers` (every value), nil when the trace kept no values.
    var data: Int?
}

struct PageContribution: Encodable {
    struct Part: Encodable {
        var event: Int
        var label: String
        var l2: Double
        var data: Int?
    }
    var name: String
    var parts: [Part]
    /// ‖grad(name)‖, the norm of the sum.
    var sumL2: Double
    var sum: Int?
    var shape: [Int]
    /// Which part this event is (from 0).
    var current: Int
    /// `contrib NAME` as the CLI prints it.
    var text: String
}

struct PageEvent: Encodable {
    var seq: Int
    var phase: String
    var op: String
    var label: String
    var expression: String
    var attributes: String
    /// Presenter.header without colour: `[12/63] forward  matmul(transB)  l_in(e(c2))`.
    var header: String
    var rule: String?
    var codeLine: Int?
    /// Names of the architecture diagram's groups this op belongs to.
    var arch: [String]
    /// `op:<seq>` of the graph box to highlight.
    var node: Int?
    /// For update: the forward ops that read this parameter.
    var uses: [Int]
    var beats: [String]
    var inputs: [PageTensor]
    var outputs: [PageTensor]
    /// For update: the parameter before the step.
    var before: PageTensor?
    var contrib: [PageContribution]
}

struct PageData: Encodable {
    struct LessonInfo: Encodable {
        var id: String
        var title: String
        var model: String
        var batch: String
        var intro: [String]
        var counts: [String: Int]
        var command: String
        /// The corpus's characters by index, to label the class axis (char lessons).
        var vocabulary: [String]?
    }
    struct Code: Encodable {
        var file: String
        var lines: [String]
    }
    struct GraphEdge: Encodable { var from: Int; var to: Int }
    struct Graph: Encodable {
        var nodes: [Int]
        var backward: [Int: Int]
        var edges: [GraphEdge]
    }
    var lesson: LessonInfo
    var buffers: [PageBuffer]
    /// BufferTable.packedText: the carried values, and the length of the deflated stream.
    var packed: String
    var packedBytes = 0
    var events: [PageEvent]
    var code: Code?
    var graph: Graph
    var views: Views
}

/// Views across the whole step.
struct Views: Encodable {
    struct TimeStep: Encodable {
        var t: Int
        var label: String
        /// Index into `buffers` of h_t's values (batch × hidden).
        var data: Int?
        var shape: [Int]
        var event: Int
        var gradL2: Double?
        var inputGradL2: Double?
        var inputLabel: String
    }
    /// Lesson 1's run, every iteration: a and b as iteration k reads them (before its update) and
    /// its loss, as `watch linear-sgd a b loss` and `step linear-sgd --at-step k-1` read them.
    struct SGD: Encodable {
        var iterations: Int
        /// Buffers of `iterations` values each.
        var a: Int, b: Int, loss: Int
        var lr: Float
        var points: Int
        /// The animation's pictures are every `updatesPerFrame` iterations (the contour's path dots).
        var updatesPerFrame: Int
        /// Data to pixels in the animation (x, y) and the contour (a, b): pixel = offset + scale × value.
        var line: Affine, contour: Affine
        /// The animation's x range, where the line is drawn.
        var xRange: [Double]
    }
    struct Affine: Encodable {
        var x: [Double]
        var y: [Double]
        init(_ frame: PlotFrame) {
            let o = frame.point(0, 0), one = frame.point(1, 1)
            x = [o.x, one.x - o.x]
            y = [o.y, one.y - o.y]
        }
    }
    var timeSteps: [TimeStep] = []
    var sgd: SGD?
    /// Trained weights (`--weights`): the same step's events replayed with them, by event index.
    var trained: TrainedStep?
}

struct TrainedStep: Encodable {
    var source: String
    var loss: String
    /// Per event index: outputs as they are with the trained weights.
    var outputs: [[PageTensor]]
}
