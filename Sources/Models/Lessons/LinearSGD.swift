import TensorCore

/// Lesson part 1: fit y = a·x + b by gradient descent, twice over — once with autograd, once
/// with the gradients derived by hand — and check they agree.
public enum LinearSGD {
    /// The seed's `gen_fake_data(n, a, b)`: x ~ U(0, 1), y = a·x + b + 0.1·N(0, 3).
    public static func fakeData(n: Int, a: Float = 3, b: Float = 8,
                                rng: SeededGenerator = .shared) -> (x: [Float], y: [Float]) {
        let x = (0..<n).map { _ in rng.unit() }
        let y = x.map { a * $0 + b + 0.1 * (3 * rng.normal()) }
        return (x, y)
    }

    /// `lin(a, b, x)` and `mse_loss` as tensor ops: loss = mean((a·x + b − y)²).
    public static func loss(a: Tensor, b: Tensor, x: Tensor, y: Tensor) -> Tensor {
        let yHat = (a * x + b).named("lin(a,b,x)")
        return yHat.mse(y).named("loss")
    }

    /// The hand-derived gradients the seed's `upd()` uses: with d = 2(a·x + b − y),
    /// ∂loss/∂b = mean(d) and ∂loss/∂a = mean(x·d).
    public static func handGradients(a: Float, b: Float, x: [Float], y: [Float]) -> (da: Float, db: Float) {
        var sa = 0.0, sb = 0.0
        for i in 0..<x.count {
            let d = 2 * Double(a * x[i] + b - y[i])
            sb += d
            sa += Double(x[i]) * d
        }
        let n = Double(x.count)
        return (Float(sa / n), Float(sb / n))
    }

    public struct Step: Equatable, Sendable {
        public var iteration: Int
        public var loss: Float
        public var a: Float, b: Float
        /// Gradients from autograd and from the hand-derived formula.
        public var autogradDA: Float, autogradDB: Float, handDA: Float, handDB: Float
    }

    /// The seed's training loop: `loss.backward()`, `a -= lr·a.grad`, `zero_()`, for
    /// `iterations` steps; `record` sees every step (before the update is applied to a and b).
    /// `checkHandGradients: false` leaves the hand-derived pair at zero (`make bench` times the
    /// autograd loop alone, as PyTorch runs it).
    public static func train(x: [Float], y: [Float], a0: Float, b0: Float, lr: Float, iterations: Int,
                             checkHandGradients: Bool = true,
                             record: (Step) -> Void) -> (a: Float, b: Float) {
        // With checks off nothing in `fit` throws.
        (try? fit(x: x, y: y, a0: a0, b0: b0, lr: lr, iterations: iterations, checked: false,
                  checkHandGradients: checkHandGradients, record: record)) ?? (a0, b0)
    }

    /// `train` with the checks `unrolled run` wants: a step whose loss or gradients are not
    /// finite is replayed with anomaly detection and stops with `NonFiniteError` naming the
    /// first op; an update that overflows stops likewise; Ctrl-C stops with `Interrupted`.
    public static func fit(x: [Float], y: [Float], a0: Float, b0: Float, lr: Float, iterations: Int,
                           checked: Bool = true, checkHandGradients: Bool = true,
                           record: (Step) -> Void) throws -> (a: Float, b: Float) {
        let a = Tensor(shape: [1], data: [a0], label: "a", requiresGrad: true)
        let b = Tensor(shape: [1], data: [b0], label: "b", requiresGrad: true)
        let xt = Tensor(shape: [x.count], data: x, label: "x")
        let yt = Tensor(shape: [y.count], data: y, label: "y")
        for t in 0..<iterations {
            if checked && Interruption.requested { throw Interrupted(epoch: 0, batch: t) }
            let l = loss(a: a, b: b, x: xt, y: yt)
            l.backward()
            let (da, db) = (a.grad![0], b.grad![0])
            if checked && !(l.item.isFinite && da.isFinite && db.isFinite) {
                a.zeroGrad(); b.zeroGrad()
                let (_, anomaly) = AnomalyMode.detecting { loss(a: a, b: b, x: xt, y: yt).backward() }
                throw NonFiniteError(position: "iteration \(t)", loss: l.item, anomaly: anomaly)
            }
            let hand = checkHandGradients ? handGradients(a: a.data[0], b: b.data[0], x: x, y: y) : (da: 0, db: 0)
            record(Step(iteration: t, loss: l.item, a: a.data[0], b: b.data[0],
                        autogradDA: da, autogradDB: db, handDA: hand.da, handDB: hand.db))
            if checked {
                let (_, anomaly) = AnomalyMode.detecting { SGD.update(a, lr: lr); SGD.update(b, lr: lr) }
                if let anomaly { throw NonFiniteError(position: "iteration \(t)", loss: l.item, anomaly: anomaly) }
            } else {
                SGD.update(a, lr: lr)
                SGD.update(b, lr: lr)
            }
            a.zeroGrad(); b.zeroGrad()
        }
        return (a.data[0], b.data[0])
    }

    /// The seed's animation loop without autograd: `upd()` 30 times per frame from a = −1,
    /// b = 1, lr 0.01; one (a, b, loss) per frame, the first being the starting guess.
    public static func handTrajectory(x: [Float], y: [Float], a0: Float = -1, b0: Float = 1, lr: Float = 0.01,
                                      frames: Int = 20, updatesPerFrame: Int = 30) -> [(a: Float, b: Float, loss: Float)] {
        var (a, b) = (a0, b0)
        func mse() -> Float {
            var s = 0.0
            for i in 0..<x.count { let d = Double(a * x[i] + b - y[i]); s += d * d }
            return Float(s / Double(x.count))
        }
        var out = [(a, b, mse())]
        for _ in 1..<max(frames, 1) {
            for _ in 0..<updatesPerFrame {
                let g = handGradients(a: a, b: b, x: x, y: y)
                a -= lr * g.da
                b -= lr * g.db
            }
            out.append((a, b, mse()))
        }
        return out
    }
}
