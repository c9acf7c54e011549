#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ctrl-C as a request, not a kill: the handler only sets a flag, training loops check it
/// between batches and stop cleanly (`Interrupted`), so no file is left half-written. A second
/// Ctrl-C gets the default action back and ends the process at once.
public enum Interruption {
    nonisolated(unsafe) static var flag: sig_atomic_t = 0

    public static var requested: Bool { flag != 0 }

    /// Install the SIGINT handler (the CLI does this for commands that train).
    public static func installHandler() {
        flag = 0
        signal(SIGINT) { _ in
            Interruption.flag = 1
            signal(SIGINT, SIG_DFL)
        }
    }

    /// Ask running training to stop, as Ctrl-C does (tests use this).
    public static func request() { flag = 1 }
    public static func reset() { flag = 0 }
}

/// Training stopped at the user's request before batch `batch` of epoch `epoch`.
public struct Interrupted: Error, CustomStringConvertible {
    public var epoch: Int
    public var batch: Int
    /// Where the run can continue from, added by whoever wrote checkpoints.
    public var note = ""
    public init(epoch: Int, batch: Int) { self.epoch = epoch; self.batch = batch }
    public var description: String { "interrupted at epoch \(epoch), batch \(batch + 1)\(note)" }
}
