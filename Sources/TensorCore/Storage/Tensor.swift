// A tensor is a contiguous, row-major buffer of 32-bit floats plus a shape. Nothing else in the
// project owns numbers: kernels read and write `data`, ops build new tensors, the tape links
// them, the tracer reports them.

// NOTE (@exclusivity(unchecked) on the stored values below): Swift checks at run time that two
// accesses to a class property never overlap (swift_beginAccess per access). Only TensorCore
// writes a tensor's values and gradient (ops, the tape, `assign`, `update`), on the one session
// thread that made it, in accesses that never nest; the checks on them cost 8% of an untraced
// lesson-1 step (docs/performance.md, "Exclusivity"). Everyone else reads them through the
// plain properties `data`, `grad` and `requiresGrad`. Static checks (inout arguments, local
// variables) still apply.
public final class Tensor {
    /// Unique, increasing id; trace events refer to tensors by it.
    public let id: Int
    public let shape: [Int]
    /// Row-major values; `data.count == shape.product`.
    @inlinable public var data: [Float] { storedData }
    /// Gradient of the last `backward()` root with respect to this tensor (same layout as
    /// `data`); nil until a backward pass reaches it. Kept for intermediates too, so a learner
    /// can inspect `l_hidden(h+in1)`'s gradient, not only the parameters'.
    @inlinable public var grad: [Float]? { storedGrad }
    /// Whether gradients flow to (and through) this tensor.
    @inlinable public var requiresGrad: Bool { storedRequiresGrad }
    @usableFromInline @exclusivity(unchecked) var storedData: [Float]
    @usableFromInline @exclusivity(unchecked) var storedGrad: [Float]?
    @usableFromInline @exclusivity(unchecked) var storedRequiresGrad: Bool
    /// The name a learner sees: `e(c1)`, `l_hidden(h+in1)`, `l_in.weight`.
    public var label: String {
        get { givenLabel ?? node?.label ?? "" }
        set { givenLabel = newValue }
    }
    /// Nil for an op's result whose label its node makes when first read (`Node.label`).
    @exclusivity(unchecked) var givenLabel: String?
    /// How this tensor was made (nil for leaves: data, parameters, constants).
    @exclusivity(unchecked) var node: Node?
    /// Made by an op (with or without a graph): its values were described by the event that
    /// made it, so the trace need not describe them again where it is used.
    @exclusivity(unchecked) var madeByOp = false
    /// The last graph walk (`topologicalOrder`) that reached this tensor.
    @exclusivity(unchecked) var lastWalk = 0

    public convenience init(shape: [Int], data: [Float], label: String = "", requiresGrad: Bool = false) {
        let id = Runtime.withCurrent { $0.nextTensorID() }
        self.init(shape: shape, data: data, label: label, requiresGrad: requiresGrad, id: id)
    }

    /// A tensor numbered by `runtime` (ops pass the runtime they already looked up).
    convenience init(shape: [Int], data: [Float], label: String?, requiresGrad: Bool, in runtime: Runtime) {
        self.init(shape: shape, data: data, label: label, requiresGrad: requiresGrad, id: runtime.nextTensorID())
    }

    private init(shape: [Int], data: [Float], label: String?, requiresGrad: Bool, id: Int) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(shape.product == data.count,
                     "shape \(shape) holds \(shape.product) values, got \(data.count)")
        self.id = id
        self.shape = shape
        self.storedData = data
        self.givenLabel = label
        self.storedRequiresGrad = requiresGrad
    }

    public var count: Int { data.count }
    public var rank: Int { shape.count }
    public var isLeaf: Bool { node == nil }

    /// The single value of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item() needs a one-element tensor, shape is \(shape)")
        return data[0]
    }

    /// Gradient as a tensor (for printing and comparison); nil before backward.
    public var gradTensor: Tensor? {
        grad.map { Tensor(shape: shape, data: $0, label: "grad(\(label))") }
    }

    /// Mark this leaf as a parameter whose gradient we want.
    @discardableResult
    public func requiringGrad(_ flag: Bool = true) -> Tensor {
        precondition(isLeaf, "only leaves can change requiresGrad (\(label))")
        storedRequiresGrad = flag
        return self
    }

    /// Give this tensor the lesson's name (`in1`, `h`), so later ops are labelled with it. Named
    /// right after the op that made it, the name is in that op's forward event (which waits for
    /// the next op, `Runtime.reportNewest`) and in its backward event.
    @discardableResult
    public func named(_ name: String) -> Tensor {
        label = name
        node?.label = name
        return self
    }

    /// Forget the gradient (the optimizer's `zero_grad`).
    public func zeroGrad() { storedGrad = nil }

    /// In-place update of a leaf's values, outside autodiff (optimizer steps, loading weights).
    public func assign(_ values: [Float]) {
        precondition(values.count == count, "assign: \(values.count) values for shape \(shape)")
        storedData = values
    }

    /// In-place update through a closure over the raw values (optimizers).
    public func update(_ body: (inout [Float]) -> Void) { body(&storedData) }

    /// A leaf with the same values that is cut off from the graph (`.detach()`).
    public func detached() -> Tensor { Tensor(shape: shape, data: data, label: label) }
}

extension Array where Element == Int {
    /// Number of elements of a tensor with this shape.
    public var product: Int { reduce(1, *) }
}

// MARK: creation

extension Tensor {
    public static func zeros(_ shape: [Int], label: String = "") -> Tensor {
        Tensor(shape: shape, data: [Float](repeating: 0, count: shape.product), label: label)
    }

    public static func ones(_ shape: [Int], label: String = "") -> Tensor {
        Tensor(shape: shape, data: [Float](repeating: 1, count: shape.product), label: label)
    }

    public static func full(_ shape: [Int], _ value: Float, label: String = "") -> Tensor {
        Tensor(shape: shape, data: [Float](repeating: value, count: shape.product), label: label)
    }

    public static func scalar(_ value: Float, label: String = "") -> Tensor {
        Tensor(shape: [], data: [value], label: label)
    }

    /// From nested values, e.g. `Tensor([[1, 2], [3, 4]])`.
    public convenience init(_ rows: [[Float]], label: String = "") {
        let cols = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == cols }, "ragged rows")
        self.init(shape: [rows.count, cols], data: rows.flatMap { $0 }, label: label)
    }

    public convenience init(_ values: [Float], label: String = "") {
        self.init(shape: [values.count], data: values, label: label)
    }

    /// Values drawn from U(low, high) with the project's seeded generator.
    public static func uniform(_ shape: [Int], low: Float, high: Float,
                               using rng: SeededGenerator = Runtime.current.rng, label: String = "") -> Tensor {
        let n = shape.product
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n { values[i] = rng.uniform(low, high) }
        return Tensor(shape: shape, data: values, label: label)
    }

    /// Values drawn from N(mean, std²) with the project's seeded generator.
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1,
                              using rng: SeededGenerator = Runtime.current.rng, label: String = "") -> Tensor {
        let n = shape.product
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n { values[i] = mean + std * rng.normal() }
        return Tensor(shape: shape, data: values, label: label)
    }
}
