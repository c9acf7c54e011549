import Foundation
import Models
import TensorCore

/// How events look on screen: position, phase, label, op, shapes, a PyTorch-style preview and
/// statistics. Pure formatting, so tests can compare strings.
public struct Presenter {
    public var colour: Bool

    public init(colour: Bool) { self.colour = colour }

    func bold(_ s: String) -> String { colour ? "\u{1B}[1m\(s)\u{1B}[0m" : s }
    func dim(_ s: String) -> String { colour ? "\u{1B}[2m\(s)\u{1B}[0m" : s }
    func tint(_ s: String, _ phase: TracePhase) -> String {
        guard colour else { return s }
        let code = phase == .forward ? "32" : phase == .backward ? "33" : "36"
        return "\u{1B}[\(code)m\(s)\u{1B}[0m"
    }

    public static func shape(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }

    public static func stats(_ s: ValueSummary?) -> String {
        guard let s else { return "" }
        var line = String(format: "mean %.5g  std %.5g  min %.5g  max %.5g  ‖·‖ %.5g", s.mean, s.std, s.min, s.max, s.l2)
        if s.nan > 0 || s.inf > 0 { line += "  NaN \(s.nan)  Inf \(s.inf)" }
        return line
    }

    public func preview(_ t: TracedTensor, indent: String = "    ") -> String {
        guard let v = t.values else { return indent + Presenter.stats(t.summary) }
        let body = Tensor.format(v, shape: t.shape).split(separator: "\n", omittingEmptySubsequences: false)
        return body.map { indent + $0 }.joined(separator: "\n") + sparseNote(v, shape: t.shape, indent: indent)
    }

    /// A tensor that is mostly zeros (nll_loss's gradient: one non-zero per row) hides its
    /// values from the corner preview; list the non-zero ones of the first rows instead.
    func sparseNote(_ v: [Float], shape: [Int], indent: String) -> String {
        guard shape.count == 2, v.count >= 16 else { return "" }
        let nonZero = v.indices.filter { v[$0] != 0 }
        guard !nonZero.isEmpty, nonZero.count * 4 <= v.count else { return "" }
        let cols = shape[1]
        var rows: [String] = []
        for r in 0..<min(shape[0], 4) {
            let cells = nonZero.filter { $0 / cols == r }.prefix(4).map { String(format: "[%d,%d] %.5g", r, $0 % cols, v[$0]) }
            if !cells.isEmpty { rows.append(cells.joined(separator: ", ")) }
        }
        return "\n" + indent + dim("\(nonZero.count) of \(v.count) values are non-zero; first rows: " + rows.joined(separator: "; "))
    }

    /// The header line: `[12/87] forward  matmul  l_in(e(c1))`.
    public func header(_ e: TraceEvent, index: Int, of total: Int) -> String {
        let pos = "[\(index + 1)/\(total)]"
        let name = e.expression.isEmpty ? bold(e.label) : bold(e.label) + " = " + e.expression
        return "\(pos) \(tint(e.phase.rawValue, e.phase))  \(e.op)\(e.attributes.isEmpty ? "" : "(\(e.attributes))")  \(name)"
    }

    public func describe(_ e: TraceEvent, index: Int, of total: Int, replay: Replay) -> String {
        var lines = [header(e, index: index, of: total)]
        switch e.phase {
        case .forward:
            lines.append("  inputs:  " + e.inputs.map { "\($0.label.isEmpty ? "#\($0.id)" : $0.label) \(Presenter.shape($0.shape))" }.joined(separator: ", "))
            if let out = e.outputs.first {
                lines.append("  output:  \(out.label) \(Presenter.shape(out.shape))")
                lines.append(preview(out))
                lines.append("  " + dim(Presenter.stats(out.summary)))
            }
        case .backward:
            if let op = Primitive(rawValue: e.op) { lines.append("  rule:    " + dim(op.rule)) }
            if let g = e.inputs.first {
                lines.append("  grad in: grad(\(g.label)) \(Presenter.shape(g.shape))   " + dim(Presenter.stats(g.summary)))
            }
            for out in e.outputs {
                lines.append("  grad out → \(out.label) \(Presenter.shape(out.shape))")
                lines.append(preview(out))
                lines.append("  " + dim(Presenter.stats(out.summary)))
                lines += sharedWeightNote(out, at: index, replay: replay)
            }
        case .update:
            if let g = e.inputs.first { lines.append("  grad:    \(Presenter.shape(g.shape))   " + dim(Presenter.stats(g.summary))) }
            if let p = e.outputs.first {
                lines.append("  new \(p.label):")
                lines.append(preview(p))
                if let before = replay.value(named: p.label), let b = before.values, let a = p.values {
                    let change = zip(a, b).map { abs($0 - $1) }.max() ?? 0
                    lines.append("  " + dim(String(format: "largest change %.3g", change)))
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// For a parameter used more than once (Char3's l_in, CharLoop's l_hidden): which
    /// contribution this is, and at the last one, the sum.
    func sharedWeightNote(_ out: TracedTensor, at index: Int, replay: Replay) -> [String] {
        guard replay.parameterNames.contains(out.label) else { return [] }
        let parts = replay.contributions(to: out.id)
        guard parts.count > 1, let k = parts.firstIndex(where: { $0.index == index }) else { return [] }
        var lines = ["  " + bold("contribution \(k + 1) of \(parts.count) to \(out.label).grad")]
        if k == parts.count - 1, let total = replay.gradient(named: out.label) {
            let norms = parts.map { String(format: "%.4g", $0.values.summary?.l2 ?? 0) }.joined(separator: ", ")
            lines.append("  " + bold("\(out.label).grad = the element-wise sum of \(parts.count) contributions")
                         + " (their norms " + norms + "; the sum's " + String(format: "%.4g", total.summary?.l2 ?? 0)
                         + "; `contrib \(out.label)` shows one element adding up)")
        }
        return lines
    }
}
