import Foundation
import TensorCore

extension Replay {
    /// A readable fingerprint of the step: one line per event with its shapes and statistics
    /// to 6 significant digits. Kept per lesson as a test fixture, so any numerical change to an
    /// op, a model or an optimizer shows up in `make test` as a diff that names the first op
    /// that moved.
    public func fingerprint() -> String {
        func g(_ x: Double) -> String { String(format: "%.6g", x) }
        func describe(_ t: TracedTensor) -> String {
            let shape = "[" + t.shape.map(String.init).joined(separator: ",") + "]"
            guard let s = t.summary else { return "\(t.label) \(shape)" }
            // A mean that is rounding noise around zero (a log_softmax gradient sums to zero per
            // row) would change with any reordering of a sum; it is shown as ~0 instead.
            let scale = max(abs(s.min), abs(s.max))
            let mean = abs(s.mean) <= 1e-6 * scale ? "~0" : g(s.mean)
            return "\(t.label) \(shape) mean \(mean) std \(g(s.std)) min \(g(s.min)) max \(g(s.max))\(s.nan + s.inf > 0 ? " nan \(s.nan) inf \(s.inf)" : "")"
        }
        return events.map { e in
            "\(e.seq) \(e.phase.rawValue) \(e.op) \(e.label): " + e.outputs.map(describe).joined(separator: "; ")
        }.joined(separator: "\n") + "\n"
    }
}
