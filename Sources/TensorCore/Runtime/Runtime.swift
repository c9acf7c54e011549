// The state a training thread's ops read and change while they run: grad mode, the label scope,
// the tracer, taps, anomaly detection, tensor ids and the seeded generator. One `Runtime`
// belongs to one session (a lesson run, a step replay, a test); the session makes it the
// current runtime of its thread with `activate`, the way PyTorch keeps grad mode per thread.
// Two sessions on two threads never see each other's state, so two models can train in one
// process at once.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// NOTE (@exclusivity(unchecked) on the state below and the recorder's): Swift checks at run
// time that two accesses to a class property never overlap (swift_beginAccess per access). A
// runtime is used by the one thread that activated it, in short accesses that never nest; the
// checks cost 7–11% of a lesson-1 step's instructions (docs/performance.md).
public final class Runtime {
    /// Whether ops build a graph (off inside `GradMode.noGrad`).
    @exclusivity(unchecked) var gradEnabled = true
    /// Labels set by layers for the ops they run (`LabelScope.with`), innermost last.
    @exclusivity(unchecked) var labels: [String] = []
    /// Events of this runtime's ops go to its recorder's sink.
    let recorder = TraceRecorder()
    /// Named intermediates being collected (`Taps.collect`), if any.
    @exclusivity(unchecked) var taps: Taps?
    /// Non-finite values being watched for (`AnomalyMode.detecting`).
    @exclusivity(unchecked) var anomaly = AnomalyState()
    /// The newest op's result, not yet reported (`reportNewest`).
    @exclusivity(unchecked) var newest: NewestResult?
    /// The last tensor id handed out: ids are deterministic for a given sequence of ops, so two
    /// runs with the same seed produce the same trace, ids included.
    @exclusivity(unchecked) var lastTensorID = 0
    /// The last graph walk (`topologicalOrder`) started.
    @exclusivity(unchecked) var walks = 0
    /// Work done so far: matrix products (what `make bench` divides by wall time), pairs and regions.
    @exclusivity(unchecked) public var work = Work()
    /// Every draw of this session (weights, fake data, batch order) comes from here.
    public let rng: SeededGenerator

    public init(seed: UInt64 = 42) {
        rng = SeededGenerator(seed: seed)
        recorder.runtime = self
    }

    deinit { recorder.runtime = nil }

    /// Report the newest op's result to the trace, taps and anomaly detection, under the name it
    /// has now. Every op reports its predecessor; whoever reads what was reported (a sink, taps,
    /// anomaly detection, backward, an optimizer's own event) calls this first.
    func reportNewest() {
        // Checked first: `take()` moves the whole optional out and back even when it is nil.
        guard newest != nil, let n = newest.take() else { return }
        let result = n.result, label = result.label
        if let taps {
            // Named leaves it read (`h`, the starting state) have no op of their own to report them.
            for input in n.inputs where input.isLeaf && !input.madeByOp && !input.label.isEmpty && taps[input.label] == nil {
                taps.record(input.label, input)
            }
            if label != n.madeLabel { taps.record(n.madeLabel, result) }
            taps.record(label, result)
        }
        if anomaly.isOn {
            anomaly.check(.forward, op: n.op.rawValue, label: label, id: result.id, shape: result.shape,
                          values: n.values, inputs: n.inputs.map(\.data))
        }
        guard recorder.isOn else { return }
        recorder.emit(phase: .forward, op: n.op.rawValue, label: label, attributes: n.attributes,
                      expression: label == n.madeLabel ? "" : n.madeLabel, inputs: n.described,
                      outputs: [recorder.describe(id: result.id, label: label, shape: result.shape,
                                                  values: n.values, moments: n.moments)])
    }

    /// The runtime of the calling thread: the one a session activated, or the thread's own,
    /// made on first use.
    public static var current: Runtime { withCurrent { $0 } }

    /// `body` with the current runtime, borrowed: the thread's slot keeps it alive, so the hot
    /// paths (every op, every measured kernel) skip a retain and release per look-up.
    @inline(__always)
    static func withCurrent<R>(_ body: (Runtime) throws -> R) rethrows -> R {
        if let p = pthread_getspecific(key) { return try Unmanaged<Runtime>.fromOpaque(p)._withUnsafeGuaranteedRef(body) }
        let own = Runtime()
        pthread_setspecific(key, Unmanaged.passRetained(own).toOpaque())
        return try body(own)
    }

    /// Run `body` with this runtime as the calling thread's current one, then restore the previous.
    public func activate<R>(_ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(Self.key)
        pthread_setspecific(Self.key, Unmanaged.passRetained(self).toOpaque())
        defer {
            pthread_setspecific(Self.key, previous)
            Unmanaged.passUnretained(self).release()
        }
        return try body()
    }

    /// The next tensor id.
    @inline(__always) func nextTensorID() -> Int {
        lastTensorID += 1
        return lastTensorID
    }

    /// Restart tensor numbering, e.g. before recording one training step for replay.
    public func resetTensorIDs() { lastTensorID = 0 }

    /// The slot holding each thread's current runtime; a thread's reference is released when it ends.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { p in
            if let p { Unmanaged<Runtime>.fromOpaque(p).release() }
        }
        precondition(status == 0, "pthread_key_create failed (\(status))")
        return key
    }()
}

/// Matrix products issued through `BLAS.gemm`, and the two ways the second core was shared.
public struct Work {
    /// Floating-point operations, 2·m·n·k per product.
    public var flops = 0
    /// Wall time inside cblas_sgemm (two clock reads per product, against the ≥ 10 µs of a
    /// lesson's smallest product).
    public var nanoseconds: UInt64 = 0
    /// Pairs of products run at once (`Kernels.matmulPair`).
    public var pairs = 0
    /// Elementwise kernels split across BLAS's OpenMP team (`Parallel.forRanges`).
    public var regions = 0
    public init() {}
}

/// An op's result waiting to be reported: what its event, taps entry and anomaly check need.
struct NewestResult {
    let op: Primitive
    let inputs: [Tensor]
    let result: Tensor
    /// Its values as the op wrote them, and its inputs as the trace describes them (when
    /// tracing): as they were when the op ran, whatever is updated in place before the report.
    let values: [Float]
    let attributes: String
    /// The label the op made (`h+in1`, or its layer's): the event's expression when the model
    /// named the result.
    let madeLabel: String
    /// The statistics its kernel took of the values, if it was asked to.
    let moments: Kernels.Moments?
    let described: [TracedTensor]
}

/// Anomaly detection's state: on or off, the first anomaly seen, and the op count so far.
struct AnomalyState {
    var isOn = false
    var first: Anomaly?
    var counter = 0
}
