/// numpy's legacy `RandomState`: the Mersenne Twister (MT19937) seeded as `RandomState(seed)` seeds
/// it, so that the seed's `get_cv_idxs` rows can be reproduced without Python.
public struct NumpyRandomState {
    private var mt = [UInt32](repeating: 0, count: 624)
    private var index = 624

    /// `np.random.RandomState(seed)` for an integer seed: MT19937's `init_genrand(seed)`.
    public init(seed: UInt32) {
        mt[0] = seed
        for i in 1..<624 {
            mt[i] = 1_812_433_253 &* (mt[i - 1] ^ (mt[i - 1] >> 30)) &+ UInt32(i)
        }
    }

    /// MT19937's `genrand_int32`.
    public mutating func nextUInt32() -> UInt32 {
        if index >= 624 { twist() }
        var y = mt[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    private mutating func twist() {
        for i in 0..<624 {
            let y = (mt[i] & 0x8000_0000) | (mt[(i + 1) % 624] & 0x7FFF_FFFF)
            mt[i] = mt[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : 0x9908_B0DF)
        }
        index = 0
    }

    /// numpy's `random_interval(max)`: a uniform integer in 0...max by rejection of masked draws.
    /// 32-bit draws suffice below 2³² (numpy switches to 64-bit draws above that).
    public mutating func interval(_ max: Int) -> Int {
        precondition(max >= 0 && max <= Int(UInt32.max), "interval: max out of 32-bit range")
        if max == 0 { return 0 }
        var mask = UInt32(max)
        mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4; mask |= mask >> 8; mask |= mask >> 16
        while true {
            let value = nextUInt32() & mask
            if value <= UInt32(max) { return Int(value) }
        }
    }

    /// `permutation(n)` with the same draws, four bytes per entry (n < 2³²).
    public mutating func permutation32(_ n: Int) -> [UInt32] {
        var p = (0..<n).map { UInt32(truncatingIfNeeded: $0) }
        if n > 1 {
            for i in stride(from: n - 1, through: 1, by: -1) {
                p.swapAt(i, interval(i))
            }
        }
        return p
    }

    /// `RandomState.permutation(n)`: `arange(n)` shuffled by numpy's legacy Fisher–Yates, which
    /// walks from the last position down and swaps each with `random_interval(i)`.
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 {
            for i in stride(from: n - 1, through: 1, by: -1) {
                p.swapAt(i, interval(i))
            }
        }
        return p
    }
}

/// fastai 0.7's `get_cv_idxs`: the validation rows every run of the seed uses.
public enum CVIndices {
    /// `np.random.RandomState(seed).permutation(n)[:int(val_pct*n)]`.
    public static func getCVIdxs(n: Int, valPct: Double = 0.2, seed: UInt32 = 42) -> [Int] {
        getCVIdxs32(n: n, valPct: valPct, seed: seed).map(Int.init)
    }

    /// `getCVIdxs` in four bytes per row: the permutation of a large corpus's rows is the
    /// largest allocation of loading it.
    public static func getCVIdxs32(n: Int, valPct: Double = 0.2, seed: UInt32 = 42) -> [UInt32] {
        var state = NumpyRandomState(seed: seed)
        let nVal = Int(valPct * Double(n))
        // A copy of the prefix, so the whole permutation's storage is freed on return.
        return Array(state.permutation32(n)[..<nVal])
    }
}
