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
    /// the last the end). The hand-derived gradients, 2·mean(a·x + b − y)·(x, 1), depend on the
    /// points only through five sums, so 10,000 updates cost one pass over the points; they
    /// agree with `run`'s autograd loop to float rounding (LinearStoryTests).
    public func trajectory(frames: Int) -> (path: [(a: Float, b: Float, loss: Float)], updatesPerFrame: Int) {
        let perFrame = max(1, iterations / max(frames - 1, 1))
        var sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0, syy = 0.0
        for (xi, yi) in zip(x, y) {
            let (xd, yd) = (Double(xi), Double(yi))
            sx += xd; sy += yd; sxx += xd * xd; sxy += xd * yd; syy += yd * yd
        }
        let n = Double(x.count)
        var (a, b) = (Double(a0), Double(b0))
        // mean((a·x + b − y)²) expanded over the same sums.
        func mse() -> Float {
            Float((a * a * sxx + b * b * n + syy + 2 * a * b * sx - 2 * a * sxy - 2 * b * sy) / n)
        }
        var path = [(Float(a), Float(b), mse())]
        for _ in 1..<max(frames, 1) {
            for _ in 0..<perFrame {
                let da = 2 * (a * sxx + b * sx - sxy) / n
                let db = 2 * (a * sx + b * n - sy) / n
                a -= Double(lr) * da
                b -= Double(lr) * db
            }
            path.append((Float(a), Float(b), mse()))
        }
        return (path, perFrame)
    }
}
