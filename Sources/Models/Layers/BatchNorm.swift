import TensorCore

/// nn.BatchNorm1d on [batch, features], composed from primitives so that every step is its own
/// traced op a learner can print: the batch mean μ, x − μ, the biased variance σ², 1/√(σ² + ε),
/// the normalised x̂ and γ·x̂ + β. Its gradient comes from those ops' rules, no rule of its own.
///
/// Training normalises with the batch's statistics and moves the running estimates
/// (running ← (1 − momentum)·running + momentum·batch, with the unbiased variance, as PyTorch);
/// evaluation normalises with the running estimates instead.
public final class BatchNorm1d: Module {
    public let name: String
    public let weight: Tensor
    public let bias: Tensor
    public let runningMean: Tensor
    public let runningVar: Tensor
    public let momentum: Float
    public let eps: Float
    public var training = true

    public init(name: String, features: Int, momentum: Float = 0.1, eps: Float = 1e-5) {
        self.name = name
        self.momentum = momentum
        self.eps = eps
        weight = makeParameter(Tensor(shape: [features], data: [Float](repeating: 1, count: features)), "\(name).weight")
        bias = makeParameter(Tensor(shape: [features], data: [Float](repeating: 0, count: features)), "\(name).bias")
        runningMean = Tensor(shape: [features], data: [Float](repeating: 0, count: features), label: "\(name).running_mean")
        runningVar = Tensor(shape: [features], data: [Float](repeating: 1, count: features), label: "\(name).running_var")
    }

    public var parameters: [(name: String, tensor: Tensor)] {
        [("\(name).weight", weight), ("\(name).bias", bias)]
    }
    public var buffers: [(name: String, tensor: Tensor)] {
        [("\(name).running_mean", runningMean), ("\(name).running_var", runningVar)]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 2, "\(name): BatchNorm1d here takes [batch, features], got \(x.shape)")
        let n = x.shape[0]
        let (mean, variance): (Tensor, Tensor)
        if training {
            precondition(n > 1, "\(name): training batch norm needs more than one row, got \(n)")
            mean = x.mean(axis: 0).named("μ(\(x.label))")
            let centered = (x - mean).named("\(x.label)−μ")
            variance = (centered * centered).mean(axis: 0).named("σ²(\(x.label))")
            updateRunningStatistics(mean: mean, biasedVariance: variance, rows: n)
            return normalise(centered, variance, input: x)
        }
        mean = runningMean
        variance = runningVar
        return normalise((x - mean).named("\(x.label)−running_mean"), variance, input: x)
    }

    private func normalise(_ centered: Tensor, _ variance: Tensor, input x: Tensor) -> Tensor {
        let invStd = (Tensor.scalar(1, label: "1") / (variance + eps).sqrt()).named("1/√(σ²+ε)")
        let normalised = (centered * invStd).named("x̂(\(x.label))")
        return (normalised * weight + bias).named("\(name)(\(x.label))")
    }

    /// PyTorch's update: the running variance takes the unbiased batch variance, σ²·n/(n − 1).
    /// Done with ops (outside the graph) so the trace shows the running statistics moving.
    private func updateRunningStatistics(mean: Tensor, biasedVariance: Tensor, rows n: Int) {
        let m = momentum, unbias = Float(n) / Float(n - 1)
        GradMode.noGrad {
            let newMean = (runningMean * (1 - m) + mean * m).named("\(name).running_mean ← \(1 - m)·running_mean + \(m)·μ")
            let unbiased = (biasedVariance * unbias).named("σ²·n/(n−1)")
            let newVar = (runningVar * (1 - m) + unbiased * m).named("\(name).running_var ← \(1 - m)·running_var + \(m)·σ²·n/(n−1)")
            runningMean.assign(newMean.data)
            runningVar.assign(newVar.data)
        }
    }
}

/// nn.Dropout: in training, each unit is kept with probability 1 − p (a mask drawn from the
/// layer's seeded generator, or given) and scaled by 1/(1 − p); in evaluation, the identity.
public final class Dropout {
    public let p: Float
    public let rng: SeededGenerator
    /// The layer's name (`drop1`, `drops.0`): its masks are labelled `drop1.mask`.
    public let name: String?
    public var training = true
    /// The mask the last training call used (1 where kept), for the learner to look at.
    public private(set) var lastMask: Tensor?

    public init(p: Float, rng: SeededGenerator = .shared, name: String? = nil) {
        self.name = name
        precondition(p >= 0 && p < 1, "dropout: p must be in [0, 1), got \(p)")
        self.p = p
        self.rng = rng
    }

    public func callAsFunction(_ x: Tensor, mask given: Tensor? = nil) -> Tensor {
        guard training, p > 0 else { return x }
        let mask = given ?? Tensor(shape: x.shape, data: (0..<x.count).map { _ in rng.unit() < p ? 0 : 1 },
                                   label: name.map { "\($0).mask" } ?? "mask(\(x.label))")
        lastMask = mask
        return x.dropout(mask: mask, p: p)
    }
}

/// The initialisations fastai 0.7 gives MixedInputModel and EmbeddingNet.
public enum Init {
    /// fastai's `emb_init`: U(−sc, sc) with sc = 2/(dim + 1), dim the embedding width.
    public static func embInit(_ weight: Tensor, rng: SeededGenerator = .shared) {
        let sc = 2 / Float(weight.shape[1] + 1)
        weight.assign((0..<weight.count).map { _ in rng.uniform(-sc, sc) })
    }

    /// `kaiming_normal` (fan_in, gain √2 for relu): N(0, 2/fan_in), fan_in = a Linear weight's inputs.
    public static func kaimingNormal(_ weight: Tensor, rng: SeededGenerator = .shared) {
        let std = (2 / Float(weight.shape[1])).squareRoot()
        weight.assign((0..<weight.count).map { _ in std * rng.normal() })
    }

    /// `get_emb` of the collaborative-filtering notebook: U(−0.05, 0.05).
    public static func getEmb(_ weight: Tensor, rng: SeededGenerator = .shared) {
        weight.assign((0..<weight.count).map { _ in rng.uniform(-0.05, 0.05) })
    }
}
