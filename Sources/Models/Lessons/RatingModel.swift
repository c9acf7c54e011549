import Foundation
import TensorCore

/// A model that predicts ratings from a batch of (user, movie) index pairs: the collab lesson's
/// EmbeddingDotBias and the two neural networks of lesson 6, trained by the same `CollabTrainer`.
public protocol RatingModel: Module {
    var kind: String { get }
    /// Dropout and batch norm behave differently in training and evaluation.
    var training: Bool { get set }
    func forward(users: Tensor, items: Tensor) -> Tensor
}

extension RatingModel {
    /// `F.mse_loss(pred, y)`.
    public func loss(_ pred: Tensor, _ y: Tensor) -> Tensor { pred.mse(y).named("loss") }
}

/// The dropout masks a forward pass uses, by layer name (`drop1`, `drops.0`, …). Golden runs
/// give PyTorch's masks so both sides zero the same units; nil draws them from the layer's generator.
public typealias DropoutMasks = [String: Tensor]

/// The continuous columns the tabular lesson derives for each movie from the ratings data: its
/// year, read from the title ("Toy Story (1995)"), and log(1 + its number of ratings).
public struct MovieFeatures: Sendable {
    public static let names = ["year", "log_ratings"]
    /// [nItems × 2], row per movie index.
    public let values: [Float]
    public let nItems: Int

    public init(_ data: CollabFilterDataset, titles: [Int: String]) {
        var counts = [Int](repeating: 0, count: data.nItems)
        for i in data.itemCol { counts[i] += 1 }
        let years: [Float?] = data.items.map { id in titles[id].flatMap(MovieFeatures.year) }
        let known = years.compactMap { $0 }
        // A title without a year gets the mean year, as a median fill would in pandas.
        let fill = known.isEmpty ? 2000 : known.reduce(0, +) / Float(known.count)
        var v = [Float]()
        v.reserveCapacity(2 * data.nItems)
        for i in 0..<data.nItems { v.append(years[i] ?? fill); v.append(Float(log1p(Double(counts[i])))) }
        values = v
        nItems = data.nItems
    }

    /// The four digits in the title's last parentheses, "(1994)".
    public static func year(_ title: String) -> Float? {
        let t = title.trimmingCharacters(in: .whitespaces)
        guard t.hasSuffix(")"), let open = t.lastIndex(of: "(") else { return nil }
        let inside = t[t.index(after: open)..<t.index(before: t.endIndex)]
        guard inside.count == 4, let y = Int(inside) else { return nil }
        return Float(y)
    }

    /// The continuous columns for a batch of movie indices, [batch, 2], labelled `conts`.
    public func batch(_ items: Tensor) -> Tensor {
        var out = [Float]()
        out.reserveCapacity(items.count * 2)
        for i in items.data { let r = Int(i) * 2; out.append(values[r]); out.append(values[r + 1]) }
        return Tensor(shape: [items.count, 2], data: out, label: "conts")
    }
}
