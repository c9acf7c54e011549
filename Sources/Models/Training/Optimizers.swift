import TensorCore

/// An optimizer updates parameters from their gradients. The learning rate can change between
/// fits (the seed's `set_lrs(opt, 1e-3)`). Each update emits one trace event per parameter in
/// the `update` phase.
public protocol Optimizer: AnyObject {
    var lr: Float { get set }
    var name: String { get }
    func step()
    func zeroGrad()
}

/// Plain SGD: p ← p − lr·grad.
public final class SGD: Optimizer {
    public var lr: Float
    public let name = "sgd"
    let params: [(name: String, tensor: Tensor)]

    public init(_ params: [(name: String, tensor: Tensor)], lr: Float) {
        self.params = params; self.lr = lr
    }

    public func step() { for (_, p) in params { SGD.update(p, lr: lr) } }
    public func zeroGrad() { for (_, p) in params { p.zeroGrad() } }

    /// One parameter's update, traced.
    static func update(_ p: Tensor, lr: Float) {
        guard let g = p.grad else { return }
        p.update { Kernels.sgdStep(param: &$0, grad: g, lr: lr) }
        traceUpdate("sgd", p, grad: g, attributes: "lr=\(lr)")
    }
}

/// torch.optim.Adam with its defaults: β = (0.9, 0.999), ε = 1e-8, bias correction;
/// `weightDecay` as its `weight_decay` (L2 added to the gradient), which fastai 0.7's `wds=` set.
public final class Adam: Optimizer {
    public var lr: Float
    public let beta1: Float, beta2: Float, eps: Float
    public let weightDecay: Float
    public let name = "adam"
    let params: [(name: String, tensor: Tensor)]
    /// First and second moment estimates, one pair per parameter; public so `run` can save them.
    public internal(set) var m: [[Float]], v: [[Float]]
    public internal(set) var stepCount = 0

    public init(_ params: [(name: String, tensor: Tensor)], lr: Float = 1e-3,
                beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0) {
        self.params = params; self.lr = lr; self.beta1 = beta1; self.beta2 = beta2; self.eps = eps
        self.weightDecay = weightDecay
        m = params.map { [Float](repeating: 0, count: $0.tensor.count) }
        v = m
    }

    public func step() {
        stepCount += 1
        for (i, (_, p)) in params.enumerated() {
            guard let g = p.grad else { continue }
            // The moments before this step, kept only while tracing (the trace shows both).
            let before = Tracer.isOn ? (m: m[i], v: v[i]) : nil
            p.update {
                Kernels.adamStep(param: &$0, grad: g, m: &m[i], v: &v[i], lr: lr,
                                 beta1: beta1, beta2: beta2, eps: eps, step: stepCount,
                                 weightDecay: weightDecay)
            }
            traceUpdate("adam", p, grad: g, attributes: weightDecay == 0 ? "lr=\(lr),step=\(stepCount)" : "lr=\(lr),step=\(stepCount),wd=\(weightDecay)",
                        state: before.map { [("adam.m", $0.m, m[i]), ("adam.v", $0.v, v[i])] } ?? [])
        }
    }

    public func zeroGrad() { for (_, p) in params { p.zeroGrad() } }

    /// The moments of the parameter called `name` (state_dict name), for a learner to look at.
    public func moments(of name: String) -> (m: [Float], v: [Float])? {
        guard let i = params.firstIndex(where: { $0.name == name }) else { return nil }
        return (m[i], v[i])
    }

    /// Restore saved moments (resuming a run); a checkpoint that does not fit is an error, not a trap.
    public func restore(m: [[Float]], v: [[Float]], stepCount: Int) throws {
        guard m.count == params.count, v.count == params.count, stepCount >= 0,
              zip(params, zip(m, v)).allSatisfy({ $0.tensor.count == $1.0.count && $0.tensor.count == $1.1.count }) else {
            throw InputError("Adam state does not fit the model: \(m.count) first and \(v.count) second moments for \(params.count) parameters")
        }
        self.m = m; self.v = v; self.stepCount = stepCount
    }

    /// Parameter names, in the order of `m` and `v`.
    public var parameterNames: [String] { params.map(\.name) }
}

/// `attributes` is only built when an event is made: formatting `lr=0.01` at every update was
/// 1.5% of an untraced linear-SGD step.
/// An update event: inputs the gradient then each optimizer state before the step (`adam.m(W)`),
/// outputs the new value then each state after it. State tensors get ids of their own (negative,
/// so they never collide with a tensor's), stable per parameter and state.
func traceUpdate(_ op: String, _ p: Tensor, grad: [Float], attributes: @autoclosure () -> String,
                 state: [(name: String, before: [Float], after: [Float])] = []) {
    if AnomalyMode.isOn {
        AnomalyMode.check(.update, op: op, label: p.label, id: p.id, shape: p.shape, values: p.data, inputs: [grad])
    }
    guard Tracer.isOn else { return }
    var inputs = [Tracer.describe(id: p.id, label: p.label, shape: p.shape, kind: .grad, values: grad)]
    var outputs = [Tracer.describe(id: p.id, label: p.label, shape: p.shape, values: p.data)]
    for (k, s) in state.enumerated() {
        let id = -(p.id * 4 + k + 1)
        inputs.append(Tracer.describe(id: id, label: "\(s.name)(\(p.label))", shape: p.shape, values: s.before))
        outputs.append(Tracer.describe(id: id, label: "\(s.name)(\(p.label))", shape: p.shape, values: s.after))
    }
    Tracer.emit(phase: .update, op: op, label: p.label, attributes: attributes(), inputs: inputs, outputs: outputs)
}
