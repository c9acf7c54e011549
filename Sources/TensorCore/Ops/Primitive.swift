// The complete, listable set of primitives. Everything a lesson computes is composed from
// these; each has exactly one forward/backward rule, in the op family file named beside it.

public enum Primitive: String, CaseIterable, Codable, Sendable {
    // Arithmetic.swift — broadcasting binary ops and negation
    case add, sub, mul, div, neg
    // Unary.swift — pointwise functions
    case exp, log, tanh, relu, sigmoid, sqrt
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
    // Dropout.swift — inverted dropout with its mask as an input
    case dropout
    // Not primitives: batch norm is composed in Models (BatchNorm1d: mean, sub, mul, add, sqrt,
    // div), so its μ, σ², 1/√(σ²+ε) and x̂ are each a traced op a learner can print, and its
    // gradient needs no rule of its own (golden-tested against nn.BatchNorm1d).

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
        case .sqrt: return "self: grad / (2 * result)"
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
        case .dropout: return "self: grad * mask / (1 - p); mask: none (data)"
        }
    }

    /// The label an op's result gets when the model has not named it: the lesson's notation.
    /// NOTE: appended piece by piece into one string (this runs for every traced op, and for
    /// every op without a graph); interpolations over a mapped copy of the input labels and
    /// `joined` were ~1.7k instructions per op. Untraced ops with a graph no longer run it until
    /// their label is read (Node.label).
    func autoLabel(_ inputs: [Tensor], attributes: String) -> String {
        var s = ""
        func input(_ i: Int) {
            let l = inputs[i].label
            // Characters never outnumber UTF-8 bytes: most labels are decided without counting
            // characters, which walks the string.
            if l.isEmpty { s += "·"; return }
            s += l.utf8.count <= 40 || l.count <= 40 ? l : "…"
        }
        func infix(_ op: String) { input(0); s += op; input(1) }
        switch self {
        case .add: infix("+")
        case .sub: infix("-")
        case .mul: infix("*")
        case .div: infix("/")
        case .matmul: infix("@")
        case .neg: s += "-"; input(0)
        case .select, .slice: input(0); s += "["; s += attributes; s += "]"
        default:
            s += rawValue; s += "("
            for i in inputs.indices {
                if i > 0 { s += ", " }
                input(i)
            }
            if !attributes.isEmpty { s += ", "; s += attributes }
            s += ")"
        }
        return s
    }
}
