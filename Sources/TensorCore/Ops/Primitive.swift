// The complete, listable set of primitives. Everything a lesson computes is composed from
// these; each has exactly one forward/backward rule, in the op family file named beside it.

public enum Primitive: String, CaseIterable, Codable, Sendable {
    // Arithmetic.swift — broadcasting binary ops and negation
    case add, sub, mul, div, neg
    // Unary.swift — pointwise functions
    case exp, log, tanh, relu, sigmoid
    // Reduction.swift — sums, means, and (no gradient) max / argmax
    case sum, mean, max, argmax
    // Layout.swift — moving values without arithmetic
    case reshape, transpose, concat, stack, select, slice
    // MatMul.swift — the only matrix product, through cblas_sgemm
    case matmul
    // Embedding.swift — gather rows / scatter-add
    case embedding
    // Loss.swift — normalisation and losses
    case logSoftmax = "log_softmax"
    case nllLoss = "nll_loss"
    case mse

    /// The backward rule in one line, in the vocabulary of PyTorch's derivatives.yaml
    /// (`grad`, `result`, inputs). Shown to the learner by `explain`.
    public var rule: String {
        switch self {
        case .add: return "self: grad (summed to self's shape); other: grad (summed to other's shape)"
        case .sub: return "self: grad; other: -grad (each summed to its shape)"
        case .mul: return "self: grad * other; other: grad * self (each summed to its shape)"
        case .div: return "self: grad / other; other: -grad * result / other"
        case .neg: return "self: -grad"
        case .exp: return "self: grad * result"
        case .log: return "self: grad / self"
        case .tanh: return "self: grad * (1 - result²)"
        case .relu: return "self: grad * (result > 0)"
        case .sigmoid: return "self: grad * result * (1 - result)"
        case .sum: return "self: grad expanded over the summed axis"
        case .mean: return "self: grad expanded over the axis / n"
        case .max, .argmax: return "no gradient (used for generation)"
        case .reshape: return "self: grad reshaped to self's shape"
        case .transpose: return "self: grad transposed back"
        case .concat: return "each input: its slice of grad"
        case .stack: return "each input: grad selected at its index"
        case .select: return "self: zeros with grad written at the index"
        case .slice: return "self: zeros with grad written into the range"
        case .matmul: return "self: grad @ otherᵀ; other: selfᵀ @ grad (BLAS transposes, no copies)"
        case .embedding: return "weight: scatter-add of grad rows into the rows that were looked up"
        case .logSoftmax: return "self: grad - exp(result) * sum(grad, axis)"
        case .nllLoss: return "self: -grad / N at each row's target, 0 elsewhere"
        case .mse: return "self: grad * 2 (self - target) / N; target: the negative"
        }
    }

    /// The label an op's result gets when the model has not named it: the lesson's notation.
    func autoLabel(_ inputs: [String], attributes: String) -> String {
        func short(_ s: String) -> String {
            if s.isEmpty { return "·" }
            // Characters never outnumber UTF-8 bytes: most labels are decided without counting
            // characters, which walks the string (this runs for every op, traced or not).
            return s.utf8.count <= 40 || s.count <= 40 ? s : "…"
        }
        let a = inputs.map(short)
        switch self {
        case .add: return "\(a[0])+\(a[1])"
        case .sub: return "\(a[0])-\(a[1])"
        case .mul: return "\(a[0])*\(a[1])"
        case .div: return "\(a[0])/\(a[1])"
        case .neg: return "-\(a[0])"
        case .matmul: return "\(a[0])@\(a[1])"
        case .select, .slice: return "\(a[0])[\(attributes)]"
        default:
            let args = ([a.joined(separator: ", ")] + (attributes.isEmpty ? [] : [attributes]))
            return "\(rawValue)(\(args.joined(separator: ", ")))"
        }
    }
}
