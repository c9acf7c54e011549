// Where events are made. Ops and the tape call `Tracer.emit…` only after checking
// `Tracer.isOn`, so with tracing off an op pays one branch and builds nothing.

public protocol TraceSink: AnyObject {
    func receive(_ event: TraceEvent)
}

public enum Tracer {
    nonisolated(unsafe) public private(set) static var level: TraceLevel = .off
    nonisolated(unsafe) public private(set) static var sink: TraceSink?
    nonisolated(unsafe) static var seq = 0

    /// True when events should be built. The one branch an untraced op pays.
    @inline(__always) public static var isOn: Bool { level != .off }

    /// Send events at `level` to `sink` until `stop()`. Sequence numbers restart at 1.
    public static func start(level: TraceLevel, sink: TraceSink) {
        self.level = level
        self.sink = level == .off ? nil : sink
        seq = 0
    }

    public static func stop() {
        level = .off
        sink = nil
    }

    /// Run `body` with tracing to `sink`, restoring the previous tracer afterwards.
    public static func recording<R>(level: TraceLevel, to sink: TraceSink, _ body: () throws -> R) rethrows -> R {
        let (oldLevel, oldSink, oldSeq) = (self.level, self.sink, self.seq)
        start(level: level, sink: sink)
        defer { self.level = oldLevel; self.sink = oldSink; self.seq = oldSeq }
        return try body()
    }

    /// Describe a buffer at the current level.
    public static func describe(id: Int, label: String, shape: [Int], kind: TracedTensor.Kind = .value,
                                values: [Float], withValues: Bool = true) -> TracedTensor {
        var t = TracedTensor(id: id, label: label, shape: shape, kind: kind)
        guard withValues else { return t }
        switch level {
        case .off: break
        case .summary: t.summary = ValueSummary(values)
        case .full: t.summary = ValueSummary(values); t.values = values
        }
        return t
    }

    /// Emit one event (used by ops, the tape and optimizers; public for the optimizer's update).
    public static func emit(phase: TracePhase, op: String, label: String, attributes: String = "",
                            inputs: [TracedTensor], outputs: [TracedTensor]) {
        guard let sink else { return }
        seq += 1
        sink.receive(TraceEvent(seq: seq, phase: phase, op: op, label: label, attributes: attributes,
                                inputs: inputs, outputs: outputs))
    }
}

/// Keeps every event in memory, in order: what the step replay and tests use.
public final class MemorySink: TraceSink {
    public private(set) var events: [TraceEvent] = []
    public init() {}
    public func receive(_ event: TraceEvent) { events.append(event) }
    public func clear() { events.removeAll() }
}
