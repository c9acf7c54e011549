#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization
import TensorCore

/// Ctrl-C (SIGINT) and SIGTERM as a request, not a kill: the handler only sets a flag, and long
/// loops (training, validation, tracing, drawing, generation) check it and stop with
/// `Interrupted`, so no file is left half-written and the command exits 130. A second signal
/// does not wait for a loop: it removes the temporary files being written (`TemporaryFiles`)
/// and ends the process at once with 128 + the signal number.
public enum Interruption {
    /// The signal that asked to stop, or 0. Lock-free atomics are safe to store from a signal
    /// handler, and every thread sees the request.
    static let signalled = Atomic<Int32>(0)

    /// Set while a command's loops check `requested`; otherwise the first signal acts at once.
    static let cooperative = Atomic<Bool>(false)

    static var flag: Int32 { signalled.load(ordering: .relaxed) }

    public static var requested: Bool { flag != 0 }

    /// Install the SIGINT and SIGTERM handlers: at once, the CLI does this for every command.
    /// Until `installHandler()` says the command's loops check `requested`, a signal removes the
    /// temporary files and ends the process, as the second signal always does.
    public static func installImmediateHandler() {
        install()
    }

    /// From now on the first signal only asks the command's loops to stop.
    public static func installHandler() {
        signalled.store(0, ordering: .relaxed)
        cooperative.store(true, ordering: .relaxed)
        install()
    }

    static func install() {
        // The table's lazy initializer allocates: run it now, never inside the handler.
        _ = TemporaryFiles.count
        for s in [SIGINT, SIGTERM] {
            signal(s) { signo in
                if Interruption.flag != 0 || !Interruption.cooperative.load(ordering: .relaxed) {
                    TemporaryFiles.removeAllFromSignalHandler()
                    let text: StaticString = "\nerror: interrupted; stopped at once, temporary files removed\n"
                    _ = write(2, text.utf8Start, text.utf8CodeUnitCount)
                    _exit(128 + signo)
                }
                Interruption.signalled.store(signo, ordering: .relaxed)
            }
        }
    }

    /// Run `body` with the first signal as a request that its loops check (`check`), then go
    /// back to stopping at once: `step` waits for typed commands afterwards, where a loop that
    /// no longer checks would make Ctrl-C need pressing twice.
    public static func cooperating<T>(_ body: () throws -> T) rethrows -> T {
        signalled.store(0, ordering: .relaxed)
        cooperative.store(true, ordering: .relaxed)
        defer { cooperative.store(false, ordering: .relaxed) }
        return try body()
    }

    /// Stop with `Interrupted` when a stop was requested (a loop calls this between steps).
    public static func check(_ what: @autoclosure () -> String) throws {
        if flag != 0 { throw Interrupted(what: what()) }
    }

    /// `check` for an activity: the error reads `interrupted while <activity>`.
    public static func check(while activity: @autoclosure () -> String) throws {
        if flag != 0 { throw Interrupted(while: activity()) }
    }

    /// Ask running work to stop, as Ctrl-C does (tests use this).
    public static func request() { signalled.store(SIGINT, ordering: .relaxed) }
    public static func reset() { signalled.store(0, ordering: .relaxed) }
    /// The exit status a shell reports for the signal that asked to stop (130 for Ctrl-C).
    public static var exitStatus: Int32 { 128 + (flag == 0 ? SIGINT : flag) }
}

/// Work stopped at the user's request (Ctrl-C or SIGTERM).
public struct Interrupted: Error, CustomStringConvertible {
    /// Where it stopped: `epoch 2, batch 7`, `validation of epoch 2`, `tracing`.
    public var place: String
    /// Where the run can continue from, added by whoever wrote checkpoints.
    public var note = ""
    private var preposition = "at"
    public init(epoch: Int, batch: Int) { place = "epoch \(epoch), batch \(batch + 1)" }
    public init(what: String) { place = what }
    /// Stopped during an activity rather than at a numbered place: `while writing the trace`.
    public init(while activity: String) { place = activity; preposition = "while" }
    public var description: String { "interrupted \(preposition) \(place)\(note)" }
}

/// A trace sink that stops passing events on once a stop was requested: the step being traced
/// still finishes its arithmetic, but the trace, which will be thrown away, is not written on.
public final class StoppingSink: TraceSink {
    let inner: TraceSink
    public init(_ inner: TraceSink) { self.inner = inner }
    public func receive(_ event: TraceEvent) {
        if Interruption.flag == 0 { inner.receive(event) }
    }
    public var receivesInline: Bool { inner.receivesInline }
}
