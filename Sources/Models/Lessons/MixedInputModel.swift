import TensorCore

/// fastai 0.7's tabular model (column_data.py), as the notes list it: one embedding per
/// categorical column (`emb_init`), dropout on the embeddings, batch norm on the continuous
/// columns, then Linear → ReLU → BatchNorm → Dropout blocks (`kaiming_normal` weights), an output
/// layer, and an optional sigmoid onto `y_range`.
public final class MixedInputModel: Module {
    public let kind = "MixedInputModel"
    public let embs: [Embedding]
    public let lins: [Linear]
    public let bns: [BatchNorm1d]
    public let outp: Linear
    public let embDrop: Dropout
    public let drops: [Dropout]
    public let bn: BatchNorm1d
    public let useBn: Bool
    public let yRange: (Float, Float)?
    public var training = true {
        didSet {
            for d in [embDrop] + drops { d.training = training }
            for b in [bn] + bns { b.training = training }
        }
    }

    /// `MixedInputModel(emb_szs, n_cont, emb_drop, out_sz, szs, drops, y_range, use_bn)`.
    public init(embSzs: [(count: Int, dim: Int)], nCont: Int, embDrop: Float, outSz: Int, szs: [Int], drops: [Float],
                yRange: (Float, Float)? = nil, useBn: Bool = false, rng: SeededGenerator = .shared) {
        precondition(!embSzs.isEmpty && nCont > 0 && outSz > 0 && !szs.isEmpty && szs.count == drops.count,
                     "MixedInputModel: needs embeddings, continuous columns, and one dropout per layer size")
        // PyTorch's registration order, so parameters come in state_dict order: embs, lins, bns, outp, bn.
        embs = embSzs.enumerated().map { i, e in
            let emb = Embedding(name: "embs.\(i)", weight: Tensor(shape: [e.count, e.dim], data: [Float](repeating: 0, count: e.count * e.dim)))
            Init.embInit(emb.weight, rng: rng)
            return emb
        }
        let sizes = [embSzs.reduce(0) { $0 + $1.dim } + nCont] + szs
        lins = (0..<szs.count).map { Linear(name: "lins.\($0)", inputs: sizes[$0], outputs: sizes[$0 + 1], rng: rng) }
        bns = szs.enumerated().map { BatchNorm1d(name: "bns.\($0)", features: $1) }
        for l in lins { Init.kaimingNormal(l.weight, rng: rng) }
        outp = Linear(name: "outp", inputs: szs.last!, outputs: outSz, rng: rng)
        Init.kaimingNormal(outp.weight, rng: rng)
        self.embDrop = Dropout(p: embDrop, rng: rng, name: "emb_drop")
        self.drops = drops.enumerated().map { Dropout(p: $1, rng: rng, name: "drops.\($0)") }
        bn = BatchNorm1d(name: "bn", features: nCont)
        self.useBn = useBn
        self.yRange = yRange
    }

    public var parameters: [(name: String, tensor: Tensor)] {
        embs.flatMap(\.parameters) + lins.flatMap(\.parameters) + bns.flatMap(\.parameters) + outp.parameters + bn.parameters
    }
    public var buffers: [(name: String, tensor: Tensor)] { bns.flatMap(\.buffers) + bn.buffers }

    /// `forward(x_cat, x_cont)`: `cats` one [batch] index tensor per embedding, `conts` [batch, n_cont].
    /// `masks` (keys `emb_drop`, `drops.0`, …) replace the drawn dropout masks.
    public func forward(cats: [Tensor], conts: Tensor, masks: DropoutMasks? = nil) -> Tensor {
        precondition(cats.count == embs.count, "MixedInputModel: \(embs.count) categorical columns expected, got \(cats.count)")
        var x = Tensor.concat(zip(embs, cats).map { $0($1) }, axis: 1).named("cat(embs)")
        let x2 = bn(conts)
        x = embDrop(x, mask: masks?["emb_drop"]).named("emb_drop(x)")
        x = Tensor.concat([x, x2], axis: 1).named("cat(x, bn(conts))")
        for (i, (l, d)) in zip(lins, drops).enumerated() {
            x = l(x).named("lins.\(i)(x)")
            x = x.relu().named("relu(lins.\(i)(x))")
            if useBn { x = bns[i](x).named("bns.\(i)(x)") }
            x = d(x, mask: masks?["drops.\(i)"]).named("drops.\(i)(x)")
        }
        x = outp(x).named("outp(x)")
        guard let (lo, hi) = yRange else { return x }
        x = x.sigmoid().named("sigmoid(outp(x))")
        return (x * (hi - lo) + lo).named("pred")
    }
}

/// The ratings as a tabular problem: categorical user and movie, the movie's continuous
/// columns (`MovieFeatures`), MixedInputModel predicting the rating in [min, max].
public final class MixedRatings: RatingModel {
    public let kind = "MixedInputModel"
    public let model: MixedInputModel
    public let features: MovieFeatures
    public var training: Bool {
        get { model.training }
        set { model.training = newValue }
    }

    /// The lesson's sizes: fastai's embedding width rule min(50, (c+1)/2), two hidden layers.
    public struct Config: Sendable {
        public var embDrop: Float = 0.04
        public var szs = [500, 100]
        public var drops: [Float] = [0.01, 0.1]
        public var useBn = true
        public init() {}
        public static func embeddingWidth(_ count: Int) -> Int { min(50, (count + 1) / 2) }
    }

    public init(_ data: CollabFilterDataset, features: MovieFeatures, config: Config = Config(), rng: SeededGenerator = .shared) {
        self.features = features
        model = MixedInputModel(embSzs: [(data.nUsers, Config.embeddingWidth(data.nUsers)), (data.nItems, Config.embeddingWidth(data.nItems))],
                                nCont: MovieFeatures.names.count, embDrop: config.embDrop, outSz: 1, szs: config.szs, drops: config.drops,
                                yRange: (data.minScore, data.maxScore), useBn: config.useBn, rng: rng)
    }

    public var parameters: [(name: String, tensor: Tensor)] { model.parameters }
    public var buffers: [(name: String, tensor: Tensor)] { model.buffers }

    public func forward(users: Tensor, items: Tensor) -> Tensor { forward(users: users, items: items, masks: nil) }

    public func forward(users: Tensor, items: Tensor, masks: DropoutMasks?) -> Tensor {
        let b = users.shape[0]
        let movies = Tensor(shape: items.shape, data: items.data, label: "movies")
        return model.forward(cats: [users, movies], conts: features.batch(items), masks: masks).reshape([b]).named("pred.squeeze()")
    }
}
