import Foundation
import TensorCore

/// The notes' "Bias" and "Embedding Interpretation": movie biases of the 3,000 most-rated
/// movies, and PCA of their embeddings, with titles.
public struct CollabInterpretation {
    public let model: EmbeddingDotBias
    public let data: CollabFilterDataset
    public let titles: [Int: String]
    /// `topMovies`: movie ids, most rated first.
    public let topMovies: [Int]
    /// `topMovieIdx`: their embedding rows.
    public let topMovieIdx: [Int]

    public init(model: EmbeddingDotBias, data: CollabFilterDataset, titles: [Int: String], top: Int = 3000) {
        self.model = model; self.data = data; self.titles = titles
        topMovies = data.mostRated(top)
        topMovieIdx = topMovies.map { data.item2idx[$0]! }
    }

    public func title(_ movieId: Int) -> String { titles[movieId] ?? "movieId \(movieId)" }

    /// `m.ib(V(topMovieIdx))`: one bias per top movie.
    public var movieBias: [Float] { topMovieIdx.map { model.ib.weight.data[$0] } }

    /// `sorted(movie_ratings, key=itemgetter(0))`: (bias, movieId), lowest first.
    public var sortedBiases: [(bias: Float, movieId: Int)] {
        zip(movieBias, topMovies).map { (bias: $0, movieId: $1) }.sorted { $0.bias < $1.bias }
    }

    /// `movie_emb = m.i(V(topMovieIdx))`, [top, nFactors] row-major.
    public var movieEmbeddings: [Float] {
        let nf = model.nFactors, w = model.i.weight.data
        var out = [Float](); out.reserveCapacity(topMovieIdx.count * nf)
        for r in topMovieIdx { out += w[(r * nf)..<((r + 1) * nf)] }
        return out
    }

    /// `PCA(n_components=3).fit(movie_emb.T).components_`.
    public func pca(components: Int = 3) throws -> PCA {
        try PCA(samplesByFeatures: Self.transpose(movieEmbeddings, rows: topMovieIdx.count, cols: model.nFactors),
                rows: model.nFactors, cols: topMovieIdx.count, components: components)
    }

    static func transpose(_ a: [Float], rows: Int, cols: Int) -> [Float] {
        var t = [Float](repeating: 0, count: a.count)
        for r in 0..<rows { for c in 0..<cols { t[c * rows + r] = a[r * cols + c] } }
        return t
    }
}

/// sklearn's `PCA(n_components).fit(X)` for X [samples, features]: centre each feature, SVD,
/// the first right-singular vectors as `components_`, signs as sklearn's `svd_flip` with
/// `u_based_decision=False` (sklearn ≥ 1.5: each component's largest-magnitude entry positive).
public struct PCA: Sendable {
    /// [components][features]: unit vectors, so their entries are about 1/√features in size
    /// whatever the data; `explainedVarianceRatio` says how much they explain.
    public let components: [[Float]]
    public let explainedVariance: [Double]
    public let explainedVarianceRatio: [Double]

    public init(samplesByFeatures x: [Float], rows n: Int, cols p: Int, components k: Int) throws {
        guard n >= 2, p >= 1, k >= 1, k <= min(n, p) else {
            throw InputError("PCA: \(k) components of \(n) samples × \(p) features; expected 1 ≤ components ≤ min(samples, features), samples ≥ 2")
        }
        var centred = x.map(Double.init)
        for c in 0..<p {
            var mean = 0.0
            for r in 0..<n { mean += centred[r * p + c] }
            mean /= Double(n)
            for r in 0..<n { centred[r * p + c] -= mean }
        }
        guard let (_, s, vt) = LAPACK.svd(centred, rows: n, cols: p) else {
            throw InputError("PCA: LAPACK's SVD did not converge (non-finite embeddings?)")
        }
        var comps: [[Float]] = []
        for j in 0..<k {
            var row = Array(vt[(j * p)..<((j + 1) * p)])
            let biggest = row.indices.max { abs(row[$0]) < abs(row[$1]) }!
            if row[biggest] < 0 { row = row.map { -$0 } }
            comps.append(row.map(Float.init))
        }
        components = comps
        let variances = s.map { $0 * $0 / Double(n - 1) }
        let total = variances.reduce(0, +)
        explainedVariance = Array(variances.prefix(k))
        explainedVarianceRatio = explainedVariance.map { total > 0 ? $0 / total : 0 }
    }
}

/// Correlations for comparing learned values with planted ones.
public enum Correlation {
    public static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count && a.count > 1)
        let n = Double(a.count)
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in zip(a, b) { sab += (x - ma) * (y - mb); saa += (x - ma) * (x - ma); sbb += (y - mb) * (y - mb) }
        return saa > 0 && sbb > 0 ? sab / (saa * sbb).squareRoot() : 0
    }

    /// Average ranks (ties share their mean rank), as scipy's `rankdata`.
    public static func ranks(_ a: [Double]) -> [Double] {
        let order = a.indices.sorted { a[$0] < a[$1] }
        var r = [Double](repeating: 0, count: a.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && a[order[j + 1]] == a[order[i]] { j += 1 }
            for t in i...j { r[order[t]] = Double(i + j) / 2 + 1 }
            i = j + 1
        }
        return r
    }

    /// Spearman's rank correlation.
    public static func spearman(_ a: [Double], _ b: [Double]) -> Double { pearson(ranks(a), ranks(b)) }
}

/// What the notes' bias lists and PCA say about a model, in numbers: the check that the
/// notes' "worst" and "best" movies are an untrained model's noise.
public struct CollabSummary: Sendable {
    public let lowest15: [Float], highest15: [Float]
    public let biasStd: Double
    /// Share of the top movies whose |ib| ≤ 0.05, get_emb's initial range.
    public let withinInitRange: Double
    public let explainedVarianceRatio: [Double]
    public let maxComponentEntry: Float

    public init(_ interp: CollabInterpretation) throws {
        let b = interp.sortedBiases.map(\.bias)
        lowest15 = Array(b.prefix(15)); highest15 = Array(b.suffix(15).reversed())
        let mean = b.reduce(0.0) { $0 + Double($1) } / Double(b.count)
        biasStd = (b.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(b.count)).squareRoot()
        withinInitRange = Double(b.filter { abs($0) <= EmbeddingDotBias.initRange }.count) / Double(b.count)
        let pca = try interp.pca()
        explainedVarianceRatio = pca.explainedVarianceRatio
        maxComponentEntry = pca.components.flatMap { $0 }.map(abs).max() ?? 0
    }

    /// E[k-th smallest of n draws from U(−r, r)] = −r + 2r·k/(n+1): where an untrained
    /// model's 15 "worst" biases sit.
    public static func uniformOrderStatistic(k: Int, n: Int, range r: Float = EmbeddingDotBias.initRange) -> Float {
        -r + 2 * r * Float(k) / Float(n + 1)
    }
}
