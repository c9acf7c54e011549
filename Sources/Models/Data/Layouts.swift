import TensorCore

/// The seed's three ways to cut a corpus into training rows.
public enum Layout: String, CaseIterable, Sendable {
    /// Char3: every 3rd position, three characters in and the fourth out (`cs=3`).
    case char3 = "every-3rd"
    /// CharLoop / Concat / CharRnn: every position, 8 characters in and the 9th out.
    case windows = "overlapping-windows"
    /// CharSeqRnn: non-overlapping 8-character sequences, targets shifted by one character.
    case sequences = "non-overlapping-sequences"
}

/// Rows of character indices and their targets, as flat Float buffers ready to become tensors.
public struct CharDataset: Sendable {
    public let layout: Layout
    /// Characters per row (3 or the sequence length).
    public let width: Int
    /// Targets per row (1, or `width` for sequences).
    public let targetWidth: Int
    public let x: [Float]
    public let y: [Float]
    public var rows: Int { x.count / width }

    /// Build the layout from corpus indices exactly as the seed's list comprehensions do.
    public init(idx: [Int], layout: Layout, seqLength: Int = 8) {
        self.layout = layout
        var x: [Float] = [], y: [Float] = []
        let n = idx.count
        switch layout {
        case .char3:
            let cs = 3
            width = cs; targetWidth = 1
            // c1_dat = [idx[i] for i in range(0, len(idx)-1-cs, cs)], then [:-2] on each.
            let starts = Array(stride(from: 0, to: max(n - 1 - cs, 0), by: cs)).dropLast(2)
            for i in starts {
                x += [Float(idx[i]), Float(idx[i + 1]), Float(idx[i + 2])]
                y.append(Float(idx[i + 3]))
            }
        case .windows:
            let cs = seqLength
            width = cs; targetWidth = 1
            // c_in_dat = [[idx[i+j] for i in range(cs)] for j in range(len(idx)-cs-1)]
            for j in 0..<max(n - cs - 1, 0) {
                for i in 0..<cs { x.append(Float(idx[j + i])) }
                y.append(Float(idx[j + cs]))
            }
        case .sequences:
            let cs = seqLength
            width = cs; targetWidth = cs
            // inputs from range(0, len(idx)-cs-1, cs); targets from range(1, len(idx)-cs, cs)
            for j in stride(from: 0, to: max(n - cs - 1, 0), by: cs) {
                for i in 0..<cs { x.append(Float(idx[j + i])); y.append(Float(idx[j + 1 + i])) }
            }
        }
        self.x = x
        self.y = y
    }

    /// The rows at `indices` as a batch: x [b, width] and y [b] or [b, width].
    public func batch(_ indices: ArraySlice<Int>) -> (x: Tensor, y: Tensor) {
        var bx = [Float](), by = [Float]()
        bx.reserveCapacity(indices.count * width)
        by.reserveCapacity(indices.count * targetWidth)
        for r in indices {
            bx.append(contentsOf: x[(r * width)..<((r + 1) * width)])
            by.append(contentsOf: y[(r * targetWidth)..<((r + 1) * targetWidth)])
        }
        let b = indices.count
        return (Tensor(shape: [b, width], data: bx, label: "x"),
                Tensor(shape: targetWidth == 1 ? [b] : [b, targetWidth], data: by, label: "y"))
    }
}

/// Which rows validate and which train.
public struct Split: Sendable {
    public let train: [Int]
    public let valid: [Int]

    /// fastai's `get_cv_idxs(n, val_pct=0.2)`: numpy's `RandomState(42).permutation(n)`, first
    /// 20% for validation: the same rows on every run, whatever `--seed` chooses for weights and
    /// batch order. `n` is what the seed passes, which for the sequence layout is not the row
    /// count (the seed calls `get_cv_idxs(len(xs)-cs-1)`), reproduced here on purpose.
    public static func cv(rows: Int, n: Int, valPct: Double = 0.2) -> Split {
        let valid = CVIndices.getCVIdxs(n: n, valPct: valPct)
        var isValid = [Bool](repeating: false, count: rows)
        for i in valid { isValid[i] = true }
        return Split(train: (0..<rows).filter { !isValid[$0] }, valid: valid)
    }

    /// Char3's split in the seed: `from_arrays('.', [-1], …)` validates on the last row alone —
    /// so its val_loss is the loss of a single character and says little about the model.
    public static func lastRow(rows: Int) -> Split {
        Split(train: Array(0..<(rows - 1)), valid: [rows - 1])
    }

    public init(train: [Int], valid: [Int]) { self.train = train; self.valid = valid }
}
