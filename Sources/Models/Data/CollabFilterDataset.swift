import TensorCore

/// The seed's `CollabFilterDataset`: user and item ids renumbered 0, 1, 2, … in order of first
/// appearance (`proc_col`), the ratings, and their min and max (the model's sigmoid range).
public struct CollabFilterDataset: Sendable {
    /// `uniq`: the ids in order of first appearance; `users[k]` is the id of index k.
    public let users: [Int], items: [Int]
    public let user2idx: [Int: Int], item2idx: [Int: Int]
    /// `user_col`, `item_col`: each row's index.
    public let userCol: [Int], itemCol: [Int]
    public let ratings: [Float]
    public let minScore: Float, maxScore: Float
    public var nUsers: Int { users.count }
    public var nItems: Int { items.count }
    public var count: Int { ratings.count }

    /// `pd.Series.unique()` then `{o: i for i, o in enumerate(uniq)}`.
    static func procCol(_ col: [Int]) -> (uniq: [Int], toIndex: [Int: Int], indices: [Int]) {
        var uniq: [Int] = [], toIndex: [Int: Int] = [:]
        var indices = [Int](repeating: 0, count: col.count)
        for (r, id) in col.enumerated() {
            if let i = toIndex[id] { indices[r] = i; continue }
            toIndex[id] = uniq.count
            indices[r] = uniq.count
            uniq.append(id)
        }
        return (uniq, toIndex, indices)
    }

    public init(userIds: [Int], itemIds: [Int], ratings: [Float]) {
        precondition(userIds.count == ratings.count && itemIds.count == ratings.count && !ratings.isEmpty,
                     "CollabFilterDataset: columns of \(userIds.count), \(itemIds.count), \(ratings.count) rows")
        (users, user2idx, userCol) = CollabFilterDataset.procCol(userIds)
        (items, item2idx, itemCol) = CollabFilterDataset.procCol(itemIds)
        self.ratings = ratings
        minScore = ratings.min()!
        maxScore = ratings.max()!
    }

    /// `CollabFilterDataset.from_csv(path, 'ratings.csv', 'userId', 'movieId', 'rating')`.
    public init(_ data: MovieLens) {
        self.init(userIds: data.ratings.userIds, itemIds: data.ratings.movieIds, ratings: data.ratings.ratings)
    }

    /// The seed's split: `val_idxs = get_cv_idxs(len(ratings))` (numpy RandomState(42)), and
    /// fastai's `split_by_idx`, a boolean mask, so both parts keep file order.
    public func cvSplit(valPct: Double = 0.2, seed: UInt32 = 42) -> Split {
        let valid = CVIndices.getCVIdxs(n: count, valPct: valPct, seed: seed)
        var isValid = [Bool](repeating: false, count: count)
        for i in valid { isValid[i] = true }
        return Split(train: (0..<count).filter { !isValid[$0] }, valid: (0..<count).filter { isValid[$0] })
    }

    /// Rows as the model's inputs: users and items (indices, as whole Floats) and ratings, [b] each.
    public func batch<C: Collection>(_ rows: C) -> (users: Tensor, items: Tensor, y: Tensor) where C.Element == Int {
        var u = [Float](), i = [Float](), y = [Float]()
        u.reserveCapacity(rows.count); i.reserveCapacity(rows.count); y.reserveCapacity(rows.count)
        for r in rows { u.append(Float(userCol[r])); i.append(Float(itemCol[r])); y.append(ratings[r]) }
        let b = rows.count
        return (Tensor(shape: [b], data: u, label: "users"), Tensor(shape: [b], data: i, label: "items"),
                Tensor(shape: [b], data: y, label: "y"))
    }

    /// `ratings.groupby('movieId')['rating'].count().sort_values(ascending=False)[:n]`: the most
    /// rated item ids (ties by id, as pandas' default quicksort does not promise an order).
    public func mostRated(_ n: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: nItems)
        for i in itemCol { counts[i] += 1 }
        let order = (0..<nItems).sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : items[$0] < items[$1] }
        return order.prefix(n).map { items[$0] }
    }
}
