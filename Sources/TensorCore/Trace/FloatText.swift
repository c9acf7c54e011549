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

enum FloatText {
    /// 10^k for k in -64...64: exact for 0 ≤ k ≤ 22; otherwise within a few ulp (repeated
    /// products, and a reciprocal for k < 0), far below the 1e-8 that nine digits resolve.
    static let powersOfTen: [Double] = (-64...64).map { k in
        var p = 1.0
        for _ in 0..<abs(k) { p *= 10 }
        return k < 0 ? 1 / p : p
    }

    @inline(__always)
    static func pow10(_ k: Int) -> Double { powersOfTen[k + 64] }

    /// "00", "01", … "99" as 200 ASCII bytes (allocated once, never freed).
    static let pairs: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 200)
        for i in 0..<100 { p[2 * i] = UInt8(48 + i / 10); p[2 * i + 1] = UInt8(48 + i % 10) }
        return UnsafePointer(p)
    }()

    /// Most bytes one value can take ("-1.23456789e-45," is 16).
    static let maximumWidth = 16

    /// Write a finite, non-zero Float at `out`; returns the bytes written.
    @inline(__always)
    static func write(_ v: Float, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var n = 0
        var x = Double(v)
        if x < 0 { out[0] = UInt8(ascii: "-"); n = 1; x = -x }
        // Decimal exponent from the binary one (log10 2 ≈ 0.30103): never too high, at most one
        // too low. (The biased exponent field, read directly: `Float.exponent` is a call.)
        let biased = Int((v.bitPattern >> 23) & 0xff)
        let exponent2 = biased == 0 ? -118 - (v.bitPattern & 0x7f_ffff).leadingZeroBitCount : biased - 127
        var e = Int((Double(exponent2) * 0.301029995663981).rounded(.down))
        var m = x * pow10(8 - e)
        if m >= 999_999_999.5 { e += 1; m = x * pow10(8 - e) }
        var d = UInt64(m.rounded())
        if d >= 1_000_000_000 { d = 100_000_000; e += 1 }
        // Nine digits, most significant first; trailing zeros dropped.
        var digits: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &digits) { raw -> Int in
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            // 1 + 4×2 digits from a table of pairs: nine chained divisions by 10 were most of
            // the time (~39 ns per value in a full trace).
            let r = UInt32(truncatingIfNeeded: d), rest = r % 100_000_000
            let a = Int(rest / 10_000), b = Int(rest % 10_000)
            let pairs = FloatText.pairs
            p[0] = UInt8(truncatingIfNeeded: r / 100_000_000) &+ 48
            (p + 1).update(from: pairs + 2 * (a / 100), count: 2)
            (p + 3).update(from: pairs + 2 * (a % 100), count: 2)
            (p + 5).update(from: pairs + 2 * (b / 100), count: 2)
            (p + 7).update(from: pairs + 2 * (b % 100), count: 2)
            var count = 9
            while count > 1 && p[count - 1] == 48 { count -= 1 }
            if e >= 0 && e < 9 {
                // ddd.ddd, at least one digit after the point (as `description` writes 3.0)
                for i in 0...e { out[n] = i < count ? p[i] : 48; n += 1 }
                out[n] = UInt8(ascii: "."); n += 1
                if count > e + 1 {
                    for i in (e + 1)..<count { out[n] = p[i]; n += 1 }
                } else {
                    out[n] = 48; n += 1
                }
            } else if e < 0 && e >= -5 {
                // 0.000ddd
                out[n] = 48; out[n + 1] = UInt8(ascii: "."); n += 2
                for _ in 0..<(-e - 1) { out[n] = 48; n += 1 }
                for i in 0..<count { out[n] = p[i]; n += 1 }
            } else {
                // d.ddde±x
                out[n] = p[0]; out[n + 1] = UInt8(ascii: "."); n += 2
                if count > 1 {
                    for i in 1..<count { out[n] = p[i]; n += 1 }
                } else {
                    out[n] = 48; n += 1
                }
                out[n] = UInt8(ascii: "e"); n += 1
                if e < 0 { out[n] = UInt8(ascii: "-"); n += 1 }
                var a = abs(e)
                if a >= 10 { out[n] = UInt8(truncatingIfNeeded: a / 10) &+ 48; n += 1; a %= 10 }
                out[n] = UInt8(truncatingIfNeeded: a) &+ 48; n += 1
            }
            return n
        }
    }
}
