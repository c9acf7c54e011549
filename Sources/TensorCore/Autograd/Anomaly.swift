// Anomaly detection, like PyTorch's `torch.autograd.detect_anomaly()`: while it is on, every
// forward output, every backward contribution and every optimizer update is checked for NaN
// and infinity, and the FIRST offender is remembered with its op number, phase, op and label.
// Nothing traps: the trainer asks `detecting { … }` for the anomaly and turns it into an error.
// Off, it costs one branch per op (the same pattern as `Tracer.isOn`).

/// The first non-finite value seen while detection was on.
public struct Anomaly: Error, CustomStringConvertible, Equatable, Sendable {
    /// Position in the step, counting forward ops, backward rules and updates as a trace does
    /// (so it is the `seq` that `unrolled step` shows for the same step).
    public var op: Int
    public var phase: TracePhase
    /// The primitive (`mul`, `log`) or optimizer (`sgd`, `adam`).
    public var primitive: String
    /// The lesson's name for the op's result (`loss`, `l_hidden(h+in1)`, `l_in.weight`).
    public var label: String
    /// In backward: the input whose gradient became non-finite.
    public var gradientOf: String?
    public var shape: [Int]
    public var nanCount: Int
    public var infCount: Int
    /// Whether every input of the op was finite (then this op created the problem).
    public var inputsFinite: Bool
    public var tensorID: Int

    public var description: String {
        let what = phase == .backward ? "gradient of '\(gradientOf ?? "?")' from \(primitive) '\(label)'" : "\(primitive) '\(label)'"
        var counts: [String] = []
        if nanCount > 0 { counts.append("\(nanCount) NaN") }
        if infCount > 0 { counts.append("\(infCount) inf") }
        return "op \(op) (\(phase.rawValue), \(what)) produced \(counts.joined(separator: " and ")) in shape \(shape)"
            + (inputsFinite ? " from finite inputs" : " (its inputs were already non-finite)")
    }
}

/// Anomaly detection for the calling thread's runtime.
public enum AnomalyMode {
    /// The one branch ops pay when detection is off.
    public static var isOn: Bool { Runtime.current.anomaly.isOn }

    /// Run `body` with detection on; returns its result and the first anomaly, if any.
    /// Detection nests: an inner call sees its own ops only and restores the outer state.
    public static func detecting<R>(_ body: () throws -> R) rethrows -> (R, Anomaly?) {
        let runtime = Runtime.current
        runtime.reportNewest()
        let saved = runtime.anomaly
        runtime.anomaly = AnomalyState(isOn: true)
        defer { runtime.anomaly = saved }
        let result = try body()
        runtime.reportNewest()
        return (result, runtime.anomaly.first)
    }

    /// Check an op's values (see `AnomalyState.check`); the optimizers call this.
    public static func check(_ phase: TracePhase, op: String, label: String, gradientOf: String? = nil,
                             id: Int, shape: [Int], values: [Float], inputs: [[Float]] = [], sameOp: Bool = false) {
        let runtime = Runtime.current
        runtime.reportNewest()
        runtime.anomaly.check(phase, op: op, label: label, gradientOf: gradientOf, id: id, shape: shape,
                              values: values, inputs: inputs, sameOp: sameOp)
    }

    /// Count an op without values to check, keeping the numbering aligned with a trace.
    public static func count() {
        let runtime = Runtime.current
        runtime.reportNewest()
        runtime.anomaly.count()
    }
}

extension AnomalyState {
    /// Count one op (unless `sameOp`: another output of the op just counted) and check its values.
    /// Called by the tape (forward outputs, backward contributions) and the optimizers.
    mutating func check(_ phase: TracePhase, op: String, label: String, gradientOf: String? = nil,
                        id: Int, shape: [Int], values: [Float], inputs: [[Float]] = [], sameOp: Bool = false) {
        if !sameOp { counter += 1 }
        guard first == nil else { return }
        var nan = 0, inf = 0
        values.withUnsafeBufferPointer { p in
            for v in p where !v.isFinite { if v.isNaN { nan += 1 } else { inf += 1 } }
        }
        guard nan + inf > 0 else { return }
        let inputsFinite = inputs.allSatisfy { $0.allSatisfy(\.isFinite) }
        first = Anomaly(op: counter, phase: phase, primitive: op, label: label, gradientOf: gradientOf,
                        shape: shape, nanCount: nan, infCount: inf, inputsFinite: inputsFinite, tensorID: id)
    }

    mutating func count() { counter += 1 }
}
