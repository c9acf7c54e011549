import Models
import TensorCore

/// Finding values in a replay by the names a learner types: `h1`, `l_hidden(h+in1)`,
/// `grad(in1)`, with an optional NumPy-style slice `h1[0,:8]`.
extension Replay {
    /// The newest forward value labelled `name` at or before event index `upTo`.
    public func value(named name: String, upTo: Int? = nil) -> TracedTensor? {
        let last = upTo ?? events.count - 1
        for e in events[0...max(0, min(last, events.count - 1))].reversed() where e.phase == .forward {
            if let t = e.outputs.first(where: { $0.label == name }) { return t }
            if let t = e.inputs.first(where: { $0.label == name && $0.values != nil }) { return t }
        }
        // Parameters and data appear as leaf inputs of later events too.
        for e in events where e.phase == .forward {
            if let t = e.inputs.first(where: { $0.label == name && $0.values != nil }) { return t }
        }
        return nil
    }

    /// Every backward contribution to tensor `id`, in order: (event index, values).
    public func contributions(to id: Int) -> [(index: Int, values: TracedTensor)] {
        events.enumerated().compactMap { i, e in
            guard e.phase == .backward, let t = e.outputs.first(where: { $0.id == id }) else { return nil }
            return (i, t)
        }
    }

    /// The full gradient of the tensor labelled `name`: the sum of its contributions.
    public func gradient(named name: String) -> TracedTensor? {
        guard let v = value(named: name) else { return nil }
        let parts = contributions(to: v.id)
        guard let first = parts.first?.values, var sum = first.values else {
            // The loss itself: its gradient is the seed, carried as the first backward input.
            if let e = events.first(where: { $0.phase == .backward }), let g = e.inputs.first, g.id == v.id { return g }
            return nil
        }
        for p in parts.dropFirst() {
            guard let vals = p.values.values else { continue }
            for i in 0..<sum.count { sum[i] += vals[i] }
        }
        return TracedTensor(id: v.id, label: "grad(\(name))", shape: v.shape, kind: .grad,
                            summary: ValueSummary(sum), values: sum)
    }
}

/// A parsed `NAME[spec]` or `grad(NAME)[spec]`.
public struct TensorExpression: Equatable {
    public enum Dim: Equatable { case index(Int), range(Int?, Int?) }
    public var name: String
    public var gradient: Bool
    public var dims: [Dim]

    /// Parse against the known labels: a label may itself contain brackets (`outp[-1]`), so
    /// the longest known prefix wins.
    public static func parse(_ text: String, known: (String) -> Bool) throws -> TensorExpression {
        var s = text.trimmingCharacters(in: .whitespaces)
        var gradient = false
        func split(_ s: String) throws -> (String, [Dim]) {
            if known(s) || !s.hasSuffix("]") { return (s, []) }
            guard let open = s.lastIndex(of: "[") else { return (s, []) }
            let name = String(s[..<open])
            let spec = String(s[s.index(after: open)..<s.index(before: s.endIndex)])
            return (name, try parseSpec(spec))
        }
        var (name, dims) = try split(s)
        if !known(name), name.hasPrefix("grad("), name.hasSuffix(")") {
            gradient = true
            s = String(name.dropFirst(5).dropLast())
            name = s
        }
        return TensorExpression(name: name, gradient: gradient, dims: dims)
    }

    static func parseSpec(_ spec: String) throws -> [Dim] {
        try spec.split(separator: ",", omittingEmptySubsequences: false).map { part in
            let p = part.trimmingCharacters(in: .whitespaces)
            if p.contains(":") {
                let ends = p.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                guard ends.count == 2 else { throw InputError("slice '\(p)': expected start:end") }
                func bound(_ s: String) throws -> Int? {
                    if s.isEmpty { return nil }
                    guard let v = Int(s) else { throw InputError("slice '\(p)': '\(s)' is not a whole number") }
                    return v
                }
                return .range(try bound(ends[0]), try bound(ends[1]))
            }
            guard let i = Int(p) else { throw InputError("index '\(p)': expected a whole number or start:end") }
            return .index(i)
        }
    }

    /// Apply to a row-major buffer: the selected values and their shape.
    public func apply(_ values: [Float], shape: [Int]) throws -> (values: [Float], shape: [Int]) {
        guard !dims.isEmpty else { return (values, shape) }
        guard dims.count <= shape.count else {
            throw InputError("\(name) has \(shape.count) dimensions \(shape), the slice gives \(dims.count)")
        }
        var ranges: [Range<Int>] = []
        var keep: [Bool] = []
        for (axis, n) in shape.enumerated() {
            let d: Dim = axis < dims.count ? dims[axis] : .range(nil, nil)
            switch d {
            case .index(let i):
                let j = i < 0 ? i + n : i
                guard j >= 0 && j < n else { throw InputError("index \(i) is out of range for dimension \(axis) of size \(n)") }
                ranges.append(j..<(j + 1)); keep.append(false)
            case .range(let a, let b):
                func clamp(_ v: Int?, _ dflt: Int) -> Int { guard let v else { return dflt }; return Swift.min(Swift.max(v < 0 ? v + n : v, 0), n) }
                let lo = clamp(a, 0), hi = clamp(b, n)
                ranges.append(lo..<Swift.max(lo, hi)); keep.append(true)
            }
        }
        let strides = shape.indices.map { shape[($0 + 1)...].reduce(1, *) }
        var out: [Float] = []
        func walk(_ axis: Int, _ offset: Int) {
            if axis == shape.count { out.append(values[offset]); return }
            for i in ranges[axis] { walk(axis + 1, offset + i * strides[axis]) }
        }
        walk(0, 0)
        let outShape = zip(ranges, keep).compactMap { $1 ? $0.count : nil }
        return (out, outShape)
    }
}

extension Replay {
    /// Whether a forward tensor holds indices (characters, targets): read as an embedding's or
    /// nll_loss's index input, directly or through a stack, reshape, transpose or select.
    public func holdsIndices(id: Int) -> Bool {
        var indices = Set<Int>()
        // Walk backwards, so a consumer is classified before the ops that feed it.
        for e in events.reversed() where e.phase == .forward {
            if ["embedding", "nll_loss"].contains(e.op), e.inputs.count > 1 { indices.insert(e.inputs[1].id) }
            if ["stack", "reshape", "transpose", "select"].contains(e.op), e.outputs.contains(where: { indices.contains($0.id) }) {
                for t in e.inputs { indices.insert(t.id) }
            }
        }
        return indices.contains(id)
    }
}
