import Foundation
import Models
import TensorCore

/// Lesson 1's one story: the points, the starting guess and the learning rate that `step`, `run`,
/// `play`, `watch`, `draw` (graph, animation) and `book` all use, so their numbers agree.
public struct LinearStory {
    public let x: [Float]
    public let y: [Float]
    /// The random start (`a = V(np.random.randn(1))`), drawn right after the points.
    public let a0: Float
    public let b0: Float
    /// The first phase's learning rate and the schedule's iterations (after --epochs-scale).
    public let lr: Float
    public let iterations: Int
    public let trueA: Float
    public let trueB: Float

    /// Draws the points, then a and b, from the runner's generator (so a seed gives one story).
    public init(runner: LessonRunner) {
        let lesson = runner.lesson
        let d = lesson.linearData
        (x, y) = LinearSGD.fakeData(n: d.points, a: d.a, b: d.b, rng: runner.rng)
        a0 = runner.rng.normal()
        b0 = runner.rng.normal()
        lr = runner.lr(lesson.schedule[0])
        iterations = lesson.schedule.map { max(1, Int((Double($0.iterations) * runner.options.epochsScale).rounded())) }.reduce(0, +)
        trueA = d.a
        trueB = d.b
    }

    /// "10000 points of y = 3·x + 8 + noise, start a = -0.7310, b = 0.8222, lr 0.001".
    public var summary: String {
        String(format: "%d points of y = %g·x + %g + noise, start a = %.4f, b = %.4f, lr %g",
               x.count, trueA, trueB, a0, b0, lr)
    }
}

extension LinearStory {
    /// The SGD run as `frames` pictures spread evenly over its iterations (the first is the start,
    /// the last the end): the hand-derived update, which equals autograd's (`run` checks it).
    public func trajectory(frames: Int) -> (path: [(a: Float, b: Float, loss: Float)], updatesPerFrame: Int) {
        let perFrame = max(1, iterations / max(frames - 1, 1))
        return (LinearSGD.handTrajectory(x: x, y: y, a0: a0, b0: b0, lr: lr, frames: frames, updatesPerFrame: perFrame), perFrame)
    }
}
