// Where events are made. Ops and the tape call `Tracer.emit…` only after checking
// `Tracer.isOn`, so with tracing off an op pays one branch and builds nothing.

import Dispatch
import Synchronization

/// Where one runtime's events are made. Ops and the tape reach it through their `Runtime`
/// (`runtime.recorder`); everyone else through `Tracer`, for the calling thread's runtime.
/// @unchecked Sendable: its session's thread emits; the queue it owns summarises and delivers.
/// What the queue touches (`queueSummaries`, the handed-over batch) the thread does not.
public final class TraceRecorder: TraceSource, @unchecked Sendable {
    @exclusivity(unchecked) public private(set) var level: TraceLevel = .off
    @exclusivity(unchecked) public private(set) var sink: TraceSink?
    @exclusivity(unchecked) var seq = 0
    /// The runtime whose ops this records: its newest result is reported before anyone reads
    /// the trace (`drain`). The runtime owns its recorder and clears this when it goes; not
    /// `weak`, which would move every retain of the runtime to a side table (+1.5% per step).
    unowned(unsafe) var runtime: Runtime?

    init() {}

    /// True when events should be built. The one branch an untraced op pays.
    #if UNROLLED_NO_TRACE
    @inline(__always) public var isOn: Bool { false }
    #else
    @inline(__always) public var isOn: Bool { level != .off }
    #endif

    /// Whether kernels should measure what they write (`measuring:`): events at `summary` carry
    /// statistics, and a kernel takes them cheapest while writing.
    @inline(__always) public var measures: Bool { isOn && level == .summary }

    /// Send events at `level` to `sink` until `stop()`. Sequence numbers restart at 1.
    public func start(level: TraceLevel, sink: TraceSink) {
        precondition(Tracer.compiledIn || level == .off,
                     "this build has tracing compiled out (UNROLLED_NO_TRACE=1); rebuild without it to trace")
        drain()
        self.level = level
        attach(level == .off ? nil : sink)
        seq = 0
    }

    /// Send events to `sink` from now on, telling the old and the new one.
    private func attach(_ sink: TraceSink?) {
        self.sink?.recorded(by: nil)
        self.sink = sink
        sink?.recorded(by: self)
    }

    public func stop() {
        drain()
        level = .off
        attach(nil)
        forgetSummaries()
    }

    /// Statistics, JSON and sinks run here, on the second core, while training goes on: the op
    /// only hands over references to its (copy-on-write, never mutated) buffers. A serial queue
    /// keeps events in order; `drain()` waits until every handed-over event has arrived.
    let queue = DispatchQueue(label: "unrolled.trace")

    /// Events made but not yet handed to the queue, and the bytes of values they hold.
    @exclusivity(unchecked) var outbox: [TraceEvent] = []
    @exclusivity(unchecked) var outboxBytes = 0

    /// Batches handed to the queue and not yet delivered to the sink.
    let inFlight = Atomic<Int>(0)

    func deliver(_ event: TraceEvent) {
        guard let sink else { return }
        // An event whose statistics are done, for a sink that only keeps or counts it, goes
        // straight to the sink when nothing is queued ahead of it (so order holds). Through
        // the queue, each event's strings and arrays were freed on the other thread: glibc's
        // arena lock and cold caches: traced linear SGD took a median 0.48 s, 0.27 s like this.
        if sink.receivesInline && outbox.isEmpty && !event.carriesValues
            && inFlight.load(ordering: .acquiring) == 0 {
            sink.receive(event)
            return
        }
        outbox.append(event)
        for t in event.inputs { outboxBytes += (t.storedValues?.count ?? 0) * 4 }
        for t in event.outputs { outboxBytes += (t.storedValues?.count ?? 0) * 4 }
        // Hand events over in batches: one wake-up of the queue per event was a futex call per
        // op, 13% of a traced linear-SGD run. The byte limit bounds how long big buffers are
        // kept alive for the queue (a 512×256 batch is 512 KB).
        if outbox.count >= 64 || outboxBytes >= 4 << 20 { handOver() }
    }

    func handOver() {
        guard let sink, !outbox.isEmpty else { return }
        let batch = outbox, level = self.level
        outbox = []
        outbox.reserveCapacity(64)
        outboxBytes = 0
        inFlight.add(1, ordering: .relaxed)
        queue.async { [self] in
            for event in batch {
                var e = event
                summarise(&e.inputs, level: level)
                summarise(&e.outputs, level: level)
                sink.receive(e)
            }
            inFlight.subtract(1, ordering: .releasing)
        }
    }

    /// Fill in each described tensor's statistics; at `summary` level drop the values again
    /// (they were only carried over for the statistics).
    func summarise(_ tensors: inout [TracedTensor], level: TraceLevel) {
        for i in tensors.indices {
            guard let values = tensors[i].storedValues, tensors[i].summary == nil else { continue }
            tensors[i].summary = Self.summary(of: values, shape: tensors[i].shape, block: tensors[i].block,
                                              cache: &queueSummaries)
            if level != .full { tensors[i].storedValues = nil; tensors[i].block = nil }
        }
    }

    /// Wait until every op run so far, the newest included, has reached the sink as an event.
    public func drain() {
        runtime?.reportNewest()
        handOver()
        queue.sync {}
    }

    /// Run `body` with tracing to `sink`, restoring the previous tracer afterwards.
    public func recording<R>(level: TraceLevel, to sink: TraceSink, _ body: () throws -> R) rethrows -> R {
        runtime?.reportNewest()
        let (oldLevel, oldSink, oldSeq) = (self.level, self.sink, self.seq)
        start(level: level, sink: sink)
        defer {
            drain()
            self.level = oldLevel; self.seq = oldSeq
            attach(oldSink)
            if oldLevel == .off { forgetSummaries() }
        }
        return try body()
    }

    /// Describe a buffer at the current level. `moments`: the statistics the kernel that wrote
    /// `values` took as it wrote them, if it did.
    public func describe(id: Int, label: String, shape: [Int], kind: TracedTensor.Kind = .value,
                         values: [Float], moments: Kernels.Moments? = nil, block: TensorBlock? = nil,
                         withValues: Bool = true) -> TracedTensor {
        // NOTE: each path builds its TracedTensor once and returns it; a `var t` filled in
        // along the way was copied and destroyed on the way out (lesson 1: 8 copies per step).
        guard withValues, level != .off else {
            return TracedTensor(id: id, label: label, shape: shape, kind: kind)
        }
        if level == .summary, let m = moments {
            // Backward describes this buffer again (as the next rule's incoming gradient).
            trainingThreadSummaries.remember(values, m)
            return TracedTensor(id: id, label: label, shape: shape, kind: kind,
                                summary: ValueSummary(moments: m, count: values.count, block: block, shape: shape))
        }
        if level == .summary && (Parallel.usable || values.count <= Self.inlineSummaryLimit) {
            // Statistics now, on this thread and BLAS's worker (`Kernels.moments` splits large
            // buffers across both). On the trace queue instead, they took the second core from
            // BLAS's worker in the middle of products: a traced CharLoop slice spent 4.3–5.0 s
            // in products against 2.9–3.3 s untraced. Small buffers are summarised here in any
            // case: handing them to the other core cost more than reading them.
            return TracedTensor(id: id, label: label, shape: shape, kind: kind,
                                summary: Self.summary(of: values, shape: shape, block: block, cache: &trainingThreadSummaries))
        }
        // Off the training thread, or without an OpenMP team to share the work, the queue
        // computes the statistics (and at `full` writes the values) on the other core. Until
        // then the tensor only keeps a reference to the values, which costs no copy.
        return TracedTensor(id: id, label: label, shape: shape, kind: kind, values: values, block: block)
    }

    /// Buffers up to this many values (256 KB, within this core's L2) are summarised where the op ran.
    static let inlineSummaryLimit = 1 << 16

    /// Statistics of recently summarised buffers, one list for the trace queue and one for the
    /// training thread. Backward describes most buffers twice (a rule's gradient for its input
    /// is the next rule's incoming `grad`, `add` passes `grad` through unchanged, and `select`
    /// passes it on as a block of its input's gradient), and a parameter used three times is
    /// described three times; a summary is a full pass over the values, so repeats are looked
    /// up here.
    var queueSummaries = RecentBuffers<Kernels.Moments>(limit: 16)
    @exclusivity(unchecked) var trainingThreadSummaries = RecentBuffers<Kernels.Moments>(limit: 16)

    /// Drop both lists (and the buffers they keep alive) when tracing stops.
    func forgetSummaries() {
        queue.sync { queueSummaries.removeAll() }
        trainingThreadSummaries.removeAll()
    }

    /// The summary of a tensor of `shape` holding `values` (only inside `block` when given).
    static func summary(of values: [Float], shape: [Int], block: TensorBlock?,
                        cache: inout RecentBuffers<Kernels.Moments>) -> ValueSummary {
        ValueSummary(moments: moments(of: values, cache: &cache), count: values.count, block: block, shape: shape)
    }

    static func moments(of values: [Float], cache: inout RecentBuffers<Kernels.Moments>) -> Kernels.Moments {
        // Small buffers (scalars, biases) cost less to summarise than to look up, and caching
        // them pushed the large ones out: lesson 1's x and y were summarised at every step.
        if values.count < 1024 { return Kernels.moments(values) }
        if let known = cache.lookup(values) { return known }
        let m = Kernels.moments(values)
        cache.remember(values, m)
        return m
    }

    /// Emit one event (used by the runtime, the tape and optimizers). `expression`: what the op
    /// would have been called had the model not named its result.
    public func emit(phase: TracePhase, op: String, label: String, attributes: String = "", expression: String = "",
                     inputs: [TracedTensor], outputs: [TracedTensor]) {
        guard sink != nil else { return }
        seq += 1
        deliver(TraceEvent(seq: seq, phase: phase, op: op, label: label, attributes: attributes, expression: expression,
                           inputs: inputs, outputs: outputs))
    }
}

/// The tracer of the calling thread's runtime (`Runtime.current.recorder`), for code that does
/// not hold a runtime: sessions, sinks, tests.
public enum Tracer {
    public static var isOn: Bool { Runtime.current.recorder.isOn }
    public static var level: TraceLevel { Runtime.current.recorder.level }
    public static var sink: TraceSink? { Runtime.current.recorder.sink }
    #if UNROLLED_NO_TRACE
    /// False in a build made with `UNROLLED_NO_TRACE=1`, where every tracing branch is compiled
    /// out: bench/compare.py's reference for what tracing `off` costs. It cannot record.
    public static let compiledIn = false
    #else
    public static let compiledIn = true
    #endif

    /// Send events at `level` to `sink` until `stop()`. Sequence numbers restart at 1.
    public static func start(level: TraceLevel, sink: TraceSink) { Runtime.current.recorder.start(level: level, sink: sink) }
    public static func stop() { Runtime.current.recorder.stop() }
    /// Deliver the newest op's event, if it is still waiting for a name.
    public static func flush() { Runtime.current.reportNewest() }
    /// Wait until every event emitted so far has reached its sink.
    public static func drain() { Runtime.current.recorder.drain() }

    /// Run `body` with tracing to `sink`, restoring the previous tracer afterwards.
    public static func recording<R>(level: TraceLevel, to sink: TraceSink, _ body: () throws -> R) rethrows -> R {
        try Runtime.current.recorder.recording(level: level, to: sink, body)
    }

    /// Describe a buffer at the current level.
    public static func describe(id: Int, label: String, shape: [Int], kind: TracedTensor.Kind = .value,
                                values: [Float], block: TensorBlock? = nil, withValues: Bool = true) -> TracedTensor {
        Runtime.current.recorder.describe(id: id, label: label, shape: shape, kind: kind, values: values,
                                          block: block, withValues: withValues)
    }

    /// Emit one event (the optimizers' updates), after the newest op's.
    public static func emit(phase: TracePhase, op: String, label: String, attributes: String = "",
                            inputs: [TracedTensor], outputs: [TracedTensor]) {
        let runtime = Runtime.current
        runtime.reportNewest()
        runtime.recorder.emit(phase: phase, op: op, label: label, attributes: attributes,
                              inputs: inputs, outputs: outputs)
    }
}

