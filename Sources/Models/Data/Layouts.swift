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

/// Rows of character indices and their targets, as index arithmetic over the corpus's one array
/// of indices: row r of the 8-character windows is idx[r..<r+8], never copied out. Only a batch
/// becomes Float tensors.
public struct CharDataset: Sendable {
    public let layout: Layout
    /// Characters per row (3 or the sequence length).
    public let width: Int
    /// Targets per row (1, or `width` for sequences).
    public let targetWidth: Int
    public let rows: Int
    let idx: CharIndices

    /// The layout of `idx` exactly as the seed's list comprehensions build it.
    public init(idx: CharIndices, layout: Layout, seqLength: Int = 8) {
        self.layout = layout
        self.idx = idx
        let n = idx.count
        func strideCount(_ end: Int, _ by: Int) -> Int { end <= 0 ? 0 : (end + by - 1) / by }
        switch layout {
        case .char3:
            // c1_dat = [idx[i] for i in range(0, len(idx)-1-cs, cs)], then [:-2] on each.
            width = 3; targetWidth = 1
            rows = Swift.max(strideCount(n - 1 - 3, 3) - 2, 0)
        case .windows:
            // c_in_dat = [[idx[i+j] for i in range(cs)] for j in range(len(idx)-cs-1)]
            width = seqLength; targetWidth = 1
            rows = Swift.max(n - seqLength - 1, 0)
        case .sequences:
            // inputs from range(0, len(idx)-cs-1, cs); targets from range(1, len(idx)-cs, cs)
            width = seqLength; targetWidth = seqLength
            rows = strideCount(n - seqLength - 1, seqLength)
        }
    }

    /// Where row r starts in the corpus.
    @inline(__always) func start(_ r: Int) -> Int {
        switch layout {
        case .char3: return 3 * r
        case .windows: return r
        case .sequences: return r * width
        }
    }

    /// Character j of row r.
    public func x(_ r: Int, _ j: Int) -> Int { idx[start(r) + j] }

    /// Target k of row r: the character after the row, or (sequences) each one shifted by one.
    public func y(_ r: Int, _ k: Int = 0) -> Int {
        layout == .sequences ? idx[start(r) + 1 + k] : idx[start(r) + width]
    }

    /// The rows at `indices` as a batch: x [b, width] and y [b] or [b, width].
    public func batch<C: Collection>(_ indices: C) -> (x: Tensor, y: Tensor) where C.Element == Int {
        let b = indices.count
        var bx = [Float](repeating: 0, count: b * width), by = [Float](repeating: 0, count: b * targetWidth)
        for (k, r) in indices.enumerated() {
            let s = start(r)
            for j in 0..<width { bx[k * width + j] = Float(idx[s + j]) }
            if targetWidth == 1 { by[k] = Float(idx[s + width]) }
            else { for j in 0..<width { by[k * width + j] = Float(idx[s + 1 + j]) } }
        }
        return (Tensor(shape: [b, width], data: bx, label: "x"),
                Tensor(shape: targetWidth == 1 ? [b] : [b, targetWidth], data: by, label: "y"))
    }

    /// Bytes a batch of `rows` takes as tensors (x and y, Float), for memory estimates.
    public func batchBytes(_ rows: Int) -> Int { rows * (width + targetWidth) * MemoryLayout<Float>.size }
}

/// Row numbers: a plain range (Char3's training rows are 0..<rows-1), a list of four bytes each,
/// or every row not marked in a bitmap (training rows are all rows but the validation ones:
/// one bit each instead of four bytes).
public struct RowList: RandomAccessCollection, Sendable, Equatable, ExpressibleByArrayLiteral {
    enum Storage: Sendable, Equatable {
        case range(Range<Int>)
        case list([UInt32])
        case unmarked(UnmarkedRows)
        case permuted(PermutedRows)
    }
    let storage: Storage

    public init(_ range: Range<Int>) { storage = .range(range) }
    public init(_ rows: [UInt32]) { storage = .list(rows) }
    init(_ unmarked: UnmarkedRows) { storage = .unmarked(unmarked) }
    init(_ permuted: PermutedRows) { storage = .permuted(permuted) }
    public init<S: Sequence>(rows: S) where S.Element == Int { storage = .list(rows.map { UInt32($0) }) }
    public init(arrayLiteral elements: Int...) { self.init(rows: elements) }

    public var startIndex: Int { 0 }
    public var endIndex: Int {
        switch storage {
        case .range(let r): return r.count
        case .list(let a): return a.count
        case .unmarked(let u): return u.count
        case .permuted(let p): return p.count
        }
    }

    /// Equal when they list the same rows, however they are stored.
    public static func == (a: RowList, b: RowList) -> Bool { a.elementsEqual(b) }

    @inline(__always)
    public subscript(i: Int) -> Int {
        switch storage {
        case .range(let r): return r.lowerBound + i
        case .list(let a): return Int(a[i])
        case .unmarked(let u): return u.select(i)
        case .permuted(let p): return p[i]
        }
    }
}

/// The rows below `rows` whose bit is clear in `marked`, numbered in order: row i is found by
/// binary search over the count of clear bits before each 64-bit word (rank and select).
struct UnmarkedRows: Sendable, Equatable {
    let words: [UInt64]
    let before: [UInt32]
    let count: Int

    init(marked: [UInt64], rows: Int) {
        var words = Array(marked.prefix((rows + 63) / 64))
        words += [UInt64](repeating: 0, count: (rows + 63) / 64 - words.count)
        // Bits past the last row count as marked, so they are never listed.
        if rows % 64 != 0 { words[words.count - 1] |= ~0 << UInt64(rows % 64) }
        var before = [UInt32](repeating: 0, count: words.count)
        var total = 0
        for (w, word) in words.enumerated() {
            before[w] = UInt32(total)
            total += 64 - word.nonzeroBitCount
        }
        self.words = words; self.before = before; count = total
    }

    @inline(__always)
    func select(_ i: Int) -> Int {
        // The last word with at most i clear bits before it holds the i-th clear bit.
        var lo = 0, hi = before.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if Int(before[mid]) <= i { lo = mid } else { hi = mid - 1 }
        }
        var clear = ~words[lo]
        for _ in 0..<(i - Int(before[lo])) { clear &= clear - 1 }
        return lo * 64 + clear.trailingZeroBitCount
    }
}

/// Rows listed by a keyed permutation, without storing them: row i is the value at position
/// `first + i` of the permutation, and after those come the rows of `after`.
struct PermutedRows: Sendable, Equatable {
    let permutation: KeyedPermutation
    let first: Int
    let listed: Int
    let after: Range<Int>
    var count: Int { listed + after.count }

    @inline(__always)
    subscript(i: Int) -> Int {
        i < listed ? permutation[first + i] : after.lowerBound + (i - listed)
    }
}

/// Which rows validate and which train.
public struct Split: Sendable {
    public let train: RowList
    public let valid: RowList
    /// How the validation rows were chosen, for a run to report when it is not the seed's way.
    public var method: Method = .given

    public enum Method: Sendable, Equatable {
        /// Given by the caller (last row, an explicit list).
        case given
        /// numpy's `RandomState(42).permutation(n)[:0.2n]`, exactly as the seed.
        case numpyExact
        /// 20% of the rows by a keyed permutation (key 42): above `KeyedPermutation.storedLimit`
        /// rows, where numpy's permutation would need four bytes a row.
        case keyed
    }

    /// fastai's `get_cv_idxs(n, val_pct=0.2)`: numpy's `RandomState(42).permutation(n)`, first
    /// 20% for validation: the same rows on every run, whatever `--seed` chooses for weights and
    /// batch order. `n` is what the seed passes, which for the sequence layout is not the row
    /// count (the seed calls `get_cv_idxs(len(xs)-cs-1)`), reproduced here on purpose.
    ///
    /// Above `storedLimit` rows numpy's shuffle would take 4 bytes a row while it is computed
    /// (808 MB for a 200 MB corpus, more than the whole run's budget): the rows are then those a
    /// keyed permutation of 0..<n (key 42) puts first, the same on every run, and
    /// `method` says so.
    public static func cv(rows: Int, n: Int, valPct: Double = 0.2, storedLimit: Int = KeyedPermutation.storedLimit) -> Split {
        if n > storedLimit { return keyed(rows: rows, n: n, valPct: valPct) }
        let valid = CVIndices.getCVIdxs32(n: n, valPct: valPct)
        // One bit per row marks validation rows; the training rows are the others.
        var isValid = [UInt64](repeating: 0, count: (Swift.max(rows, n) + 63) / 64)
        for v in valid { isValid[Int(v) >> 6] |= 1 << (UInt64(v) & 63) }
        var split = Split(train: RowList(UnmarkedRows(marked: isValid, rows: rows)), valid: RowList(valid))
        split.method = .numpyExact
        return split
    }

    /// `permutation(n)[:valPct·n]` with a keyed permutation in place of numpy's: validation rows
    /// are the values at its first positions, training rows those at the others and every row
    /// from n on. Nothing is stored.
    static func keyed(rows: Int, n: Int, valPct: Double) -> Split {
        let permutation = KeyedPermutation(count: n, key: 42)
        let nVal = Int(valPct * Double(n))
        let after = n..<Swift.max(n, rows)
        var split = Split(train: RowList(PermutedRows(permutation: permutation, first: nVal, listed: n - nVal, after: after)),
                          valid: RowList(PermutedRows(permutation: permutation, first: 0, listed: nVal, after: 0..<0)))
        split.method = .keyed
        return split
    }

    /// What a run prints after its row counts when the rows or the batch order are not the
    /// seed's own draws (above `KeyedPermutation.storedLimit` rows); empty otherwise.
    public var note: String {
        var parts: [String] = []
        if method == .keyed {
            parts.append("validation rows: a keyed 20% of rows, not numpy's get_cv_idxs, which is reproduced up to \(KeyedPermutation.storedLimit) rows")
        }
        if train.count > KeyedPermutation.storedLimit { parts.append("batch order: a keyed permutation per epoch") }
        return parts.isEmpty ? "" : "; " + parts.joined(separator: "; ")
    }

    /// Char3's split in the seed: `from_arrays('.', [-1], …)` validates on the last row alone —
    /// so its val_loss is the loss of a single character and says little about the model.
    public static func lastRow(rows: Int) -> Split {
        Split(train: RowList(0..<(rows - 1)), valid: RowList(rows - 1..<rows))
    }

    public init(train: RowList, valid: RowList) { self.train = train; self.valid = valid }
    public init(train: [Int], valid: [Int]) { self.init(train: RowList(rows: train), valid: RowList(rows: valid)) }
}
