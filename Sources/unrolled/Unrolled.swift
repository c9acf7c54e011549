import ArgumentParser
import Foundation
import LessonEngine
import Models
import TensorCore

@main
struct Unrolled: ParsableCommand {
    /// BLAS threads are set here, once, before any command runs. UNROLLED_THREADS=N fixes N;
    /// the default lets large products choose 1 or 2 threads by timing both as they run
    /// (`BLAS.adaptThreads`): on an idle 2-core machine two threads made a CharLoop epoch 1.7×
    /// faster, and with both cores busy elsewhere two threads spin-wait and ran it 9× slower
    /// than one (README, "Speed"). Skinny products (< 16 MFLOP) always use one thread.
    static func main() {
        let requested = ProcessInfo.processInfo.environment["UNROLLED_THREADS"] ?? "auto"
        if let n = Int(requested) { BLAS.setThreads(max(1, n)) } else { BLAS.adaptThreads(maxThreads: 2) }
        Allocator.keepFreedBuffers()
        main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "unrolled",
        abstract: "Replay the fast.ai lesson-6 models one tensor operation at a time.",
        subcommands: [List.self, Run.self, Play.self, Step.self, Trace.self, Generate.self, Golden.self, CorpusCommand.self, BenchRun.self])
}

/// Run a command body, turning input errors into one `error:` line and exit status 1.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as InputError {
        FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
        throw ExitCode(1)
    }
}

/// Load the lesson catalog or fail with a clear line.
func catalog() throws -> Catalog {
    guard let c = Catalog.locate() else {
        throw InputError("no lessons/ directory found (run from the Unrolled checkout or set UNROLLED_LESSONS)")
    }
    return c
}

/// Print a line to stdout immediately (training output should appear as it happens).
func say(_ line: String) {
    print(line)
    fflush(stdout)
}
