// Where events are made. Ops and the tape call `Tracer.emit…` only after checking
// `Tracer.isOn`, so with tracing off an op pays one branch and builds nothing.

public protocol TraceSink: AnyObject {
    func receive(_ event: TraceEvent)
}

public enum Tracer {
    nonisolated(unsafe) public private(set) static var level: TraceLevel = .off
    nonisolated(unsafe) public private(set) static var sink: TraceSink?
    nonisolated(unsafe) static var seq = 0
    /// The newest forward event, held back until the next event so that a model naming the
    /// result (`relu(...).named("in1")`) can still give the event that name.
    nonisolated(unsafe) static var pending: TraceEvent?

    /// True when events should be built. The one branch an untraced op pays.
    @inline(__always) public static var isOn: Bool { level != .off }

    /// Send events at `level` to `sink` until `stop()`. Sequence numbers restart at 1.
    public static func start(level: TraceLevel, sink: TraceSink) {
        flush()
        self.level = level
        self.sink = level == .off ? nil : sink
        seq = 0
    }

    public static func stop() {
        flush()
        level = .off
        sink = nil
        recentSummaries.removeAll()
    }

    /// Deliver the held-back event, if any.
    public static func flush() {
        if let event = pending {
            pending = nil
            sink?.receive(event)
        }
    }

    /// The model named tensor `id`: if the held-back event made it, relabel the event and keep
    /// the expression it was built as.
    static func rename(id: Int, to name: String) {
        guard var event = pending, event.outputs.first?.id == id, event.label != name else { return }
        if event.expression.isEmpty { event.expression = event.label }
        event.label = name
        event.outputs[0].label = name
        pending = event
    }

    /// Run `body` with tracing to `sink`, restoring the previous tracer afterwards.
    public static func recording<R>(level: TraceLevel, to sink: TraceSink, _ body: () throws -> R) rethrows -> R {
        flush()
        let (oldLevel, oldSink, oldSeq) = (self.level, self.sink, self.seq)
        start(level: level, sink: sink)
        defer {
            flush()
            self.level = oldLevel; self.sink = oldSink; self.seq = oldSeq
            if oldLevel == .off { recentSummaries.removeAll() }
        }
        return try body()
    }

    /// Describe a buffer at the current level.
    public static func describe(id: Int, label: String, shape: [Int], kind: TracedTensor.Kind = .value,
                                values: [Float], withValues: Bool = true) -> TracedTensor {
        var t = TracedTensor(id: id, label: label, shape: shape, kind: kind)
        guard withValues else { return t }
        switch level {
        case .off: break
        case .summary: t.summary = summary(of: values)
        case .full: t.summary = summary(of: values); t.values = values
        }
        return t
    }

    /// Recently summarised buffers. Backward describes most buffers twice (a rule's gradient
    /// for its input is the next rule's incoming `grad`, and `add` passes `grad` through
    /// unchanged), and a parameter used three times is described three times; a summary is a
    /// full pass over the values, so repeats are looked up here instead. Holding each array
    /// keeps its storage alive and copy-on-write (nobody can change it in place), so the same
    /// storage address means the same values.
    nonisolated(unsafe) static var recentSummaries: [(values: [Float], summary: ValueSummary)] = []

    static func summary(of values: [Float]) -> ValueSummary {
        // Small buffers (scalars, biases) cost less to summarise than to look up, and caching
        // them pushed the large ones out: lesson 1's x and y were summarised at every step.
        if values.count < 1024 { return ValueSummary(values) }
        let address = values.withUnsafeBufferPointer { $0.baseAddress }
        for entry in recentSummaries where entry.values.count == values.count {
            if entry.values.withUnsafeBufferPointer({ $0.baseAddress }) == address { return entry.summary }
        }
        let s = ValueSummary(values)
        if recentSummaries.count == 16 { recentSummaries.removeFirst() }
        recentSummaries.append((values, s))
        return s
    }

    /// Emit one event (used by ops, the tape and optimizers; public for the optimizer's update).
    public static func emit(phase: TracePhase, op: String, label: String, attributes: String = "",
                            inputs: [TracedTensor], outputs: [TracedTensor]) {
        guard let sink else { return }
        flush()
        seq += 1
        let event = TraceEvent(seq: seq, phase: phase, op: op, label: label, attributes: attributes,
                               inputs: inputs, outputs: outputs)
        if phase == .forward { pending = event } else { sink.receive(event) }
    }
}

/// Keeps every event in memory, in order: what the step replay and tests use.
public final class MemorySink: TraceSink {
    private var stored: [TraceEvent] = []
    public init() {}
    public func receive(_ event: TraceEvent) { stored.append(event) }
    public func clear() { stored.removeAll() }

    /// Everything received so far. Reading while this sink is recording first delivers the
    /// held-back newest event, so a reader always sees every op that has run.
    public var events: [TraceEvent] {
        if Tracer.sink === self { Tracer.flush() }
        return stored
    }
}
