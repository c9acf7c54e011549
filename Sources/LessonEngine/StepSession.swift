import Foundation
import Models
import TensorCore

/// The step-through interpreter: a cursor over a replay's events and the learner's commands.
/// It takes a line and returns text, so the CLI, tmux and tests drive the same thing.
public final class StepSession {
    public let replay: Replay
    public private(set) var cursor = 0
    public var presenter: Presenter
    /// Beats already shown, so walking back and forth does not repeat them.
    var shownBeats = Set<Int>()

    public init(replay: Replay, colour: Bool = false) {
        self.replay = replay
        presenter = Presenter(colour: colour)
    }

    public var total: Int { replay.events.count }
    public var current: TraceEvent { replay.events[cursor] }

    public static let help = """
    commands:
      n, next, <enter>    next op                 b, back         previous op
      g N | g LABEL       go to op N or to the first op labelled LABEL (e.g. g l_hidden(h1+in2))
      np, phase           jump to the next phase (forward → backward → update)
      p EXPR              print a tensor or a slice: p h1[0,:8]   p grad(in1)   p l_in.weight[:2,:5]
      explain [OUT] [IDX] the formula for one element of this op with the real numbers (explain 0,3;
                          at a backward matmul: explain l_in.weight 3,5)
      beat                the lesson's narration for this op
      contrib NAME [i,j]  a shared weight's gradient contributions: one element's values that add up, and the norms
      list                forward/backward/update counts and where you are
      h, help             this text            q, quit         leave
    """

    /// The screen for the current op, with any narration anchored to it.
    public func show() -> String {
        var text = presenter.describe(current, index: cursor, of: total, replay: replay)
        for (i, beat) in beatsHere() where !shownBeats.contains(i) {
            shownBeats.insert(i)
            text += "\n  ── " + wrap(beat.text.trimmingCharacters(in: .whitespacesAndNewlines), indent: "     ")
        }
        return text
    }

    /// Beats that belong to the current op: label beats at the first forward op with that
    /// label, phase beats at the first op of their phase.
    func beatsHere() -> [(Int, Lesson.Beat)] {
        replay.lesson.beats.enumerated().filter { anchor(of: $0.element) == cursor }
    }

    /// The op a beat belongs to: the first forward op with its label, or the first op of its
    /// phase; nil when the step has no such op.
    func anchor(of beat: Lesson.Beat) -> Int? {
        beat.anchor(in: replay.events)
    }

    /// Run one command line; returns what to print and whether to quit.
    public func execute(_ line: String) -> (text: String, quit: Bool) {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        let (cmd, arg): (String, String) = {
            guard let space = trimmed.firstIndex(of: " ") else { return (trimmed, "") }
            return (String(trimmed[..<space]), trimmed[space...].trimmingCharacters(in: .whitespaces))
        }()
        do {
            switch cmd {
            case "", "n", "next":
                guard cursor + 1 < total else { return ("(end of the step: \(total) ops; q to quit, g 1 to start again)", false) }
                cursor += 1
                return (show(), false)
            case "b", "back", "prev", "previous":
                guard cursor > 0 else { return ("(already at the first op)", false) }
                cursor -= 1
                return (show(), false)
            case "g", "go", "goto":
                try goTo(arg)
                return (show(), false)
            case "np", "phase":
                let phase = current.phase
                guard let next = replay.events[cursor...].firstIndex(where: { $0.phase != phase }) else {
                    return ("(no phase after \(phase.rawValue))", false)
                }
                cursor = next
                return (show(), false)
            case "p", "print":
                return (try printTensor(arg), false)
            case "explain", "x":
                return (try Explainer(replay: replay).explain(current, at: arg.isEmpty ? nil : arg), false)
            case "beat":
                let beats = beatsHere().map { wrap($0.1.text, indent: "") }
                return (beats.isEmpty ? "(no narration at this op)" : beats.joined(separator: "\n"), false)
            case "contrib":
                return (try contributions(arg.isEmpty ? current.outputs.first?.label ?? "" : arg), false)
            case "list":
                return ("\(replay.count(.forward)) forward, \(replay.count(.backward)) backward, \(replay.count(.update)) update ops; at \(cursor + 1) (\(current.phase.rawValue))", false)
            case "h", "help", "?":
                return (StepSession.help, false)
            case "q", "quit", "exit":
                return ("", true)
            default:
                return ("unknown command '\(cmd)' (h for help)", false)
            }
        } catch {
            return ("error: \(error)", false)
        }
    }

    public func goTo(_ arg: String) throws {
        if let n = Int(arg) {
            guard n >= 1 && n <= total else { throw InputError("op \(n) is outside 1…\(total)") }
            cursor = n - 1
            return
        }
        guard !arg.isEmpty else { throw InputError("g needs an op number or a label") }
        guard let i = replay.events.firstIndex(where: { $0.label == arg || $0.expression == arg }) else {
            let near = Set(replay.events.map(\.label)).sorted().filter { $0.contains(arg) || arg.contains($0) }.prefix(5)
            throw InputError("no op labelled '\(arg)'\(near.isEmpty ? "" : "; similar: \(near.joined(separator: ", "))")")
        }
        cursor = i
    }

    func printTensor(_ text: String) throws -> String {
        guard !text.isEmpty else { throw InputError("p needs a tensor name, e.g. p h1[0,:8]") }
        let known: (String) -> Bool = { self.replay.value(named: $0) != nil }
        let expr = try TensorExpression.parse(text, known: known)
        let found = expr.gradient ? replay.gradient(named: expr.name) : replay.value(named: expr.name, upTo: cursor)
        guard let t = found ?? (expr.gradient ? nil : replay.value(named: expr.name)), let values = t.values else {
            throw InputError("no tensor named '\(expr.name)' in this step (labels look like e(c1), in1, h1, l_in.weight)")
        }
        let (v, shape) = try expr.apply(values, shape: t.shape)
        // Indices (characters, targets) print as the whole numbers they are, with their
        // characters when the lesson has a vocabulary; a float tensor of zeros (h) does not.
        if !v.isEmpty, !expr.gradient, replay.holdsIndices(id: t.id), v.allSatisfy({ $0 == $0.rounded() && abs($0) < 1e6 }) {
            let cols = shape.last ?? 1
            let vocabulary = replay.vocabulary
            let rows = stride(from: 0, to: v.count, by: max(cols, 1)).prefix(8).map { start -> String in
                let row = v[start..<min(start + cols, v.count)].prefix(16)
                var line = row.map { String(Int($0)) }.joined(separator: " ") + (cols > 16 ? " …" : "")
                if !vocabulary.isEmpty, row.allSatisfy({ $0 >= 0 && Int($0) < vocabulary.count }) {
                    var chars = ""
                    for k in row { chars.unicodeScalars.append(vocabulary[Int(k)]) }
                    line += "   '" + chars.oneLine + "'" + (cols > 16 ? "…" : "")
                }
                return line
            }
            return "\(text) \(Presenter.shape(shape)), whole numbers (indices\(vocabulary.isEmpty ? "" : " and their characters")):\n"
                + rows.joined(separator: "\n") + (v.count / max(cols, 1) > 8 ? "\n…" : "")
        }
        let stats = ValueSummary(v)
        return "\(text) \(Presenter.shape(shape)):\n" + Tensor.format(v, shape: shape, edge: 4) + "\n"
            + String(format: "  %d values: mean %.5g  std %.5g  min %.5g  max %.5g  ‖·‖ %.5g", v.count, stats.mean, stats.std, stats.min, stats.max, stats.l2)
    }

    /// A shared weight's gradient contributions: for one element (the given `i,j`, else the
    /// one of largest gradient) the values that add up to it, then each contribution's norm and
    /// the norm of the sum, which is not the sum of the norms.
    func contributions(_ argument: String) throws -> String {
        let words = argument.split(separator: " ", maxSplits: 1).map(String.init)
        let name = words.first ?? ""
        guard let t = replay.value(named: name) else { throw InputError("no tensor named '\(name)'") }
        let parts = replay.contributions(to: t.id)
        guard !parts.isEmpty else { return "\(name) receives no gradient in this step" }
        var lines = ["\(name) receives \(parts.count) gradient contribution\(parts.count == 1 ? "" : "s"), added element by element:"]
        let total = replay.gradient(named: name)
        let sum = total?.values ?? []
        var index = sum.indices.max { abs(sum[$0]) < abs(sum[$1]) } ?? 0
        if words.count > 1 {
            let coords = words[1].split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard coords.count == t.shape.count, coords.allSatisfy({ $0 != nil }),
                  zip(coords, t.shape).allSatisfy({ $0! >= 0 && $0! < $1 }) else {
                throw InputError("contrib \(name) \(words[1]): expected \(t.shape.count) indices within \(Presenter.shape(t.shape))")
            }
            index = zip(coords, t.shape).reduce(0) { $0 * $1.1 + $1.0! }
        }
        let at = Comparison.position(index, in: t.shape).replacingOccurrences(of: " ", with: "")
        var terms: [String] = []
        for (k, p) in parts.enumerated() {
            let e = replay.events[p.index]
            let value = p.values.values.flatMap { index < $0.count ? $0[index] : nil }
            terms.append(value.map { String(format: "%.5g", $0) } ?? "?")
            lines.append("  \(k + 1). op \(p.index + 1), \(e.op) of \(e.label): element \(at) = \(terms.last!), ‖·‖ "
                         + String(format: "%.5g", p.values.summary?.l2 ?? 0))
        }
        if let total {
            lines.append("  sum: grad(\(name))\(at) = \(terms.joined(separator: " + ")) = " + (index < sum.count ? String(format: "%.5g", sum[index]) : "?"))
            let norms = parts.map { $0.values.summary?.l2 ?? 0 }.reduce(0, +)
            lines.append("  ‖grad(\(name))‖ = " + String(format: "%.5g", total.summary?.l2 ?? 0)
                         + String(format: " (the norm of the sum, not the sum of the norms, %.5g): this is what the optimizer uses", norms))
        }
        return lines.joined(separator: "\n")
    }

    func wrap(_ text: String, indent: String, width: Int = 92) -> String { wrapWords(text, indent: indent, width: width) }
}

/// Narration text broken into lines of at most `width` characters, continued with `indent`.
func wrapWords(_ text: String, indent: String, width: Int = 92) -> String {
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ") {
        if line.count + word.count + 1 > width && !line.isEmpty { lines.append(line); line = "" }
        line += (line.isEmpty ? "" : " ") + word
    }
    if !line.isEmpty { lines.append(line) }
    return lines.joined(separator: "\n" + indent)
}

extension StepSession {
    /// The lesson's narration in the order of the step: each beat under the op it belongs to.
    public func narration() -> String {
        var anchored: [(Int, String)] = []
        for beat in replay.lesson.beats {
            guard let i = anchor(of: beat) else { continue }
            let text = wrap(beat.text.trimmingCharacters(in: .whitespacesAndNewlines), indent: "    ")
            anchored.append((i, presenter.header(replay.events[i], index: i, of: total) + "\n    " + text))
        }
        return anchored.sorted { $0.0 < $1.0 }.map(\.1).joined(separator: "\n\n")
    }
}
