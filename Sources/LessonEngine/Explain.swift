import Foundation
import Models
import TensorCore

/// "Explain a number": one output element of the current op, with its formula and the real
/// values from the trace substituted, ending in the value the trace recorded.
public struct Explainer {
    let replay: Replay

    public init(replay: Replay) { self.replay = replay }

    func v(_ x: Float) -> String { String(format: "%.6g", x) }

    /// Row-major flat index from a position, or nil when out of range.
    static func flat(_ pos: [Int], _ shape: [Int]) -> Int? {
        guard pos.count == shape.count, zip(pos, shape).allSatisfy({ $0 >= 0 && $0 < $1 }) else { return nil }
        var flat = 0
        for (p, n) in zip(pos, shape) { flat = flat * n + p }
        return flat
    }

    static func position(_ index: Int, _ shape: [Int]) -> [Int] {
        var rest = index
        var pos = [Int](repeating: 0, count: shape.count)
        for a in stride(from: shape.count - 1, through: 0, by: -1) where shape[a] > 0 {
            pos[a] = rest % shape[a]; rest /= shape[a]
        }
        return pos
    }

    func values(_ t: TracedTensor) -> [Float]? { t.values ?? replay.valuesByID[t.id]?.values }

    /// `index` is a flat index or a position like `0,3`, optionally after the label of the
    /// output to explain when a backward op has several (`explain l_in.weight 3,5`).
    public func explain(_ e: TraceEvent, at argument: String?) throws -> String {
        var out = e.outputs.first
        var indexText = argument
        if let arg = argument, let space = arg.lastIndex(of: " ") ?? (e.outputs.contains { $0.label == arg } ? arg.endIndex : nil) {
            let name = String(arg[..<space]).trimmingCharacters(in: .whitespaces)
            if let chosen = e.outputs.first(where: { $0.label == name }) {
                out = chosen
                indexText = String(arg[space...])
            } else if e.outputs.count > 1 && name.contains(where: \.isLetter) {
                throw InputError("explain: this op's outputs are \(e.outputs.map(\.label).joined(separator: ", ")); got '\(name)'")
            }
        }
        guard let out else { return "this op has no output to explain" }
        var flatIndex = 0
        if let text = indexText?.trimmingCharacters(in: CharacterSet(charactersIn: "[] ")), !text.isEmpty {
            let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.allSatisfy({ $0 != nil }) else { throw InputError("explain: expected an index like 5 or 0,3, got '\(text)'") }
            let nums = parts.map { $0! }
            if nums.count == 1 && out.shape.count != 1 {
                flatIndex = nums[0]
            } else {
                guard let f = Explainer.flat(nums, out.shape) else {
                    throw InputError("explain: position [\(text)] is outside \(Presenter.shape(out.shape))")
                }
                flatIndex = f
            }
        }
        guard flatIndex >= 0 && flatIndex < out.shape.reduce(1, *) else {
            throw InputError("explain: index \(flatIndex) is outside \(Presenter.shape(out.shape))")
        }
        guard let outValues = values(out) else { return "values were not recorded (trace level summary); record with full" }
        let pos = Explainer.position(flatIndex, out.shape)
        let at = "[" + pos.map(String.init).joined(separator: ",") + "]"
        switch e.phase {
        case .forward: return try forward(e, out: out, outValues: outValues, index: flatIndex, pos: pos, at: at)
        case .backward: return backward(e, out: out, outValues: outValues, index: flatIndex, at: at)
        case .update: return update(e, out: out, outValues: outValues, index: flatIndex, at: at)
        }
    }

    func forward(_ e: TraceEvent, out: TracedTensor, outValues: [Float], index: Int, pos: [Int], at: String) throws -> String {
        let name = "\(out.label)\(at)"
        let result = v(outValues[index])
        let ins = e.inputs.map { values($0) }
        func input(_ k: Int) -> [Float] { ins[k] ?? [] }
        // Every primitive decides here: a new one does not compile until it is explained.
        switch Primitive(rawValue: e.op) {
        case .matmul:
            let (a, b) = (e.inputs[0], e.inputs[1])
            let transB = e.attributes.contains("transB"), transA = e.attributes.contains("transA")
            let (i, j) = (pos[0], pos[1])
            let k = transA ? a.shape[0] : a.shape[1]
            var terms: [String] = []
            var sum: Double = 0
            for kk in 0..<k {
                let av = input(0)[transA ? kk * a.shape[1] + i : i * a.shape[1] + kk]
                let bv = input(1)[transB ? j * b.shape[1] + kk : kk * b.shape[1] + j]
                sum += Double(av) * Double(bv)
                if kk < 4 { terms.append("\(v(av))×\(v(bv))") }
            }
            let bIndex = transB ? "[\(j),k]" : "[k,\(j)]"
            return """
            \(name) = Σ_k \(a.label)[\(i),k] · \(b.label)\(bIndex)   (k = 0…\(k - 1)\(transB ? ", weight read transposed by BLAS" : ""))
                     = \(terms.joined(separator: " + "))\(k > 4 ? " + … (\(k - 4) more terms)" : "")
                     = \(v(Float(sum)))   (trace: \(result))
            """
        case .add, .sub, .mul, .div:
            let sym = ["add": "+", "sub": "−", "mul": "×", "div": "÷"][e.op]!
            let (a, b) = (e.inputs[0], e.inputs[1])
            let ia = broadcastIndex(pos, outShape: out.shape, inShape: a.shape)
            let ib = broadcastIndex(pos, outShape: out.shape, inShape: b.shape)
            var text = "\(name) = \(a.label)\(idx(ia, a.shape)) \(sym) \(b.label)\(idx(ib, b.shape)) = \(v(input(0)[ia])) \(sym) \(v(input(1)[ib])) = \(result)"
            // A linear layer is matmul then bias add, both under the layer's label: show the dot
            // product that produced the first operand too.
            if e.op == "add", let producer = replay.events.first(where: { $0.phase == .forward && $0.op == "matmul" && $0.outputs.first?.id == a.id }) {
                text += "\n  where " + (try forward(producer, out: producer.outputs[0], outValues: values(producer.outputs[0]) ?? [], index: ia, pos: Explainer.position(ia, a.shape), at: idx(ia, a.shape)))
                text += "\n  and \(b.label)\(idx(ib, b.shape)) = \(v(input(1)[ib])) is the bias"
            }
            return text
        case .tanh: return "\(name) = tanh(\(e.inputs[0].label)\(at)) = tanh(\(v(input(0)[index]))) = \(result)"
        case .relu: return "\(name) = max(0, \(e.inputs[0].label)\(at)) = max(0, \(v(input(0)[index]))) = \(result)"
        case .sigmoid: return "\(name) = 1/(1+e^−x) with x = \(e.inputs[0].label)\(at) = \(v(input(0)[index])) → \(result)"
        case .exp: return "\(name) = exp(\(v(input(0)[index]))) = \(result)"
        case .log: return "\(name) = log(\(v(input(0)[index]))) = \(result)"
        case .neg: return "\(name) = −\(v(input(0)[index])) = \(result)"
        case .sqrt: return "\(name) = √\(v(input(0)[index])) = \(result)"
        case .dropout:
            let kept = input(1)[index] != 0
            return "\(name) = \(e.inputs[0].label)\(at) × mask\(at) / (1 − p) = \(v(input(0)[index])) × \(kept ? 1 : 0) / (1 − \(e.attributes.dropFirst(2))) = \(result)"
                + (kept ? "   (kept, scaled up so the expected value is unchanged)" : "   (dropped)")
        case .embedding:
            let width = out.shape.last!
            let row = index / width, col = index % width
            let c = Int(input(1)[row])
            return "\(name) = \(e.inputs[0].label)[\(e.inputs[1].label)\(idx(row, e.inputs[1].shape)), \(col)] = \(e.inputs[0].label)[\(c), \(col)] = \(result)   (a row lookup, no multiplication)"
        case .logSoftmax:
            let axis = attribute(e, "axis").flatMap { Int($0) } ?? (out.shape.count - 1)
            let n = out.shape[axis]
            let inner = out.shape[(axis + 1)...].reduce(1, *)
            let base = index - pos[axis] * inner
            let xs = (0..<n).map { input(0)[base + $0 * inner] }
            let m = xs.max()!
            let lse = Double(m) + log(xs.reduce(0.0) { $0 + exp(Double($1 - m)) })
            return """
            \(name) = x − log Σ exp(x) along axis \(axis) (\(n) values), x = \(e.inputs[0].label)\(at) = \(v(input(0)[index]))
                     = \(v(input(0)[index])) − (max \(v(m)) + log Σ exp(x − max)) = \(v(input(0)[index])) − \(v(Float(lse))) = \(v(Float(Double(input(0)[index]) - lse)))   (trace: \(result))
            """
        case .nllLoss:
            let (logp, t) = (input(0), input(1))
            let c = e.inputs[0].shape[1]
            let terms = t.prefix(3).enumerated().map { r, target in "\(v(logp[r * c + Int(target)]))" }
            return "\(name) = −mean over \(t.count) rows of \(e.inputs[0].label)[row, target] = −(\(terms.joined(separator: " + "))\(t.count > 3 ? " + …" : "")) / \(t.count) = \(result)"
        case .mse:
            let (a, b) = (input(0), input(1))
            let terms = (0..<min(3, a.count)).map { "(\(v(a[$0])) − \(v(b[$0])))²" }
            return "\(name) = mean((\(e.inputs[0].label) − \(e.inputs[1].label))²) = (\(terms.joined(separator: " + ")) + …) / \(a.count) = \(result)"
        case .sum, .mean:
            return "\(name) = \(e.op) of \(e.inputs[0].label) \(e.attributes.isEmpty ? "(all \(input(0).count) values)" : e.attributes) = \(result)"
        case .max:
            return "\(name) = max of \(e.inputs[0].label) along \(e.attributes) = \(result)"
        case .argmax:
            return "\(name) = the index of the largest value of \(e.inputs[0].label) along \(e.attributes) = \(result)"
        case .reshape, .transpose, .concat, .stack, .select, .slice, nil:
            return "\(name) = \(result): \(e.op) moves values without arithmetic (\(e.attributes)); the value comes from \(e.inputs.map(\.label).joined(separator: ", "))"
        }
    }

    func backward(_ e: TraceEvent, out: TracedTensor, outValues: [Float], index: Int, at: String) -> String {
        let rule = Primitive(rawValue: e.op)?.rule ?? e.op
        let g = e.inputs.first.flatMap { values($0) } ?? []
        let gl = "grad(\(e.inputs.first?.label ?? "?"))"
        let result = v(outValues[index])
        var head = "rule (\(e.op)): \(rule)\n"
        let name = "grad_in(\(out.label))\(at)"
        switch Primitive(rawValue: e.op) {
        case .tanh:
            let r = replay.valuesByID[e.inputs[0].id]?.values?[index] ?? .nan
            head += "\(name) = \(gl)\(at) × (1 − result\(at)²) = \(v(g[index])) × (1 − \(v(r))²) = \(v(g[index] * (1 - r * r)))   (trace: \(result))"
        case .relu:
            let r = replay.valuesByID[e.inputs[0].id]?.values?[index] ?? .nan
            head += "\(name) = \(gl)\(at) × (result\(at) > 0) = \(v(g[index])) × \(r > 0 ? 1 : 0) = \(result)"
        case .sigmoid:
            let r = replay.valuesByID[e.inputs[0].id]?.values?[index] ?? .nan
            head += "\(name) = \(gl)\(at) × result × (1 − result) = \(v(g[index])) × \(v(r)) × \(v(1 - r)) = \(result)"
        case .sqrt:
            let r = replay.valuesByID[e.inputs[0].id]?.values?[index] ?? .nan
            head += "\(name) = \(gl)\(at) / (2 × result\(at)) = \(v(g[index])) / (2 × \(v(r))) = \(result)"
        case .dropout:
            head += "\(name) = \(gl)\(at) × mask / (1 − p) = \(result)   (a dropped unit passes no gradient back)"
        case .add, .sub:
            if g.count == outValues.count {
                head += "\(name) = \(e.op == "sub" && out.id == e.outputs.last?.id && e.outputs.count > 1 ? "−" : "")\(gl)\(at) = \(result)   (addition passes the gradient through)"
            } else {
                let rows = g.count / max(outValues.count, 1)
                let col = index % max(outValues.count, 1)
                let terms = (0..<min(rows, 3)).map { v(g[$0 * outValues.count + col]) }
                head += "\(name) = Σ over the \(rows) broadcast rows of \(gl)[row, \(col)] = \(terms.joined(separator: " + "))\(rows > 3 ? " + …" : "") = \(result)   (a bias is added to every row, so its gradient sums them)"
            }
        case .matmul:
            // The forward event that made the result holds both factors.
            guard let fwd = replay.events.first(where: { $0.phase == .forward && $0.outputs.first?.id == e.inputs[0].id }),
                  let a = values(fwd.inputs[0]), let b = values(fwd.inputs[1]) else {
                head += "\(name) = \(result)"
                break
            }
            let transB = fwd.attributes.contains("transB")
            let (m, n) = (fwd.outputs[0].shape[0], fwd.outputs[0].shape[1])
            let pos = Explainer.position(index, out.shape)
            var terms: [String] = []
            var sum = 0.0
            if out.id == fwd.inputs[0].id && !fwd.attributes.contains("transA") {
                // d/dA: grad_in[i,k] = Σ_j G[i,j] · op(B)[k,j]
                let (i, k) = (pos[0], pos[1])
                let kDim = fwd.inputs[0].shape[1]
                for j in 0..<n {
                    let bv = transB ? b[j * kDim + k] : b[k * n + j]
                    sum += Double(g[i * n + j]) * Double(bv)
                    if j < 3 { terms.append("\(v(g[i * n + j]))×\(v(bv))") }
                }
                head += "\(name) = Σ_j \(gl)[\(i),j] · \(fwd.inputs[1].label)\(transB ? "[j,\(k)]" : "[\(k),j]")   (j = 0…\(n - 1))\n"
                head += "         = \(terms.joined(separator: " + ")) + … = \(v(Float(sum)))   (trace: \(result))"
            } else if out.id == fwd.inputs[1].id && transB && !fwd.attributes.contains("transA") {
                // d/dW for x·Wᵀ: grad_in[j,k] = Σ_i G[i,j] · x[i,k] — a sum over the batch.
                let (j, k) = (pos[0], pos[1])
                let kDim = fwd.inputs[0].shape[1]
                for i in 0..<m {
                    sum += Double(g[i * n + j]) * Double(a[i * kDim + k])
                    if i < 3 { terms.append("\(v(g[i * n + j]))×\(v(a[i * kDim + k]))") }
                }
                head += "\(name) = Σ_i \(gl)[i,\(j)] · \(fwd.inputs[0].label)[i,\(k)]   (i over the \(m) rows of the batch)\n"
                head += "         = \(terms.joined(separator: " + "))\(m > 3 ? " + …" : "") = \(v(Float(sum)))   (trace: \(result))"
            } else {
                head += "\(name) = \(result)"
            }
        case .embedding:
            head += "\(name): rows of \(gl) are added into the rows of the table they were read from (scatter-add); a character used k times gets k rows added = \(result)"
        case .logSoftmax:
            let axis = attribute(e, "axis").flatMap { Int($0) } ?? (out.shape.count - 1)
            let pos = Explainer.position(index, out.shape)
            let n = out.shape[axis], inner = out.shape[(axis + 1)...].reduce(1, *)
            let base = index - pos[axis] * inner
            let total = (0..<n).reduce(0.0) { $0 + Double(g[base + $1 * inner]) }
            let r = replay.valuesByID[e.inputs[0].id]?.values?[index] ?? .nan
            let value = Double(g[index]) - exp(Double(r)) * total
            head += "\(name) = \(gl)\(at) − exp(result\(at)) × Σ_axis\(axis) \(gl) = \(v(g[index])) − exp(\(v(r))) × \(v(Float(total))) = \(v(Float(value)))   (trace: \(result))"
        case .nllLoss:
            head += "\(name) = \(outValues[index] == 0 ? "0 (not a target entry)" : "−grad / N at the row's target = \(result)")"
        case .mul, .div, .neg, .exp, .log, .sum, .mean, .mse, .reshape, .transpose, .concat, .stack, .select, .slice,
             .max, .argmax, nil:
            head += "\(name) = \(result)"
        }
        return head
    }

    func update(_ e: TraceEvent, out: TracedTensor, outValues: [Float], index: Int, at: String) -> String {
        let g = e.inputs.first?.values?[index] ?? .nan
        let before = replay.value(named: out.label)?.values?[index] ?? .nan
        let lr = attribute(e, "lr").flatMap { Float($0) } ?? .nan
        if e.op == "sgd" {
            return "\(out.label)\(at) ← \(out.label)\(at) − lr × grad = \(v(before)) − \(v(lr)) × \(v(g)) = \(v(outValues[index]))"
        }
        // Adam with PyTorch's defaults (β1 0.9, β2 0.999, ε 1e-8), the moments from the event.
        let t = Int(attribute(e, "step") ?? "") ?? 0
        func state(_ side: [TracedTensor], _ name: String) -> Float? {
            side.first { $0.label == "\(name)(\(out.label))" }?.values.flatMap { index < $0.count ? $0[index] : nil }
        }
        guard t > 0, let m0 = state(e.inputs, "adam.m"), let v0 = state(e.inputs, "adam.v"),
              let m1 = state(e.outputs, "adam.m"), let v1 = state(e.outputs, "adam.v") else {
            return "\(out.label)\(at) ← \(v(before)) − lr·m̂/(√v̂ + ε) with grad \(v(g)) (Adam, \(e.attributes)) = \(v(outValues[index]))"
        }
        // With weight decay (PyTorch's Adam(weight_decay=wd)), g is the gradient plus wd × the weight.
        let wd = attribute(e, "wd").flatMap { Float($0) } ?? 0
        return adamExplanation(out: out, at: at, t: t, raw: g, wd: wd, before: before, lr: lr,
                               m0: m0, v0: v0, m1: m1, v1: v1, traced: outValues[index])
    }

    func adamExplanation(out: TracedTensor, at: String, t: Int, raw: Float, wd: Float, before: Float, lr: Float,
                         m0: Float, v0: Float, m1: Float, v1: Float, traced: Float) -> String {
        let g = raw + wd * before
        let c1 = 1 - Foundation.pow(Float(0.9), Float(t)), c2 = 1 - Foundation.pow(Float(0.999), Float(t))
        let mHat = m1 / c1, vHat = v1 / c2
        let stepSize = lr * mHat / (vHat.squareRoot() + 1e-8)
        var text = """
        Adam, step \(t) (β1 0.9, β2 0.999, ε 1e-8), for \(out.label)\(at) with gradient g = \(wd == 0 ? v(g) : "\(v(raw)) + \(v(wd)) × \(v(before)) = \(v(g))   (weight decay \(v(wd)))"):
          m = 0.9 × m + 0.1 × g    = 0.9 × \(v(m0)) + 0.1 × \(v(g)) = \(v(m1))   (a running mean of g)
          v = 0.999 × v + 0.001 × g² = 0.999 × \(v(v0)) + 0.001 × \(v(g * g)) = \(v(v1))   (a running mean of g²)
          m̂ = m / (1 − 0.9^\(t)) = \(v(m1)) / \(v(c1)) = \(v(mHat));  v̂ = v / (1 − 0.999^\(t)) = \(v(v1)) / \(v(c2)) = \(v(vHat))
          \(out.label)\(at) ← \(v(before)) − lr × m̂ / (√v̂ + ε) = \(v(before)) − \(v(lr)) × \(v(mHat)) / (\(v(vHat.squareRoot())) + 1e-8)
                   = \(v(before)) − \(v(stepSize)) = \(v(before - stepSize))   (trace: \(v(traced)))
          SGD with the same lr would move it by lr × g = \(v(lr * g)); Adam's step is lr × m̂/√v̂, about lr when g keeps its sign.
        """
        if t == 1 {
            text += "\n  At step 1, m̂ = g and v̂ = g² (bias correction undoes the averaging), so every weight with a non-zero gradient moves by almost exactly lr."
        }
        return text
    }

    /// One `key=value` of an event's attributes (`axis=1`, `lr=0.01,step=1`).
    func attribute(_ e: TraceEvent, _ key: String) -> String? {
        for field in e.attributes.split(separator: ",") {
            let kv = field.split(separator: "=", maxSplits: 1)
            if kv.count == 2 && kv[0] == key { return String(kv[1]) }
        }
        return nil
    }

    func broadcastIndex(_ pos: [Int], outShape: [Int], inShape: [Int]) -> Int {
        let offset = outShape.count - inShape.count
        var flat = 0
        for (a, n) in inShape.enumerated() {
            let p = n == 1 ? 0 : pos[a + offset]
            flat = flat * n + p
        }
        return flat
    }

    func idx(_ flat: Int, _ shape: [Int]) -> String {
        shape.isEmpty ? "" : "[" + Explainer.position(flat, shape).map(String.init).joined(separator: ",") + "]"
    }
}
