// The seeded generator a session draws from (`Runtime.rng`), so `--seed N` fixes every draw: weight
// initialisation, fake data, validation split and batch order.
//
// xoshiro256** (Blackman & Vigna) seeded through SplitMix64: fast, well tested, and small enough
// to read. It does not reproduce PyTorch's Mersenne-Twister stream; where a test needs PyTorch's
// exact numbers the weights come from a fixture instead.

public final class SeededGenerator: RandomNumberGenerator {
    private var s: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    /// A spare normal deviate: Box–Muller makes two at a time.
    private var spareNormal: Float?

    /// The calling thread's runtime's generator: what everything draws from unless told otherwise.
    public static var shared: SeededGenerator { Runtime.current.rng }

    public init(seed: UInt64) { reseed(seed) }

    /// The whole state: four words of xoshiro256** and the spare normal deviate, if one is
    /// waiting. Saving and restoring it continues the stream exactly (checkpoints).
    public struct State: Equatable, Sendable, Codable {
        public var words: [UInt64]
        public var spareNormal: Float?
        public init(words: [UInt64], spareNormal: Float?) { self.words = words; self.spareNormal = spareNormal }
    }

    public var state: State {
        get { State(words: [s.0, s.1, s.2, s.3], spareNormal: spareNormal) }
        set {
            // An all-zero state would make xoshiro emit zeros for ever; callers validate, this guards.
            guard newValue.words.count == 4, newValue.words.contains(where: { $0 != 0 }) else { return }
            s = (newValue.words[0], newValue.words[1], newValue.words[2], newValue.words[3])
            spareNormal = newValue.spareNormal
        }
    }

    public func reseed(_ seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
        spareNormal = nil
    }

    public func next() -> UInt64 {
        let result = rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = rotl(s.3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }

    /// Uniform in [0, 1) with 24 bits, the resolution of a Float mantissa.
    @inline(__always) public func unit() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    public func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * unit() }

    /// Standard normal deviate (Box–Muller, in Double so the tails are not clipped by Float).
    public func normal() -> Float {
        if let spare = spareNormal { spareNormal = nil; return spare }
        var u1 = 0.0
        repeat { u1 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) } while u1 == 0
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let r = (-2.0 * _log(u1)).squareRoot()
        spareNormal = Float(r * _sin(2 * Double.pi * u2))
        return Float(r * _cos(2 * Double.pi * u2))
    }

    /// Uniform integer in 0..<n.
    public func index(below n: Int) -> Int {
        // Lemire's multiply-shift: the high word of a 64×64 product is uniform enough for n ≪ 2⁶⁴.
        Int(UInt64(n).multipliedFullWidth(by: next()).high)
    }

    /// A random permutation of 0..<n (Fisher–Yates).
    public func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) {
                let j = index(below: i + 1)
                p.swapAt(i, j)
            }
        }
        return p
    }

    /// `permutation(n)` with the same draws, in four bytes per entry: half the memory of
    /// `[Int]` for the tens of millions of rows of a large corpus. n must be below 2³².
    public func permutation32(_ n: Int) -> [UInt32] {
        precondition(n <= Int(UInt32.max), "permutation32: \(n) entries do not fit 32-bit indices")
        var p = [UInt32](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0..<n { buffer[i] = UInt32(truncatingIfNeeded: i) }
            count = n
        }
        if n > 1 {
            p.withUnsafeMutableBufferPointer { q in
                for i in stride(from: n - 1, to: 0, by: -1) {
                    let j = index(below: i + 1)
                    q.swapAt(i, j)
                }
            }
        }
        return p
    }
}

// libm through Glibc: TensorCore imports no Foundation (safetensors files live in Formats).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@inline(__always) func _log(_ x: Double) -> Double { log(x) }
@inline(__always) func _sin(_ x: Double) -> Double { sin(x) }
@inline(__always) func _cos(_ x: Double) -> Double { cos(x) }
