import TensorCore

/// A shuffle of 0..<count that is computed, not stored: position i maps to `self[i]` by a keyed
/// Feistel network over the smallest even power of two ≥ count, and values that land outside
/// 0..<count are fed through again until they land inside ("cycle-walking"), which keeps it a
/// bijection of 0..<count. Any position and its inverse cost a few multiplications and no
/// memory, where a stored shuffle of a 200 MB corpus's rows takes 4 bytes a row. The same key
/// gives the same shuffle on every run.
public struct KeyedPermutation: Sendable, Equatable {
    public let count: Int
    public let key: UInt64
    /// Bits of each half of the network's block (the block covers 0..<2^(2·halfBits)).
    let halfBits: Int
    static let rounds = 4

    /// Above this many rows a shuffle is a keyed permutation instead of a stored array
    /// (32 Mi rows: 128 MB as four-byte indices). Below it, batch order and the seed's
    /// validation rows are the exact draws every recorded figure was measured with.
    public static let storedLimit = 1 << 25

    public init(count: Int, key: UInt64) {
        precondition(count >= 0 && count <= 1 << 62, "KeyedPermutation: count \(count) out of range")
        self.count = count
        self.key = key
        var bits = 2
        while (1 << bits) < count { bits += 2 }
        halfBits = bits / 2
    }

    /// The value at position i (0 ≤ i < count).
    @inline(__always)
    public subscript(i: Int) -> Int {
        var v = UInt64(i)
        repeat { v = encrypt(v) } while v >= UInt64(count)
        return Int(v)
    }

    /// The position holding value v: `self[inverse(v)] == v`.
    public func inverse(_ v: Int) -> Int {
        var p = UInt64(v)
        repeat { p = decrypt(p) } while p >= UInt64(count)
        return Int(p)
    }

    @inline(__always) var mask: UInt64 { (1 << UInt64(halfBits)) - 1 }

    /// One round's function of the right half: SplitMix64's finaliser of (half, key, round).
    @inline(__always) func mix(_ half: UInt64, _ round: Int) -> UInt64 {
        var z = half &+ key &+ UInt64(round + 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return (z ^ (z >> 31)) & mask
    }

    @inline(__always) func encrypt(_ v: UInt64) -> UInt64 {
        var left = v >> UInt64(halfBits), right = v & mask
        for round in 0..<KeyedPermutation.rounds {
            (left, right) = (right, left ^ mix(right, round))
        }
        return (left << UInt64(halfBits)) | right
    }

    @inline(__always) func decrypt(_ v: UInt64) -> UInt64 {
        var left = v >> UInt64(halfBits), right = v & mask
        for round in stride(from: KeyedPermutation.rounds - 1, through: 0, by: -1) {
            (left, right) = (right ^ mix(left, round), left)
        }
        return (left << UInt64(halfBits)) | right
    }
}

/// An epoch's batch order over the training rows: below `KeyedPermutation.storedLimit` rows the
/// trainer's own Fisher–Yates shuffle (`permutation32`, the draws every recorded run used),
/// above it a keyed permutation whose key is one draw of the same generator. Both depend only
/// on the generator's state at the epoch's start, which a checkpoint saves, so a resumed run
/// continues bit for bit either way.
public struct BatchOrder: Sendable {
    enum Storage: Sendable {
        case stored([UInt32])
        case keyed(KeyedPermutation)
    }
    let storage: Storage
    public let count: Int

    public init(count: Int, rng: SeededGenerator, storedLimit: Int = KeyedPermutation.storedLimit) {
        self.count = count
        storage = count <= storedLimit ? .stored(rng.permutation32(count)) : .keyed(KeyedPermutation(count: count, key: rng.next()))
    }

    /// Whether the order is a stored array (false: computed by a keyed permutation).
    public var isStored: Bool { if case .stored = storage { return true } else { return false } }

    /// The training-row position at place i of the epoch.
    @inline(__always)
    public subscript(i: Int) -> Int {
        switch storage {
        case .stored(let a): return Int(a[i])
        case .keyed(let p): return p[i]
        }
    }
}
