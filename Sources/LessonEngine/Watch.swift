import Foundation
import Models
import TensorCore

/// `unrolled watch`: values followed across training steps. Each expression is anything `p`
/// accepts (`h8[0,:8]`, `grad(h1)`, `l_in.weight[3,5]`), Adam's state (`adam.m(NAME)`,
/// `adam.v(NAME)`, and the bias-corrected `adam.mhat(NAME)`, `adam.vhat(NAME)`), or `norm(…)`
/// of any of them.
///
/// At a watched step k: parameters and Adam's moments as they are after step k's update; the
/// gradients step k computed; activations of step k's batch at the weights it read.
public struct WatchExpression: Equatable {
    public enum Source: String { case value, grad, adamM = "adam.m", adamV = "adam.v", adamMHat = "adam.mhat", adamVHat = "adam.vhat" }
    public let text: String
    public let source: Source
    public let name: String
    public let dims: [TensorExpression.Dim]
    public let norm: Bool

    public static func parse(_ text: String, known: (String) -> Bool) throws -> WatchExpression {
        var s = text.trimmingCharacters(in: .whitespaces)
        var norm = false
        if s.hasPrefix("norm("), s.hasSuffix(")") { norm = true; s = String(s.dropFirst(5).dropLast()) }
        for source in [Source.adamMHat, .adamVHat, .adamM, .adamV] where s.hasPrefix(source.rawValue + "(") {
            let rest = s.dropFirst(source.rawValue.count + 1)
            guard let close = rest.lastIndex(of: ")") else { throw InputError("watch '\(text)': expected \(source.rawValue)(NAME)") }
            let name = String(rest[..<close])
            let tail = String(rest[rest.index(after: close)...])
            let dims = tail.isEmpty ? [] : try TensorExpression.parse("x" + tail, known: { $0 == "x" && tail.isEmpty }).dims
            return WatchExpression(text: text, source: source, name: name, dims: dims, norm: norm)
        }
        let e = try TensorExpression.parse(s, known: known)
        return WatchExpression(text: text, source: e.gradient ? .grad : .value, name: e.name, dims: e.dims, norm: norm)
    }

    /// The watched values from a full tensor.
    func select(_ values: [Float], shape: [Int]) throws -> [Float] {
        let (v, _) = try TensorExpression(name: name, gradient: source == .grad, dims: dims).apply(values, shape: shape)
        return norm ? [Float(v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot())] : v
    }
}

public struct WatchTable {
    public struct Row { public let step: Int; public let loss: Float; public let values: [[Float]] }
    public let expressions: [WatchExpression]
    public var rows: [Row] = []
    /// What `step` k means for this lesson's optimizer, said above the table.
    public var note = ""

    /// Text: one line per watched step, values to 5 significant digits (at most 8 per expression).
    public func text() -> String {
        var lines = [note, (["step", "loss"] + expressions.map(\.text)).joined(separator: "\t")]
        for r in rows {
            let cells = r.values.map { v in v.prefix(8).map { String(format: "%.5g", $0) }.joined(separator: " ") + (v.count > 8 ? " …(\(v.count))" : "") }
            lines.append(([String(r.step), String(format: "%.5g", r.loss)] + cells).joined(separator: "\t"))
        }
        return lines.joined(separator: "\n")
    }
}

public enum Watch {
    /// Train `steps` steps of the lesson's schedule (after `options.resume` when given) and
    /// read the expressions at steps 1, 1 + every, … and the last.
    public static func run(lesson: Lesson, options: RunOptions, expressions texts: [String], every: Int, steps: Int) throws -> WatchTable {
        guard !texts.isEmpty else { throw InputError("watch: give at least one expression, e.g. 'l_in.weight[3,5]' or 'norm(grad(h1))'") }
        guard every >= 1 else { throw InputError(usage: "--every: expected a whole number ≥ 1, got \(every)") }
        guard (1...1_000_000).contains(steps) else { throw InputError(usage: "--steps: expected a whole number from 1 to 1000000, got \(steps)") }
        func watched(_ k: Int) -> Bool { k == 1 || (k - 1) % every == 0 || k == steps }
        if lesson.model == .linearSGD { return try linear(lesson: lesson, options: options, texts: texts, steps: steps, watched: watched) }

        var table: WatchTable?
        var activations: [String: (values: [Float], grad: [Float]?, shape: [Int])] = [:]
        var o = options
        o.checkpointDirectory = nil
        do {
            _ = try LessonRunner(lesson: lesson, options: o).runCharModel(say: { _ in }, beforeStep: { step in
                if step.step > steps { throw ReachedStep() }
                guard watched(step.step) else { return }
                // The step's forward and backward once more with taps, at the weights it reads:
                // the real step zeroes the gradients before its own backward.
                let (x, y) = step.data.batch(step.rows[...])
                let (loss, taps) = Taps.collect { step.model.loss(step.model.forward(x), y) }
                loss.backward()
                activations = [:]
                for label in taps.order { if let t = taps[label] { activations[label] = (t.data, t.grad, t.shape) } }
                step.model.zeroGrad()
                if table == nil {
                    let known: (String) -> Bool = { activations[$0] != nil || step.model.parameter(named: $0) != nil }
                    table = WatchTable(expressions: try texts.map { try WatchExpression.parse($0, known: known) })
                    table?.note = step.optimizer is Adam
                        ? "at step k: weights and Adam's m, v after step k's update; gradients and activations of step k"
                        : "at step k: weights after step k's update; gradients and activations of step k"
                }
            }, afterStep: { step, loss in
                guard watched(step.step), table != nil else { return }
                let row = table!.expressions.map { e -> [Float] in
                    (try? value(e, step: step, activations: activations)) ?? [.nan]
                }
                table!.rows.append(.init(step: step.step, loss: loss, values: row))
            })
        } catch is ReachedStep {}
        guard var result = table else { throw InputError("watch: the schedule has no training step") }
        // Name what could not be found, once, instead of a column of NaN.
        for (k, e) in result.expressions.enumerated() where result.rows.allSatisfy({ $0.values[k].first?.isNaN ?? true }) {
            throw InputError("watch: '\(e.text)' names nothing in \(lesson.id)'s step (parameters, labels such as e(c1), h1, or adam.m(NAME))")
        }
        result.rows.sort { $0.step < $1.step }
        return result
    }

    static func value(_ e: WatchExpression, step: TrainingStep, activations: [String: (values: [Float], grad: [Float]?, shape: [Int])]) throws -> [Float] {
        if let p = step.model.parameter(named: e.name) {
            switch e.source {
            case .value: return try e.select(p.data, shape: p.shape)
            case .grad: return try e.select(p.grad ?? [], shape: p.shape)
            case .adamM, .adamV, .adamMHat, .adamVHat:
                guard let adam = step.optimizer as? Adam, let (m, v) = adam.moments(of: e.name) else {
                    throw InputError("\(e.text): the optimizer is not Adam")
                }
                let t = Float(adam.stepCount)
                switch e.source {
                case .adamM: return try e.select(m, shape: p.shape)
                case .adamV: return try e.select(v, shape: p.shape)
                case .adamMHat: return try e.select(m.map { $0 / (1 - Foundation.pow(adam.beta1, t)) }, shape: p.shape)
                default: return try e.select(v.map { $0 / (1 - Foundation.pow(adam.beta2, t)) }, shape: p.shape)
                }
            }
        }
        guard let a = activations[e.name] else { throw InputError("\(e.text): no such tensor") }
        switch e.source {
        case .value: return try e.select(a.values, shape: a.shape)
        case .grad:
            guard let g = a.grad else { throw InputError("\(e.text): no gradient reaches \(e.name)") }
            return try e.select(g, shape: a.shape)
        default: throw InputError("\(e.text): Adam keeps moments for parameters only")
        }
    }

    /// Lesson 1: a, b, their gradients and the loss, from the lesson's own loop.
    static func linear(lesson: Lesson, options: RunOptions, texts: [String], steps: Int, watched: (Int) -> Bool) throws -> WatchTable {
        let names = ["a", "b", "grad(a)", "grad(b)", "loss"]
        let expressions = try texts.map { text -> WatchExpression in
            let e = try WatchExpression.parse(text, known: { ["a", "b", "loss"].contains($0) })
            guard ["a", "b", "loss"].contains(e.name), e.source == .value || e.source == .grad else {
                throw InputError("watch \(lesson.id): expected one of \(names.joined(separator: ", ")) (or norm(…) of one), got '\(text)'")
            }
            return e
        }
        let runner = LessonRunner(lesson: lesson, options: options)
        let story = LinearStory(runner: runner)
        var table = WatchTable(expressions: expressions)
        table.note = "lesson 1: \(story.summary); at step k: a and b as step k reads them (before its update), its gradients and its loss"
        _ = try LinearSGD.fit(x: story.x, y: story.y, a0: story.a0, b0: story.b0, lr: story.lr, iterations: steps) { s in
            let k = s.iteration + 1
            guard watched(k) else { return }
            let row = expressions.map { e -> [Float] in
                switch (e.name, e.source) {
                case ("a", .value): return [s.a]
                case ("b", .value): return [s.b]
                case ("a", .grad): return [s.autogradDA]
                case ("b", .grad): return [s.autogradDB]
                default: return [s.loss]
                }
            }.map { e in e }
            table.rows.append(.init(step: k, loss: s.loss, values: row))
        }
        return table
    }
}
