import ArgumentParser
import Foundation
import LessonEngine
import Models
import TensorCore

@main
struct Unrolled: ParsableCommand {
    /// BLAS threads are set here, once, before any command runs: 1 unless UNROLLED_THREADS says
    /// otherwise. The lesson's products are skinny (512×256×256 at most) and each takes well
    /// under a millisecond, so a second thread mostly waits at BLIS's barriers; on a loaded
    /// 2-core machine it spin-waits against the neighbour and a Char3 epoch ran 4–30× slower
    /// (README, "Speed"). Elementwise kernels stay single-threaded for the same reason.
    static func main() {
        let requested = ProcessInfo.processInfo.environment["UNROLLED_THREADS"].flatMap { Int($0) }
        BLAS.setThreads(max(1, requested ?? 1))
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
