// Reverse-mode autodiff with a hand-written tape (Swift's @differentiable is not used: it
// crashes on loops and C maths on Linux). Every op funnels through `Tensor.record`, which
// links the result to its inputs and emits the forward event; `backward()` sorts the graph
// topologically and runs each node's rule once, in reverse, emitting one backward event per rule.

/// Whether ops build a graph, for the calling thread's runtime (like `torch.no_grad()`).
public enum GradMode {
    public static var enabled: Bool { Runtime.current.gradEnabled }

    /// Run `body` without building a graph (evaluation, generation, optimizer updates).
    public static func noGrad<R>(_ body: () throws -> R) rethrows -> R {
        let runtime = Runtime.current
        let previous = runtime.gradEnabled
        runtime.gradEnabled = false
        defer { runtime.gradEnabled = previous }
        return try body()
    }
}

/// Labels set by layers for the ops they run (`l_in(e(c1))` for both its matmul and bias add).
public enum LabelScope {
    public static var current: String? { Runtime.current.labels.last }

    public static func with<R>(_ label: String, _ body: () throws -> R) rethrows -> R {
        let runtime = Runtime.current
        runtime.labels.append(label)
        defer { runtime.labels.removeLast() }
        return try body()
    }
}

extension Tensor {
    /// Make the result of primitive `op` and, when gradients are wanted, remember how to
    /// differentiate it. Ops call this and nothing else.
    static func record(_ op: Primitive, _ inputs: [Tensor], shape: [Int], data: [Float],
                       attributes: String = "", gradientBlock: TensorBlock? = nil,
                       backward rule: @escaping BackwardRule) -> Tensor {
        Runtime.withCurrent { runtime in
            record(op, inputs, shape: shape, data: Measured(data), attributes: attributes, gradientBlock: gradientBlock,
                   in: runtime, backward: rule)
        }
    }

    /// The same, for a kernel that can measure what it writes: `data(measuring)` runs it,
    /// measuring when the trace wants statistics (`summary`), and the event gets them.
    @inline(__always)
    static func record(_ op: Primitive, _ inputs: [Tensor], shape: [Int], data: (_ measuring: Bool) -> Measured,
                       attributes: String = "", gradientBlock: TensorBlock? = nil,
                       backward rule: @escaping BackwardRule) -> Tensor {
        Runtime.withCurrent { runtime in
            record(op, inputs, shape: shape, data: data(runtime.recorder.measures), attributes: attributes,
                   gradientBlock: gradientBlock, in: runtime, backward: rule)
        }
    }

    static func record(_ op: Primitive, _ inputs: [Tensor], shape: [Int], data measured: Measured, attributes: String,
                       gradientBlock: TensorBlock?, in runtime: Runtime, backward rule: @escaping BackwardRule) -> Tensor {
        let data = measured.values
        let needsGrad = runtime.gradEnabled && inputs.contains { $0.requiresGrad }
        // An op with a node can leave its label to be made when first read (Node.label); only
        // events, taps and anomaly checks read it as the op runs. Without a node it is made now.
        let labelsReadNow = runtime.recorder.isOn || runtime.taps != nil || runtime.anomaly.isOn
        let made: String? = runtime.labels.last
            ?? (labelsReadNow || !needsGrad ? op.autoLabel(inputs, attributes: attributes) : nil)
        let result = Tensor(shape: shape, data: data, label: made, requiresGrad: needsGrad, in: runtime)
        result.madeByOp = true
        if needsGrad {
            result.node = Node(op: op, inputs: inputs, label: made, attributes: attributes,
                               block: gradientBlock, rule: rule)
        }
        guard labelsReadNow, let made else { return result }
        // Reported when the next op runs (or anything reads the trace), once the model has had
        // its chance to name it: `l_in(e(c1)).relu().named("in1")`.
        runtime.reportNewest()
        runtime.newest = NewestResult(op: op, inputs: inputs, result: result, values: data, attributes: attributes,
                                      madeLabel: made, moments: measured.moments,
                                      described: runtime.recorder.isOn ? inputs.map { input in
                                          // Values of data and parameters appear nowhere else in the
                                          // trace. An op's result was described by its own event, also
                                          // under noGrad, where it has no node (validation: describing
                                          // every input again doubled the cost of `summary`).
                                          runtime.recorder.describe(id: input.id, label: input.label, shape: input.shape,
                                                                    values: input.data, withValues: !input.madeByOp)
                                      } : [])
        return result
    }

    /// Backpropagate from this tensor. With no seed it must hold one value (a loss), and its
    /// gradient starts at 1. Leaves' gradients add up in `grad` across uses and across calls, as
    /// in PyTorch; call `zeroGrad()` on parameters between steps.
    public func backward(seed: [Float]? = nil) {
        precondition(seed != nil || count == 1, "backward() without a seed needs a scalar, shape is \(shape)")
        precondition(requiresGrad, "backward(): \(label) does not require grad")
        Runtime.withCurrent { runtime in backward(seed: seed, in: runtime) }
    }

    func backward(seed: [Float]?, in runtime: Runtime) {
        runtime.reportNewest()
        let order = topologicalOrder(in: runtime)
        // Intermediates start from zero on every call: they keep the gradient of the last root
        // for inspection, and adding an earlier call's gradient would send it to the leaves a
        // second time. Only leaves (parameters) accumulate across calls.
        for t in order where t.node != nil { t.storedGrad = nil }
        // A loss's seed as a literal: `[Float](repeating:count:)` costs a runtime metadata lookup
        // (see `Shapes.broadcast`'s note).
        storedGrad = seed ?? (count == 1 ? [1] : [Float](repeating: 1, count: count))
        for t in order.reversed() {
            guard let node = t.node, let g = t.grad else { continue }
            let contributions = node.rule(BackwardContext(grad: g, result: t, inputs: node.inputs,
                                                          measuring: runtime.recorder.measures))
            precondition(contributions.count == node.inputs.count, "\(node.op) rule returned wrong arity")
            let inputs = node.inputs
            if runtime.recorder.isOn {
                var outs: [TracedTensor] = []
                for i in inputs.indices where inputs[i].requiresGrad {
                    guard let c = contributions[i] else { continue }
                    let input = inputs[i]
                    outs.append(runtime.recorder.describe(id: input.id, label: input.label, shape: input.shape,
                                                          kind: .grad, values: c.values, moments: c.moments, block: node.block))
                }
                runtime.recorder.emit(phase: .backward, op: node.op.rawValue, label: node.label,
                              attributes: node.attributes,
                              inputs: [runtime.recorder.describe(id: t.id, label: t.label, shape: t.shape, kind: .grad, values: g)],
                              outputs: outs)
            }
            if runtime.anomaly.isOn {
                runtime.anomaly.count()
                for i in inputs.indices where inputs[i].requiresGrad {
                    guard let c = contributions[i]?.values else { continue }
                    let input = inputs[i]
                    runtime.anomaly.check(.backward, op: node.op.rawValue, label: node.label, gradientOf: input.label,
                                      id: input.id, shape: input.shape,
                                      values: node.block.map { Kernels.expand(c, $0) } ?? c, inputs: [g], sameOp: true)
                }
            }
            for i in inputs.indices where inputs[i].requiresGrad {
                guard let c = contributions[i]?.values else { continue }
                let input = inputs[i]
                if let block = node.block {
                    if input.storedGrad == nil { input.storedGrad = Kernels.zeros(input.count) }
                    Kernels.addBlock(&input.storedGrad!, c, block)
                    continue
                }
                precondition(c.count == input.count, "\(node.op) gradient has \(c.count) values for \(input.shape)")
                if input.storedGrad == nil { input.storedGrad = c } else { Kernels.accumulate(&input.storedGrad!, c) }
            }
        }
    }

    /// Every tensor this one depends on through recorded nodes, inputs before users.
    /// Ids grow with creation, so sorting by id is a topological order, and running it backwards
    /// replays the forward pass exactly in reverse (as PyTorch's engine does, by sequence number).
    /// NOTE: visited tensors are marked with this walk's number instead of kept in a
    /// `Set<ObjectIdentifier>`: hashing, growing the set and its generic metadata were 9% of an
    /// untraced linear-SGD step.
    func topologicalOrder(in runtime: Runtime) -> [Tensor] {
        runtime.walks &+= 1
        let walk = runtime.walks
        // Room for a lesson step's graph up front, sorted in place: growing both arrays from
        // empty and sorting into a copy were a third of this walk in lesson 1.
        var reached: [Tensor] = []
        reached.reserveCapacity(64)
        var stack = [self]
        stack.reserveCapacity(64)
        while let t = stack.popLast() {
            guard t.lastWalk != walk else { continue }
            t.lastWalk = walk
            reached.append(t)
            if let node = t.node { stack.append(contentsOf: node.inputs) }
        }
        reached.sort { $0.id < $1.id }
        return reached
    }
}
