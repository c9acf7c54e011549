import TensorCore

/// The seed's collaborative-filtering model: a user and a movie embedding, their dot product,
/// a bias per user and per movie, squashed into the rating range by a sigmoid.
///
///     res = (u(users) * i(items)).sum(1) + ub(users).squeeze() + ib(items).squeeze()
///     pred = sigmoid(res) * (max_score - min_score) + min_score
public final class EmbeddingDotBias: RatingModel {
    /// No dropout or batch norm: the same in training and evaluation.
    public var training = true
    public let kind = "EmbeddingDotBias"
    public let nFactors: Int, nUsers: Int, nItems: Int
    public let minScore: Float, maxScore: Float
    public let u: Embedding, i: Embedding, ub: Embedding, ib: Embedding

    /// `get_emb(ni, nf)`: nn.Embedding with its N(0, 1) init replaced by U(−0.05, 0.05).
    public static let initRange: Float = 0.05
    static func getEmb(_ name: String, _ ni: Int, _ nf: Int, rng: SeededGenerator) -> Embedding {
        Embedding(name: name, weight: .uniform([ni, nf], low: -initRange, high: initRange, using: rng))
    }

    public init(nFactors: Int, nUsers: Int, nItems: Int, minScore: Float, maxScore: Float, rng: SeededGenerator = .shared) {
        precondition(nFactors > 0 && nUsers > 0 && nItems > 0 && maxScore > minScore)
        self.nFactors = nFactors; self.nUsers = nUsers; self.nItems = nItems
        self.minScore = minScore; self.maxScore = maxScore
        // The seed's list comprehension order: u, i, ub, ib.
        u = EmbeddingDotBias.getEmb("u", nUsers, nFactors, rng: rng)
        i = EmbeddingDotBias.getEmb("i", nItems, nFactors, rng: rng)
        ub = EmbeddingDotBias.getEmb("ub", nUsers, 1, rng: rng)
        ib = EmbeddingDotBias.getEmb("ib", nItems, 1, rng: rng)
    }

    /// `cf.get_model(n_factors)`.
    public convenience init(_ data: CollabFilterDataset, nFactors: Int, rng: SeededGenerator = .shared) {
        self.init(nFactors: nFactors, nUsers: data.nUsers, nItems: data.nItems,
                  minScore: data.minScore, maxScore: data.maxScore, rng: rng)
    }

    public var parameters: [(name: String, tensor: Tensor)] {
        u.parameters + i.parameters + ub.parameters + ib.parameters
    }

    /// Predicted ratings, [batch], for index tensors `users` and `items`, [batch] each.
    public func forward(users: Tensor, items: Tensor) -> Tensor {
        precondition(users.rank == 1 && users.shape == items.shape, "EmbeddingDotBias takes [batch] users and items, got \(users.shape), \(items.shape)")
        let b = users.shape[0]
        let um = (u(users) * i(items)).named("um")
        let dot = um.sum(axis: 1).named("um.sum(1)")
        // squeeze() is a reshape [b, 1] → [b].
        let userBias = ub(users).reshape([b]).named("ub(users).squeeze()")
        let itemBias = ib(items).reshape([b]).named("ib(items).squeeze()")
        let res = (dot + userBias + itemBias).named("res")
        let s = res.sigmoid().named("sigmoid(res)")
        return (s * (maxScore - minScore) + minScore).named("pred")
    }
}
