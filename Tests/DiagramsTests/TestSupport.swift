// Helpers shared by the Diagrams tests.

import Foundation
import XCTest
@testable import Diagrams

/// Where tests write files. Set UNROLLED_DIAGRAMS_OUT to keep them (to look at the PNGs);
/// otherwise a fresh temporary directory per test.
func outputDirectory(_ name: String) -> URL {
    if let keep = ProcessInfo.processInfo.environment["UNROLLED_DIAGRAMS_OUT"] {
        return URL(fileURLWithPath: keep).appendingPathComponent(name)
    }
    return FileManager.default.temporaryDirectory
        .appendingPathComponent("diagrams-tests-\(UUID().uuidString)").appendingPathComponent(name)
}

func readBytes(_ url: URL, file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: url))
}

/// The lesson's fake data and SGD (the seed's `gen_fake_data` and `upd()`), computed here as the
/// caller of the animation would.
enum LinearSGDFixture {
    static func data(n: Int = 50, a: Float = 3, b: Float = 8, seed: UInt64 = 7) -> (x: [Float], y: [Float]) {
        var rng = SplitMix(seed)
        var x: [Float] = [], y: [Float] = []
        for _ in 0..<n {
            let xi = Float(rng.unit())
            // 0.1 * normal(0, 3) noise, by Box–Muller.
            let u1 = max(rng.unit(), 1e-12), u2 = rng.unit()
            let noise = Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)) * 0.3
            x.append(xi)
            y.append(a * xi + b + noise)
        }
        return (x, y)
    }

    /// 20 frames; frame i shows (a, b) after 30·i updates of `upd()` with lr 0.01 from (−1, 1).
    static func trajectory(x: [Float], y: [Float], frames: Int = 20, updatesPerFrame: Int = 30,
                           lr: Float = 0.01) -> [LineFit] {
        var a: Float = -1, b: Float = 1
        var out: [LineFit] = []
        for _ in 0..<frames {
            out.append(LineFit(a: a, b: b))
            for _ in 0..<updatesPerFrame {
                var dyda: Float = 0, dydb: Float = 0
                for (xi, yi) in zip(x, y) {
                    let d = 2 * (a * xi + b - yi)
                    dydb += d
                    dyda += xi * d
                }
                a -= lr * dyda / Float(x.count)
                b -= lr * dydb / Float(x.count)
            }
        }
        return out
    }
}

struct SplitMix {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
