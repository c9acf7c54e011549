import XCTest
@testable import TensorCore

final class CompareTests: XCTestCase {
    let tol = Tolerance(rtol: 1e-4, atol: 1e-5)

    func testToleranceIsAbsolutePlusRelativeToExpected() {
        // |a − b| ≤ atol + rtol·|b|: 1e-5 + 1e-4·100 = 0.01001 at b = 100.
        XCTAssertTrue(Comparison.of([100.01], [100], tolerance: tol).passed)
        XCTAssertFalse(Comparison.of([100.0102], [100], tolerance: tol).passed)
        XCTAssertTrue(Comparison.of([9e-6], [0], tolerance: tol).passed)
        XCTAssertFalse(Comparison.of([2e-5], [0], tolerance: tol).passed)
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
