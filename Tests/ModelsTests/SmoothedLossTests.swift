import XCTest
@testable import Models

/// fastai 0.7's smoothed training loss: avg ← 0.98·avg + 0.02·loss, shown as avg / (1 − 0.98ⁿ).
final class SmoothedLossTests: XCTestCase {
    func testTheCurveIsDebiasedAndMatchesTheFormula() {
        // A constant stays constant: the bias correction undoes the average's start at 0.
        for v in SmoothedLoss.curve([2, 2, 2]) { XCTAssertEqual(v, 2, accuracy: 1e-6) }
        // By hand for 4, 2: avg₁ = 0.08 → 0.08/0.02 = 4; avg₂ = 0.0784 + 0.04 = 0.1184 → 0.1184/0.0396.
        let c = SmoothedLoss.curve([4, 2])
        XCTAssertEqual(c[0], 4, accuracy: 1e-6)
        XCTAssertEqual(c[1], 0.1184 / 0.0396, accuracy: 1e-6)
        XCTAssertEqual(SmoothedLoss.curve([]), [])
    }
}
