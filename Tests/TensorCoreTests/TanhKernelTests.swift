// The vectorised tanh against Double-precision tanh, in ulps of the Float result.

import Foundation
import XCTest
@testable import TensorCore

final class TanhKernelTests: XCTestCase {
    /// Distance in units in the last place between `a` and the correctly rounded `exact`.
    func ulps(_ a: Float, _ exact: Double) -> Double {
        let rounded = Float(exact)
        return abs(Double(a) - exact) / Double(rounded.ulp == 0 ? Float.leastNonzeroMagnitude : rounded.ulp)
    }

    func testWithinTwoUlpsOverASweep() {
        // Every 1/4096 from -12 to 12, tiny and huge magnitudes, and odd lengths (the tail).
        var xs = stride(from: -12.0, through: 12.0, by: 1.0 / 4096).map { Float($0) }
        xs += [0, -0, 1e-30, -1e-30, 1e-8, 3e-4, 0.6249999, 0.625, 0.6250001, 8.99, 9, 9.01, 50, -50, 1e30]
        xs += [Float.leastNonzeroMagnitude, -Float.greatestFiniteMagnitude]
        let ys = Kernels.tanh(xs).values
        var worst = 0.0, worstX: Float = 0
        for (x, y) in zip(xs, ys) {
            let u = ulps(y, Foundation.tanh(Double(x)))
            if u > worst { worst = u; worstX = x }
        }
        XCTAssertLessThanOrEqual(worst, 2, "worst \(worst) ulp at x = \(worstX)")
        for n in 0..<20 {
            let part = Array(xs[0..<n])
            XCTAssertEqual(Kernels.tanh(part).values, ys.prefix(n).map { $0 }, "length \(n)")
        }
    }

    func testSpecialValues() {
        let ys = Kernels.tanh([.infinity, -.infinity, .nan, -0.0]).values
        XCTAssertEqual(ys[0], 1)
        XCTAssertEqual(ys[1], -1)
        XCTAssertTrue(ys[2].isNaN)
        XCTAssertEqual(ys[3], 0)
        XCTAssertEqual(ys[3].sign, .minus)
    }
}
