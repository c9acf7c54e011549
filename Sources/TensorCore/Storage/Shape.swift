// Shape arithmetic shared by kernels and ops: broadcasting and the (outer, n, inner) split that
// turns "along axis k" into three nested loops over a contiguous buffer.

public enum ShapeError: Error, CustomStringConvertible {
    case mismatch(String)
    public var description: String {
        switch self { case .mismatch(let s): return s }
    }
}

enum Shapes {
    /// NumPy/PyTorch broadcasting: align trailing dims; each pair must be equal or contain a 1.
    /// NOTE: when the result is one of the inputs' shapes (same shapes, a bias row against a
    /// batch, a scalar against a vector: every broadcast in the lessons), that array is returned
    /// and nothing is allocated: `[Int](repeating:count:)` goes through the standard library's
    /// unspecialised allocation path, ~500 instructions of runtime metadata lookup besides malloc.
    static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
        if let same = broadcastsTo(a, b) { return same ? b : a }
        let r = max(a.count, b.count)
        var out = [Int](repeating: 1, count: r)
        for i in 0..<r {
            let da = i < r - a.count ? 1 : a[i - (r - a.count)]
            let db = i < r - b.count ? 1 : b[i - (r - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return out
    }

    /// true when `small` broadcasts to `large` unchanged (the result is `large`), false when
    /// `large` broadcasts to `small`, nil when neither shape is the result.
    private static func broadcastsTo(_ small: [Int], _ large: [Int]) -> Bool? {
        func fits(_ x: [Int], into y: [Int]) -> Bool {
            guard x.count <= y.count else { return false }
            let shift = y.count - x.count
            for i in x.indices where x[i] != y[i + shift] && x[i] != 1 { return false }
            return true
        }
        if fits(small, into: large) { return true }
        if fits(large, into: small) { return false }
        return nil
    }

    /// Row-major strides of `shape` laid against an output of rank `rank`, with 0 where the
    /// input is broadcast (missing or size-1 dimension against a larger one).
    static func broadcastStrides(_ shape: [Int], to out: [Int]) -> [Int] {
        let r = out.count
        var strides = [Int](repeating: 0, count: r)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            let oi = i + (r - shape.count)
            strides[oi] = (shape[i] == 1 && out[oi] != 1) ? 0 : s
            s *= shape[i]
        }
        return strides
    }

    static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) { strides[i] = s; s *= shape[i] }
        return strides
    }

    /// Split `shape` at `axis`: product of dims before, the axis length, product of dims after.
    static func split(_ shape: [Int], axis: Int) -> (outer: Int, n: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    /// Accept negative axes like PyTorch (`-1` is the last).
    static func normalize(axis: Int, rank: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < max(rank, 1), "axis \(axis) out of range for rank \(rank)")
        return a
    }
}
