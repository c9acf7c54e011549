import XCTest
@testable import LessonEngine
import Models
import TensorCore

/// `unrolled watch`: values across steps, Adam's moments among them.
final class WatchTests: XCTestCase {
    func testAdamsMomentsFollowItsFormulaFromStepOne() throws {
        let lesson = try Tiny.lesson()
        var options = RunOptions()
        options.corpusPath = try Tiny.corpus()
        let table = try Watch.run(lesson: lesson, options: options,
                                  expressions: ["grad(l_in.weight)[1,2]", "adam.m(l_in.weight)[1,2]", "adam.v(l_in.weight)[1,2]",
                                                "adam.mhat(l_in.weight)[1,2]", "adam.vhat(l_in.weight)[1,2]", "norm(grad(h1))", "h4[0,:3]"],
                                  every: 2, steps: 5)
        XCTAssertEqual(table.rows.map(\.step), [1, 3, 5])
        let first = table.rows[0].values
        let g = first[0][0]
        XCTAssertNotEqual(g, 0)
        // After step 1: m = (1 − β1)·g, v = (1 − β2)·g², and the corrected m̂ = g, v̂ = g².
        XCTAssertEqual(first[1][0], 0.1 * g, accuracy: abs(g) * 1e-6)
        XCTAssertEqual(first[2][0], 0.001 * g * g, accuracy: g * g * 1e-5)
        XCTAssertEqual(first[3][0], g, accuracy: abs(g) * 1e-5)
        XCTAssertEqual(first[4][0], g * g, accuracy: g * g * 1e-4)
        XCTAssertEqual(first[5].count, 1, "norm(…) is one number")
        XCTAssertGreaterThan(first[5][0], 0)
        XCTAssertEqual(first[6].count, 3, "a slice of an activation")
        // Later steps differ (training moves).
        XCTAssertNotEqual(table.rows[2].values[1], first[1])
        XCTAssertTrue(table.text().contains("adam.m(l_in.weight)[1,2]"))
    }

    func testUnknownNamesAreOneLine() throws {
        let lesson = try Tiny.lesson()
        var options = RunOptions()
        options.corpusPath = try Tiny.corpus()
        XCTAssertThrowsError(try Watch.run(lesson: lesson, options: options, expressions: ["l_nope.weight"], every: 1, steps: 2)) {
            XCTAssertTrue("\($0)".contains("'l_nope.weight' names nothing"), "\($0)")
        }
        XCTAssertThrowsError(try Watch.run(lesson: lesson, options: options, expressions: ["h1"], every: 0, steps: 2))
    }

    func testLinearSGDWatchesAAndBFromTheLessonsStart() throws {
        let lesson = try Catalog(directory: Tiny.lessonsDirectory).lesson("linear-sgd")
        let table = try Watch.run(lesson: lesson, options: RunOptions(), expressions: ["a", "b", "grad(a)", "loss"], every: 10, steps: 21)
        XCTAssertEqual(table.rows.map(\.step), [1, 11, 21])
        // SGD: a moves by −lr·grad(a) per step, so over 10 steps it moves the way −grad(a) points.
        let (a1, a11) = (table.rows[0].values[0][0], table.rows[1].values[0][0])
        XCTAssertEqual(a11 > a1, table.rows[0].values[2][0] < 0)
        XCTAssertLessThan(table.rows[2].values[3][0], table.rows[0].values[3][0], "the loss falls")
        XCTAssertTrue(table.note.contains("10000 points"), table.note)
    }
}
