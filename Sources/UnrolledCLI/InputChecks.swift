import ArgumentParser

/// A command whose input checks are one method: its own `run()` calls `checkInputs()` before any
/// work, and `unrolled-dev fuzz` calls the same method on random argument vectors, so the fuzzer
/// exercises the real checks, never a copy of them. It reads lesson files and nothing else: no
/// training, no output file, no signal handler.
public protocol ChecksInputs: ParsableCommand {
    /// What the checks produce and `run()` goes on with (the lesson, its options).
    associatedtype CheckedInputs
    func checkInputs() throws -> CheckedInputs
}
