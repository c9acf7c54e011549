// Where events go. A sink is told events in order by whatever records them (TensorCore's
// `TraceRecorder`); it does not know about tensors or kernels.

import Synchronization

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
/// Sendable because the sink keeps it and its reader may be on any thread.
public protocol TraceSource: AnyObject, Sendable {
    func drain()
}

/// Keeps every event in memory, in order: what the step replay and tests use.
public final class MemorySink: TraceSink {
    /// Appended to by the recorder (its queue, or the training thread), read by anyone.
    private let state = Mutex(State())
    private struct State {
        var events: [TraceEvent] = []
        /// The recorder sending events here, while it does.
        weak var source: TraceSource?
    }

    public init() {}
    public func receive(_ event: TraceEvent) { state.withLock { $0.events.append(event) } }
    public var receivesInline: Bool { true }
    public func clear() { state.withLock { $0.events.removeAll() } }

    /// Everything received so far. Reading while this sink is recording first waits for the
    /// events still on their way (and the newest op's, which waits for its name), so a reader
    /// sees every op that has run.
    public var events: [TraceEvent] {
        // Outside the lock: draining delivers events, which takes it.
        state.withLock { $0.source }?.drain()
        return state.withLock { $0.events }
    }

    public func recorded(by source: TraceSource?) { state.withLock { $0.source = source } }
}

/// Keeps only the number of events: the cost of tracing without a growing buffer or a file
/// (benchmarks).
public final class CountingSink: TraceSink {
    private let received = Atomic<Int>(0)
    public var count: Int { received.load(ordering: .relaxed) }
    public init() {}
    public func receive(_ event: TraceEvent) { received.wrappingAdd(1, ordering: .relaxed) }
    public var receivesInline: Bool { true }
}
