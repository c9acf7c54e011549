// What one lesson page knows, as JSON inside the page: the recorded step's events with their
// tensors, the explain and contrib text the CLI prints, and the views across the step. Values
// are float32 little-endian in base64 (a float's exact bits, a third the size of decimal text),
// each distinct buffer once.

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
    /// Index into `buffers`, nil when the trace kept no values.
    var data: Int?
    /// How many values (from the first, row-major) the page holds; fewer than the tensor's
    /// count for large weights, which keep their first rows only.
    var stored: Int
}

struct PageExplain: Encodable {
    /// Which output of the event.
    var output: Int
    /// Flat index into that output.
    var index: Int
    /// What to type at `step`'s prompt for the same text.
    var command: String
    var text: String
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
    var stored: Int
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
    var explain: [PageExplain]
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
    var buffers: [String]
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
    struct SGD: Encodable {
        var frames: Int
        var captions: [String]
        var losses: [Double]
        var fits: [[Float]]
        var updatesPerFrame: Int
        var lr: Float
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

/// Collects distinct value buffers.
struct BufferTable {
    private(set) var encoded: [String] = []
    private var index: [[UInt32]: Int] = [:]

    /// Largest number of values stored for one tensor: a weight matrix keeps its first rows.
    static let cap = 8192

    /// How many leading values of a tensor of `shape` the page keeps: whole rows, at most `cap`.
    static func storedCount(_ shape: [Int]) -> Int {
        let count = shape.reduce(1, *)
        guard count > cap else { return count }
        let row = shape.count > 1 ? shape[1...].reduce(1, *) : 1
        return row > cap ? cap : (cap / row) * row
    }

    mutating func add(_ values: [Float], stored: Int) -> Int {
        let bits = values.prefix(stored).map(\.bitPattern)
        if let i = index[bits] { return i }
        var bytes = [UInt8]()
        bytes.reserveCapacity(bits.count * 4)
        for b in bits { bytes += [UInt8(b & 0xFF), UInt8((b >> 8) & 0xFF), UInt8((b >> 16) & 0xFF), UInt8(b >> 24)] }
        encoded.append(Data(bytes).base64EncodedString())
        index[bits] = encoded.count - 1
        return encoded.count - 1
    }
}
