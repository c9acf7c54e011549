import XCTest
@testable import LessonEngine
import Models
import TensorCore

/// Lesson 1 tells one story: `step`, `run`, `play`, `draw` and the animation fit the same points
/// from the same start at the same learning rate.
final class LinearStoryTests: XCTestCase {
    func testStepRunAndAnimationShareThePointsStartAndLearningRate() throws {
        let lesson = try Catalog(directory: FingerprintTests.root.appendingPathComponent("lessons").path).lesson("linear-sgd")
        var options = RunOptions()
        options.epochsScale = 0.02  // 200 iterations: short in a debug build
        let story = LinearStory(runner: LessonRunner(lesson: lesson, options: options))
        XCTAssertEqual(story.x.count, lesson.linearData.points)
        XCTAssertEqual(story.iterations, 200)

        // The recorded step reads the story's a and b and every one of its points.
        let replay = try Replay.record(lesson: lesson, options: options, level: .full)
        XCTAssertTrue(replay.batchDescription.hasPrefix(story.summary), replay.batchDescription)
        let product = try XCTUnwrap(replay.events.first { $0.phase == .forward })
        XCTAssertEqual(product.outputs.first?.shape, [story.x.count])
        let loss = try XCTUnwrap(replay.events.first { $0.phase == .forward && $0.label == "loss" }?.outputs.first?.values?.first)

        // run starts from the same loss and ends where the animation's last frame is.
        let run = try LessonRunner(lesson: lesson, options: options).runLinearSGD(say: { _ in })
        XCTAssertEqual(run.losses[0], loss, accuracy: 1e-4 * abs(loss))
        let (path, perFrame) = story.trajectory(frames: lesson.animation.frames)
        XCTAssertEqual(perFrame * (lesson.animation.frames - 1), story.iterations)
        XCTAssertEqual(path.first?.a, story.a0)
        XCTAssertEqual(path.first?.b, story.b0)
        XCTAssertEqual(Double(path.first!.loss), Double(loss), accuracy: 1e-4 * Double(abs(loss)))
        XCTAssertEqual(path.last!.a, run.a, accuracy: 1e-3)
        XCTAssertEqual(path.last!.b, run.b, accuracy: 1e-3)

        // --batch shows the first points of the same data, not other points.
        let small = try Replay.record(lesson: lesson, options: options, batch: 4, level: .full)
        let x4 = try XCTUnwrap(small.events.first { $0.phase == .forward }?.outputs.first?.values)
        let xAll = try XCTUnwrap(product.outputs.first?.values)
        XCTAssertEqual(x4, Array(xAll.prefix(4)))
    }
}
