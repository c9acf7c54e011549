// Float → JSON text for `full` traces, fast enough that a traced step is not dominated by
// printing. A full CharSeqRnn step is ~45 million values; Swift's shortest round-trip
// `description` (a String per value, then copied) cost ~60 ns each, 3 of the 4.3 s the step's
// trace took. This writes nine significant digits straight into the byte buffer, with trailing
// zeros dropped (0.5 stays "0.5").
//
// NOTE (round trip): nine significant digits always identify a Float (FLT_DECIMAL_DIG = 9).
// The digits come from one Double multiply by a power of ten (relative error ≤ 2^-52) and one
// rounding, so the printed decimal is within 0.5e-8 + 1e-15 of the value relative to it, while
// the nearest other Float is at least 2^-24 ≈ 6e-8 away: reading the text back (directly, or via
// Double as JSONDecoder does) gives the same Float. TraceTests checks this over every exponent.
//
// Speed: the work per value is one long dependency chain (exponent → power of ten → multiply →
// rounding → digits → layout → store), so what counts is its length and the instruction count,
// not loops or calls. Over the 17.6 M values written for a full CharSeqRnn step, one thread
// into a reused buffer: ~36 ns a value with byte-at-a-time digits and layout, ~15 ns as below
// (medians of six runs on a noisy 2-core VM; fastest runs 32 and 12 ns):
// - the decimal exponent's "one too low" correction is a table lookup by binary exponent
//   (threshold below), not a second multiply and a data-dependent branch;
// - the nine digits are one multiply into 57-bit fixed point, then a pair per multiply by 100,
//   split into ASCII in one 64-bit word (SWAR), not divisions or a table of pairs;
// - trailing zeros are counted with one leading-zero count on that word, not a byte loop;
// - the text is placed with a few whole-word stores and shifts, not copied byte by byte.
// The output is byte-identical to the byte-at-a-time version for every finite non-zero Float
// (all 2^32 bit patterns compared when this was written).

enum FloatText {
    /// Most bytes one value can take ("-0.0000123456789" is 16). `write` may store this many bytes
    /// at `out` whatever the length of the text (whole 8-byte words; the caller's next bytes
    /// overwrite the rest), so `out` must have room for them.
    static let maximumWidth = 16

    /// For each binary exponent k of a Float (2^k ≤ |v| < 2^(k+1)), at index k + 149: the
    /// decimal exponent e = ⌊k log10 2⌋, which is the value's or one too low, and the smallest
    /// magnitude (as bits) in that binade for which it is one too low, i.e. for which the nine
    /// digits at 10^(8-e) would round to ten (≥ 999,999,999.5); the next binade's first if none.
    /// The multiply is monotonic in |v|, so one threshold per binade decides it exactly as
    /// multiplying and comparing did.
    struct Binade: Sendable { var threshold: UInt32; var exponent: Int32 }

    /// The tables `write` reads, built once and never changed (so any thread may read them).
    struct Tables: Sendable {
        /// 10^k for k in -64...64 at index k + 64: exact for 0 ≤ k ≤ 22; otherwise within a few
        /// ulp (repeated products, and a reciprocal for k < 0), far below the 1e-8 that nine
        /// digits resolve.
        let powers: [Double]
        /// Binary exponents -149...127 (see `Binade`).
        let binades: [Binade]
        /// "e-45" … "e38" for decimal exponents -45...38 at index e + 45, first byte lowest and
        /// zero bytes above the text, so its length is 4 less its leading zero bytes.
        let exponents: [UInt32]

        static let shared = Tables()

        private init() {
            var powers = [Double](repeating: 0, count: 129)
            for k in -64...64 {
                var p = 1.0
                for _ in 0..<abs(k) { p *= 10 }
                powers[k + 64] = k < 0 ? 1 / p : p
            }
            var binades = [Binade](repeating: Binade(threshold: 0, exponent: 0), count: 277)
            for k in -149...127 {
                // ⌊k log10 2⌋ for |k| ≤ 149 (78913 / 2^18 ≈ 0.3010300)
                let e = (k * 78913) >> 18
                var low = Float(sign: .plus, exponent: k, significand: 1).bitPattern
                var high = k == 127 ? Float.infinity.bitPattern : Float(sign: .plus, exponent: k + 1, significand: 1).bitPattern
                while low < high {
                    let mid = low + (high - low) / 2
                    if Double(Float(bitPattern: mid)) * powers[64 + 8 - e] >= 999_999_999.5 { high = mid } else { low = mid + 1 }
                }
                binades[k + 149] = Binade(threshold: low, exponent: Int32(e))
            }
            var exponents = [UInt32](repeating: 0, count: 84)
            for e in -45...38 {
                var text: UInt32 = 0
                for (i, c) in "e\(e)".utf8.enumerated() { text |= UInt32(c) << (8 * i) }
                exponents[e + 45] = text
            }
            self.powers = powers
            self.binades = binades
            self.exponents = exponents
        }

        /// `body` with the tables as plain pointers, as `write` reads them. Call it outside a
        /// loop: a `static let` read in the loop is a `swift_once` call per value (the profile
        /// showed one per table; not hoisted).
        func withPointers<R>(_ body: (Pointers) throws -> R) rethrows -> R {
            try powers.withUnsafeBufferPointer { p in
                try binades.withUnsafeBufferPointer { b in
                    try exponents.withUnsafeBufferPointer { e in
                        try body(Pointers(powers: p.baseAddress!, binades: b.baseAddress!, exponents: e.baseAddress!))
                    }
                }
            }
        }

        /// The tables' storage, valid inside `withPointers` only.
        struct Pointers {
            let powers: UnsafePointer<Double>
            let binades: UnsafePointer<Binade>
            let exponents: UnsafePointer<UInt32>
        }
    }

    /// "0." and six zeros, the start of every 0.000ddd (first byte lowest, as stored).
    static let fractionStart: UInt64 = 0x3030_3030_3030_2e30
    /// An ASCII "0" in every byte: OR-ed onto digits 0...9 it makes them ASCII; above the nine
    /// digits it is the "0" after the point of "123456789.0".
    static let zeros: UInt64 = 0x3030_3030_3030_3030

    /// Write a finite, non-zero Float at `out`; returns the bytes written (see `maximumWidth`).
    static func write(_ v: Float, to out: UnsafeMutablePointer<UInt8>) -> Int {
        Tables.shared.withPointers { write(v, to: out, tables: $0) }
    }

    /// `write(_:to:)` with the tables passed in, for a loop over many values.
    @inline(__always)
    static func write(_ v: Float, to out: UnsafeMutablePointer<UInt8>, tables: Tables.Pointers) -> Int {
        let bits = v.bitPattern
        let biased = Int((bits >> 23) & 0xff)
        // Binary exponent from the exponent field, or from the leading zeros of a subnormal.
        let exponent2 = biased == 0 ? -118 - (bits & 0x7f_ffff).leadingZeroBitCount : biased - 127
        let binade = tables.binades[exponent2 + 149]
        let e = Int(binade.exponent) + (bits & 0x7fff_ffff >= binade.threshold ? 1 : 0)
        let m = Double(v.magnitude) * tables.powers[64 + 8 - e]
        // m.rounded() (half away from zero) as the compiler expands it, m + 0.49999999999999994
        // truncated, but with the conversion doing the truncation: one rounding instruction
        // fewer on the chain. m < 999,999,999.5 (the threshold), so d has nine digits.
        let d = UInt64(Int(m + 0.49999999999999994))

        // Digits: d × ⌈2^57 / 10^8⌉ puts the first digit above bit 57 and the other eight as a
        // fraction below it, exact for every d < 10^9 (each was checked: the excess, < 0.25 d,
        // stays under a fifth of a unit through the four multiplies by 100). Each multiply by
        // 100 lifts the next pair; the pairs go into four 16-bit lanes and are split into tens
        // and units there, all four at once.
        let mask: UInt64 = 1 << 57 - 1
        var y = d &* 1_441_151_881
        let first = y >> 57
        var pairs: UInt64 = 0
        for lane in 0..<4 {
            y = (y & mask) &* 100
            pairs |= (y >> 57) << (16 * lane)
        }
        let tens = ((pairs &* 103) >> 10) & 0x000f_000f_000f_000f
        // Digits 2 to 9, one per byte, the most significant in the lowest byte (first in memory).
        let rest = tens | (pairs &- 10 &* tens) << 8
        // Significant digits: nine less the trailing zeros (zero bytes at the top of `rest`).
        let count = 9 - rest.leadingZeroBitCount / 8

        // A "-" that the text overwrites if the value is positive.
        out[0] = UInt8(ascii: "-")
        let negative = Int(bits >> 31)
        let o = UnsafeMutableRawPointer(out + negative)
        if e < 0 && e >= -5 {
            // 0.000ddd (two thirds of a full trace's values): "0.000000", then the digits from
            // their place onwards.
            let start = 1 - e
            o.storeBytes(of: fractionStart.littleEndian, as: UInt64.self)
            o.storeBytes(of: UInt8(truncatingIfNeeded: first) | 0x30, toByteOffset: start, as: UInt8.self)
            o.storeBytes(of: (rest | zeros).littleEndian, toByteOffset: start + 1, as: UInt64.self)
            return negative + start + count
        }
        if e < 0 || e >= 9 {
            // d.ddde±x (a quarter of a full trace's values): the first digit and the point, the
            // other eight digits, then the exponent over the trailing zeros.
            let length = 1 + max(count, 2)
            let exponent = tables.exponents[e + 45]
            o.storeBytes(of: (UInt16(truncatingIfNeeded: first) | 0x2e30).littleEndian, as: UInt16.self)
            o.storeBytes(of: (rest | zeros).littleEndian, toByteOffset: 2, as: UInt64.self)
            o.storeBytes(of: exponent.littleEndian, toByteOffset: length, as: UInt32.self)
            return negative + length + 4 - exponent.leadingZeroBitCount / 8
        }
        // ddd.ddd, at least one digit after the point (as `description` writes 3.0), assembled
        // in a 128-bit integer (first byte lowest), at most 11 bytes, stored as two overlapping
        // words so as not to pass `maximumWidth`.
        let digits = UInt128(first | 0x30) | UInt128(rest | zeros) << 8 | UInt128(zeros) << 72
        let point = 8 * (e + 1)
        let below = (UInt128(1) << point) &- 1
        let text = (digits & below) | (digits & ~below) << 8 | UInt128(UInt8(ascii: ".")) << point
        o.storeBytes(of: UInt64(truncatingIfNeeded: text).littleEndian, as: UInt64.self)
        o.storeBytes(of: UInt64(truncatingIfNeeded: text >> 56).littleEndian, toByteOffset: 7, as: UInt64.self)
        return negative + max(count, e + 2) + 1
    }
}
