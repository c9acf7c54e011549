import TensorCore

/// The notes' neural-network take on collaborative filtering: the user's and the movie's
/// factors concatenated, dropout, one hidden ReLU layer, dropout, and a sigmoid stretched
/// half a star past the rating range at each end.
///
///     x = drop1(cat([u(users), m(movies)], dim=1))
///     x = drop2(relu(lin1(x)))
///     pred = sigmoid(lin2(x)) * (max_rating - min_rating + 1) + min_rating - 0.5
public final class EmbeddingNet: RatingModel {
    public let kind = "EmbeddingNet"
    public let nFactors: Int, nHidden: Int
    public let minScore: Float, maxScore: Float
    public let u: Embedding, m: Embedding
    public let lin1: Linear, lin2: Linear
    public let drop1: Dropout, drop2: Dropout
    public var training = true {
        didSet { drop1.training = training; drop2.training = training }
    }

    public init(nUsers: Int, nItems: Int, nFactors: Int = 50, nHidden: Int = 10, p1: Float = 0.05, p2: Float = 0.5,
                minScore: Float, maxScore: Float, rng: SeededGenerator = .shared) {
        precondition(nFactors > 0 && nHidden > 0 && nUsers > 0 && nItems > 0 && maxScore > minScore)
        self.nFactors = nFactors; self.nHidden = nHidden
        self.minScore = minScore; self.maxScore = maxScore
        // The notes' order: u, m (get_emb), lin1, lin2 (PyTorch's default init).
        u = EmbeddingDotBias.getEmb("u", nUsers, nFactors, rng: rng)
        m = EmbeddingDotBias.getEmb("m", nItems, nFactors, rng: rng)
        lin1 = Linear(name: "lin1", inputs: 2 * nFactors, outputs: nHidden, rng: rng)
        lin2 = Linear(name: "lin2", inputs: nHidden, outputs: 1, rng: rng)
        drop1 = Dropout(p: p1, rng: rng, name: "drop1")
        drop2 = Dropout(p: p2, rng: rng, name: "drop2")
    }

    public convenience init(_ data: CollabFilterDataset, nFactors: Int = 50, rng: SeededGenerator = .shared) {
        self.init(nUsers: data.nUsers, nItems: data.nItems, nFactors: nFactors,
                  minScore: data.minScore, maxScore: data.maxScore, rng: rng)
    }

    public var parameters: [(name: String, tensor: Tensor)] {
        u.parameters + m.parameters + lin1.parameters + lin2.parameters
    }

    public func forward(users: Tensor, items: Tensor) -> Tensor { forward(users: users, items: items, masks: nil) }

    /// Predicted ratings, [batch]; `masks` (keys `drop1`, `drop2`) replace the drawn ones.
    public func forward(users: Tensor, items: Tensor, masks: DropoutMasks?) -> Tensor {
        precondition(users.rank == 1 && users.shape == items.shape, "EmbeddingNet takes [batch] users and movies, got \(users.shape), \(items.shape)")
        let b = users.shape[0]
        let movies = Tensor(shape: items.shape, data: items.data, label: "movies")
        let cat = Tensor.concat([u(users), m(movies)], axis: 1).named("cat(u,m)")
        let x1 = drop1(cat, mask: masks?["drop1"]).named("drop1(x)")
        let h = lin1(x1).named("lin1(x)")
        let r = h.relu().named("relu(lin1(x))")
        let x2 = drop2(r, mask: masks?["drop2"]).named("drop2(x)")
        // lin2's [batch, 1] squeezed to [batch], the shape of the ratings.
        let out = lin2(x2).reshape([b]).named("lin2(x)")
        let s = out.sigmoid().named("sigmoid(lin2(x))")
        let scaled = (s * (maxScore - minScore + 1)).named("sigmoid·(max−min+1)")
        return (scaled + (minScore - 0.5)).named("pred")
    }
}
