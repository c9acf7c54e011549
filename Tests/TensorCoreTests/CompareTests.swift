import XCTest
@testable import TensorCore

final class CompareTests: XCTestCase {
    let tol = Tolerance(rtol: 1e-4, atolOfMax: 1e-5)

    func testToleranceIsScaledAbsolutePlusRelativeToExpected() {
        // |a − b| ≤ 1e-5·max|ref| + 1e-4·|b|: 1e-5·100 + 1e-4·100 = 0.011 at b = 100.
        XCTAssertTrue(Comparison.of([100.0109], [100], tolerance: tol).passed)
        XCTAssertFalse(Comparison.of([100.0112], [100], tolerance: tol).passed)
        // Beside a 100, a 0 may be off by 1e-3; beside a 1e-8, only by 1e-13.
        XCTAssertTrue(Comparison.of([9e-4, 100], [0, 100], tolerance: tol).passed)
        XCTAssertFalse(Comparison.of([2e-3, 100], [0, 100], tolerance: tol).passed)
        XCTAssertFalse(Comparison.of([0, 0], [1e-8, -2e-8], tolerance: tol).passed, "all zeros must not pass for tiny values")
        XCTAssertTrue(Comparison.of([1.00001e-8], [1e-8], tolerance: tol).passed)
    }

    func testAnAllZeroReferenceDemandsZeros() {
        XCTAssertTrue(Comparison.of([0, 0], [0, 0], tolerance: tol).passed)
        XCTAssertFalse(Comparison.of([1e-30, 0], [0, 0], tolerance: tol).passed)
    }

    func testFiguresNameTheScaleAndTheShareOfTheBound() {
        let r = Comparison.of([1.000005, 2], [1, 2], tolerance: tol)
        XCTAssertEqual(r.scale, 2)
        XCTAssertEqual(r.maxAbsDiffOfScale, 2.5e-6, accuracy: 1e-8)
        // bound at b = 1: 1e-5·2 + 1e-4·1 = 1.2e-4; 5e-6 of it is 4.2%.
        XCTAssertEqual(r.worstOfBound, 5e-6 / 1.2e-4, accuracy: 1e-3)
        XCTAssertTrue(r.figures.contains("4.2% of its bound"), r.figures)
    }

    func testPerturbationsAreCaughtAtEveryScale() {
        for scale: Float in [1e-9, 1, 1e6] {
            let ref: [Float] = [0.3, -1, 0.5, 0].map { $0 * scale }
            XCTAssertTrue(Comparison.of(ref, ref, tolerance: tol).passed)
            for p in Perturbation.allCases {
                XCTAssertFalse(Comparison.of(ref, p.apply(ref), tolerance: tol).passed, "\(p.rawValue) at scale \(scale)")
            }
        }
        XCTAssertEqual(Perturbation.oneValue.apply([0.5, -2, 1]), [0.5, -1.98, 1])
    }

    func testNaNEqualsOnlyNaNAndInfinitiesThemselves() {
        XCTAssertTrue(Comparison.of([.nan, .infinity, -.infinity], [.nan, .infinity, -.infinity], tolerance: tol).passed)
        XCTAssertFalse(Comparison.of([.nan], [1], tolerance: tol).passed)
        XCTAssertFalse(Comparison.of([1], [.nan], tolerance: tol).passed)
        XCTAssertFalse(Comparison.of([.infinity], [-.infinity], tolerance: tol).passed)
    }

    func testReportsWorstDiffsAndFirstFailure() {
        let r = Comparison.of([1, 2.5, 3, 10], [1, 2, 3, 8], tolerance: tol)
        XCTAssertFalse(r.passed)
        XCTAssertEqual(r.failures, 2)
        XCTAssertEqual(r.firstFailure, Comparison.Failure(index: 1, actual: 2.5, expected: 2))
        XCTAssertEqual(r.maxAbsDiff, 2)
        XCTAssertEqual(r.maxRelDiff, 0.25)
        XCTAssertTrue(r.describe(shape: [2, 2]).contains("index 1 [0, 1]: got 2.5, expected 2.0"), r.describe(shape: [2, 2]))
    }

    func testCountAndShapeMismatchFail() {
        XCTAssertFalse(Comparison.of([1, 2], [1], tolerance: tol).passed)
        let r = Comparison.of(Tensor(shape: [2, 1], data: [1, 2]), Tensor(shape: [2], data: [1, 2]), tolerance: tol)
        XCTAssertFalse(r.passed)
        XCTAssertTrue(r.description.contains("shape [2, 1], expected [2]"))
    }
}
