// Where events go. A sink is told events in order by whatever records them (TensorCore's
// `TraceRecorder`); it does not know about tensors or kernels.

/// Receives events in order, never two at once. `receive` runs on the tracer's own serial
/// queue, or on the training thread for a sink that `receivesInline`; read what a sink
/// collected after the recording ends, or through `Tracer.drain()`.
/// Sendable because the recorder hands events over on its serial queue; a sink's own state is
/// touched by that queue until the recorder drains, then by the reader.
public protocol TraceSink: AnyObject, Sendable {
    func receive(_ event: TraceEvent)
    /// True when `receive` is cheap (keeping or counting events), so that an event with nothing
    /// left to compute can be handed over on the training thread. Sinks that format or write
    /// (JSON Lines) keep the default, false: all their work stays on the queue.
    var receivesInline: Bool { get }
    /// Told when a recorder starts (its source) and stops (nil) sending events here.
    func recorded(by source: TraceSource?)
}

extension TraceSink {
    public var receivesInline: Bool { false }
    public func recorded(by source: TraceSource?) {}
}

/// What a sink reading its events mid-recording asks to deliver everything emitted so far.
public protocol TraceSource: AnyObject {
    func drain()
}

/// Keeps every event in memory, in order: what the step replay and tests use.
public final class MemorySink: TraceSink, @unchecked Sendable {
    private var stored: [TraceEvent] = []
    public init() {}
    public func receive(_ event: TraceEvent) { stored.append(event) }
    public var receivesInline: Bool { true }
    public func clear() { stored.removeAll() }

    /// Everything received so far. Reading while this sink is recording first waits for the
    /// events still on their way (and the newest op's, which waits for its name), so a reader
    /// sees every op that has run.
    public var events: [TraceEvent] {
        source?.drain()
        return stored
    }

    /// The recorder sending events here, while it does.
    private weak var source: TraceSource?
    public func recorded(by source: TraceSource?) { self.source = source }
}

/// Keeps only the number of events: the cost of tracing without a growing buffer or a file
/// (benchmarks).
public final class CountingSink: TraceSink, @unchecked Sendable {
    public private(set) var count = 0
    public init() {}
    public func receive(_ event: TraceEvent) { count += 1 }
    public var receivesInline: Bool { true }
}
