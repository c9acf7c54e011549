import XCTest
@testable import LessonEngine
import Models
@testable import TensorCore

/// A step that produces NaN or infinity stops with an error naming the first op that did.
final class AnomalyTests: XCTestCase {
    func testFirstNonFiniteForwardOpIsNamed() {
        let x = Tensor([1, -1, 2], label: "x")
        let (_, anomaly) = AnomalyMode.detecting { () -> Tensor in
            let y = x.log().named("log(x)")
            return y.exp()
        }
        XCTAssertEqual(anomaly?.op, 1)
        XCTAssertEqual(anomaly?.phase, .forward)
        XCTAssertEqual(anomaly?.primitive, "log")
        XCTAssertEqual(anomaly?.label, "log(x)")
        XCTAssertEqual(anomaly?.nanCount, 1)
        XCTAssertEqual(anomaly?.inputsFinite, true)
        XCTAssertFalse(AnomalyMode.isOn)
    }

    /// With detection off, ops are neither counted nor checked: a NaN made then leaves no trace.
    func testOffChecksNothing() {
        XCTAssertFalse(AnomalyMode.isOn)
        let before = Runtime.current.anomaly.counter
        _ = Tensor([-1], label: "x").log()
        XCTAssertEqual(Runtime.current.anomaly.counter, before, "an op run with detection off was checked")
        XCTAssertNil(Runtime.current.anomaly.first)
    }

    func testLinearSGDWithHugeLearningRateStopsAtTheLoss() throws {
        var options = RunOptions()
        options.lr = 10
        let lesson = try Catalog(directory: Tiny.lessonsDirectory).lesson("linear-sgd")
        XCTAssertThrowsError(try LessonRunner(lesson: lesson, options: options).runLinearSGD(say: { _ in })) { error in
            guard let e = error as? NonFiniteError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.position, "iteration 12")
            XCTAssertEqual(e.anomaly?.phase, .forward)
            XCTAssertEqual(e.anomaly?.label, "loss")
            XCTAssertTrue(e.description.hasPrefix("non-finite value: loss became inf at iteration 12; first: op 3 (forward, mse 'loss')"), e.description)
        }
    }

    func testCharModelDivergenceIsCaughtBeforeTheWeightsChange() throws {
        let lesson = try Tiny.lesson(schedule: "  - {optimizer: sgd, lr: 1.0e+30, epochs: 1}\n")
        var options = RunOptions()
        options.corpusPath = try Tiny.corpus()
        XCTAssertThrowsError(try LessonRunner(lesson: lesson, options: options).runCharModel(say: { _ in })) { error in
            guard let e = error as? NonFiniteError else { return XCTFail("\(error)") }
            XCTAssertNotNil(e.anomaly, e.description)
            XCTAssertTrue(e.description.hasPrefix("non-finite value:"), e.description)
        }
    }
}
