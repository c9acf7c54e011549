import Diagrams
import Foundation
import LessonEngine
import Models
import TensorCore

/// Turns a recorded step into a page's data and pictures.
struct PageBuilder {
    let replay: Replay
    let code: SeedCode?
    /// The command that recorded the step, for the page's "reproduce in the terminal" line.
    let command: String
    var buffers = BufferTable()

    init(replay: Replay, code: SeedCode?, command: String) {
        self.replay = replay
        self.code = code
        self.command = command
    }

    mutating func tensor(_ t: TracedTensor, values: [Float]? = nil, derivation: Derivation? = nil) -> PageTensor {
        let all = values ?? t.values
        return PageTensor(label: t.label, id: t.id, shape: t.shape, kind: t.kind.rawValue,
                          stats: Presenter.stats(t.summary ?? all.map(ValueSummary.init)),
                          data: all.map { buffers.add($0, derivation: derivation) })
    }

    mutating func build(archNames: Set<String>) throws -> PageData {
        let presenter = Presenter(colour: false)
        let session = StepSession(replay: replay)
        let graph = ComputationGraph(events: replay.events)
        var events: [PageEvent] = []
        let total = replay.events.count
        let beats = anchoredBeats()
        for (i, e) in replay.events.enumerated() {
            var inputs = e.inputs.enumerated().map { k, t -> PageTensor in
                // Leaf inputs of forward ops carry values; others are found by id.
                let values = t.values ?? (e.phase == .forward ? replay.valuesByID[t.id]?.values : nil)
                return tensor(t, values: values, derivation: e.phase == .update && k == 0 ? gradientSum(t.id) : nil)
            }
            if e.phase == .update, !inputs.isEmpty { inputs[0].label = "grad(\(e.label))" }
            var before: PageTensor?
            if e.phase == .update, let p = e.outputs.first, let b = replay.value(named: p.label) {
                before = tensor(b)
                before?.label = p.label + " before"
            }
            let outputs = e.outputs.map { t in
                tensor(t, derivation: e.phase == .backward ? weightGradient(e, t) ?? scatterAdd(e, t)
                                    : e.phase == .update ? adamStep(e, t, inputs: inputs, before: before) : nil)
            }
            events.append(PageEvent(
                seq: e.seq, phase: e.phase.rawValue, op: e.op, label: e.label, expression: e.expression,
                attributes: e.attributes, header: presenter.header(e, index: i, of: total),
                rule: e.phase == .backward ? Primitive(rawValue: e.op)?.rule : nil,
                codeLine: code?.line(for: e),
                arch: ArchitectureHighlight.names(for: e, model: replay.lesson.model).filter(archNames.contains),
                node: e.phase == .update ? nil : graph.nodeIndex(forSeq: e.seq).map { graph.nodes[$0].seq },
                uses: e.phase == .update ? graph.nodes.filter { $0.leafInputs.contains { $0.label == e.label } }.map(\.seq) : [],
                beats: beats[i] ?? [],
                inputs: inputs, outputs: outputs, before: before,
                contrib: contributions(e, index: i, session: session)))
        }
        let counts = Dictionary(uniqueKeysWithValues: TracePhase.allCases.map { ($0.rawValue, replay.count($0)) })
        let lesson = replay.lesson
        var intro = [replay.batchDescription]
        if let first = lesson.beats.first(where: { $0.phase == "forward" }) ?? lesson.beats.first {
            intro.append(first.text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        var backwardOf: [Int: Int] = [:]
        for n in graph.nodes { if let b = n.backwardSeq { backwardOf[n.seq] = b } }
        let info = PageData.LessonInfo(id: lesson.id, title: lesson.title, model: lesson.model.rawValue,
                                       batch: replay.batchDescription, intro: intro, counts: counts, command: command,
                                       vocabulary: nil)
        return PageData(lesson: info, buffers: [], packed: "", events: events,
                        code: code.map { PageData.Code(file: $0.file, lines: $0.lines) },
                        graph: PageData.Graph(nodes: graph.nodes.map(\.seq), backward: backwardOf,
                                              edges: graph.edges.map { PageData.GraphEdge(from: graph.nodes[$0.from].seq, to: graph.nodes[$0.to].seq) }),
                        views: Views(timeSteps: timeSteps()))
    }

    /// Beats by the event they belong to, as `step` anchors them.
    func anchoredBeats() -> [Int: [String]] {
        var out: [Int: [String]] = [:]
        for beat in replay.lesson.beats {
            if let at = beat.anchor(in: replay.events) { out[at, default: []].append(beat.text.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        return out
    }

    /// A parameter's gradient as the sum of its contributions, when it has several.
    mutating func gradientSum(_ id: Int) -> Derivation? {
        let parts = replay.contributions(to: id).filter { $0.values.values != nil }
        guard parts.count > 1 else { return nil }
        return .sum(parts.map { buffers.add($0.values.values!, derivation: weightGradient(replay.events[$0.index], $0.values) ?? scatterAdd(replay.events[$0.index], $0.values)) })
    }

    /// x·Wᵀ's weight gradient, from the gradient of the product and x.
    mutating func weightGradient(_ e: TraceEvent, _ out: TracedTensor) -> Derivation? {
        guard e.op == Primitive.matmul.rawValue, let g = e.inputs.first,
              let fwd = replay.events.first(where: { $0.phase == .forward && $0.outputs.first?.id == g.id }),
              fwd.inputs.count == 2, out.id == fwd.inputs[1].id, fwd.attributes.contains("transB"), !fwd.attributes.contains("transA"),
              let gv = g.values ?? replay.valuesByID[g.id]?.values,
              let xv = fwd.inputs[0].values ?? replay.valuesByID[fwd.inputs[0].id]?.values,
              fwd.outputs[0].shape.count == 2, fwd.inputs[0].shape.count == 2 else { return nil }
        return .weightGradient(gradient: buffers.add(gv), input: buffers.add(xv), rows: fwd.outputs[0].shape[0],
                               n: fwd.outputs[0].shape[1], k: fwd.inputs[0].shape[1])
    }

    /// An embedding table's gradient, from the looked-up rows' gradient and the indices.
    mutating func scatterAdd(_ e: TraceEvent, _ out: TracedTensor) -> Derivation? {
        guard e.op == Primitive.embedding.rawValue, let g = e.inputs.first,
              let fwd = replay.events.first(where: { $0.phase == .forward && $0.outputs.first?.id == g.id }),
              fwd.inputs.count == 2, out.id == fwd.inputs[0].id, let width = out.shape.last,
              let gv = g.values ?? replay.valuesByID[g.id]?.values,
              let iv = fwd.inputs[1].values ?? replay.valuesByID[fwd.inputs[1].id]?.values else { return nil }
        return .scatterAdd(gradient: buffers.add(gv), indices: buffers.add(iv), width: width)
    }

    /// Adam's new parameter, m and v from the parameter before, its gradient and the moments before.
    func adamStep(_ e: TraceEvent, _ out: TracedTensor, inputs: [PageTensor], before: PageTensor?) -> Derivation? {
        guard e.op == "adam", let p = before?.data, let g = inputs.first?.data else { return nil }
        func attribute(_ key: String) -> String? {
            for field in e.attributes.split(separator: ",") {
                let kv = field.split(separator: "=", maxSplits: 1)
                if kv.count == 2 && kv[0] == key { return String(kv[1]) }
            }
            return nil
        }
        guard let lr = attribute("lr").flatMap(Float.init), let step = attribute("step").flatMap(Int.init), step > 0,
              let m = inputs.first(where: { $0.label == "adam.m(\(e.label))" })?.data,
              let v = inputs.first(where: { $0.label == "adam.v(\(e.label))" })?.data else { return nil }
        let part = out.label.hasPrefix("adam.m(") ? "m" : out.label.hasPrefix("adam.v(") ? "v" : "param"
        return .adam(param: p, grad: g, m: m, v: v,
                     constants: AdamConstants(lr: lr, step: step, wd: attribute("wd").flatMap(Float.init) ?? 0), part: part)
    }

    /// For a backward op that adds to a shared parameter's gradient: every contribution, their
    /// sum, and `contrib NAME` as the CLI prints it.
    mutating func contributions(_ e: TraceEvent, index: Int, session: StepSession) -> [PageContribution] {
        guard e.phase == .backward else { return [] }
        var out: [PageContribution] = []
        for t in e.outputs where replay.parameterNames.contains(t.label) {
            let parts = replay.contributions(to: t.id)
            guard let current = parts.firstIndex(where: { $0.index == index }) else { continue }
            let pageParts = parts.map { p in
                PageContribution.Part(event: p.index, label: replay.events[p.index].label, l2: p.values.summary?.l2 ?? 0,
                                      data: p.values.values.map { buffers.add($0, derivation: weightGradient(replay.events[p.index], p.values) ?? scatterAdd(replay.events[p.index], p.values)) })
            }
            let sum = replay.gradient(named: t.label)
            out.append(PageContribution(name: t.label, parts: pageParts, sumL2: sum?.summary?.l2 ?? 0,
                                        sum: sum?.values.map { buffers.add($0, derivation: .sum(pageParts.compactMap(\.data))) },
                                        shape: t.shape, current: current,
                                        text: session.execute("contrib " + t.label).text))
        }
        return out
    }

    /// RNN lessons: h_t for t = 1…T, with ‖∂loss/∂h_t‖ and the gradient reaching the input at t.
    mutating func timeSteps() -> [Views.TimeStep] {
        var steps: [Views.TimeStep] = []
        for t in 1...64 {
            let label = "h\(t)"
            guard let i = replay.events.firstIndex(where: { $0.phase == .forward && $0.label == label }),
                  let h = replay.events[i].outputs.first else { break }
            var inputLabel = "e(c\(t))"
            var inputNorm = replay.gradient(named: inputLabel)?.summary?.l2
            if inputNorm == nil, let all = replay.gradient(named: "e(cs)"), let v = all.values, all.shape.count == 3, t <= all.shape[0] {
                // nn.RNN embeds every character at once: e(cs)[t-1] is step t's slice.
                let n = all.shape[1] * all.shape[2]
                inputNorm = v[(t - 1) * n..<t * n].reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                inputLabel = "e(cs)[\(t - 1)]"
            }
            steps.append(Views.TimeStep(t: t, label: label, data: h.values.map { buffers.add($0) },
                                        shape: h.shape, event: i, gradL2: replay.gradient(named: label)?.summary?.l2,
                                        inputGradL2: inputNorm, inputLabel: inputLabel))
        }
        return steps.count >= 2 ? steps : []
    }
}

/// Which parts of the architecture diagram an op belongs to, by the lesson's labels: `in2` and
/// `l_in(e(c2))` are the green arrow into h2, `l_hidden(h1+in2)` the orange arrow h1 → h2.
enum ArchitectureHighlight {
    static func names(for e: TraceEvent, model: Lesson.ModelKind) -> [String] {
        let label = Linear.layerLabel(e.label)
        func step(_ pattern: String) -> Int? {
            guard let r = try? NSRegularExpression(pattern: pattern),
                  let m = r.firstMatch(in: label, range: NSRange(label.startIndex..., in: label)), m.numberOfRanges > 1,
                  let range = Range(m.range(at: 1), in: label) else { return nil }
            return Int(label[range]) ?? 0
        }
        func input(_ t: Int) -> [String] {
            ["edge:c\(t)->h\(t)", "edge:c\(t)->cat\(t)", "node:c\(t)", "edge:c->h", "edge:c->cat"]
        }
        func hidden(_ t: Int) -> [String] {
            var names = ["node:h\(t)", "loop:h->h", "edge:inp->h", "node:h", "edge:inp\(t)->h\(t)"]
            if t > 1 { names += ["edge:h\(t - 1)->h\(t)", "edge:h\(t - 1)->cat\(t)"] }
            return names
        }
        let all = (1...64)
        let output = ["edge:h->out", "node:out"] + all.flatMap { ["edge:h\($0)->out\($0)", "edge:h\($0)->out", "node:out\($0)"] } + ["node:out"]
        if e.phase == .update {
            if label.hasPrefix("l_out") { return output }
            if label.contains("hidden") || label.contains("_hh") { return all.flatMap { hidden($0).filter { $0.hasPrefix("edge:h") || $0.hasPrefix("loop") || $0.hasPrefix("edge:inp") } } }
            return all.flatMap { input($0).filter { $0.hasPrefix("edge") } + ["edge:cat\($0)->inp\($0)", "edge:cat->inp"] }
        }
        if label == "h" { return [] }
        if label.hasPrefix("l_out") || label.hasPrefix("log_softmax") || label == "loss" || label.hasPrefix("outp")
            || label.hasPrefix("reshape(log") || label.contains("transpose") { return output }
        if let t = step(#"^cat\(h\d*, e\(c(\d+)\)\)$"#) { return ["node:cat\(t)", "edge:c\(t)->cat\(t)", "loop:h->cat", "node:cat"] + (t > 1 ? ["edge:h\(t - 1)->cat\(t)"] : []) }
        if let t = step(#"^l_in\(cat\(h\d*, e\(c(\d+)\)\)\)$"#) ?? step(#"^inp(\d+)$"#), model == .charLoopConcat {
            return ["edge:cat\(t)->inp\(t)", "node:inp\(t)", "edge:cat->inp", "node:inp"]
        }
        if let t = step(#"^l_hidden\(inp(\d+)\)$"#) { return ["edge:inp\(t)->h\(t)", "edge:inp->h"] }
        if let t = step(#"^h(\d+)$"#) { return ["node:h\(t)", "node:h"] }
        if let t = step(#"^l_hidden\(h\d*\+inp?(\d+)\)$"#) ?? step(#"^h\d*\+inp?(\d+)$"#) ?? step(#"^ih(\d+)\+rnn"#) { return hidden(t) }
        if let k = step(#"^rnn\.hh\(h(\d*)\)$"#) { return hidden(k + 1) }
        if let t = step(#"e\(c(\d+)\)"#) ?? step(#"^inp?(\d+)$"#) ?? step(#"^ih(\d+)$"#) { return input(t) }
        if label == "cs" || label == "e(cs)" || label.hasPrefix("rnn.ih") { return all.flatMap(input) }
        return []
    }
}
