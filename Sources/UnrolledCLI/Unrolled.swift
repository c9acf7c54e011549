import ArgumentParser
import CBLAS
import Diagrams
import Foundation
import LessonEngine
import Models
import Formats
import TensorCore

/// The `unrolled` command; the executable's main.swift only calls `Unrolled.main()`.
public struct Unrolled: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "unrolled",
        abstract: "Replay the fast.ai lesson-6 models one tensor operation at a time.",
        subcommands: [List.self, Run.self, Play.self, Step.self, Watch.self, Trace.self, Draw.self, Generate.self, Eval.self,
                      Golden.self, CorpusCommand.self, DataCommand.self, CollabCommand.self, BookCommand.self,
                      TrainVsEvalCommand.self])
}

extension Unrolled {
    /// ArgumentParser's `main`, with its usage errors shortened to one `error:` line (plus a
    /// pointer to --help) and exit status 64; help and version output are unchanged.
    public static func main() {
        prepareProcess()
        // A mistyped subcommand reads to ArgumentParser as stray arguments: name the closest.
        var names: [String] = ["help"]
        var shown: [String] = ["help"]
        for command in configuration.subcommands {
            names.append(command._commandName)
            if command.configuration.shouldDisplay { shown.append(command._commandName) }
        }
        if let first = CommandLine.arguments.dropFirst().first, !first.hasPrefix("-"), !names.contains(first) {
            let hint = DidYouMean.hint(for: first, among: shown).map { "; " + $0 } ?? ""
            FileHandle.standardError.write(Data("error: unknown command '\(first)'\(hint) (see 'unrolled --help')\n".utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success || error is ExitCode || error is CleanExit { exit(withError: error) }
            let message = Unrolled.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            let command = CommandLine.arguments.dropFirst().first { !$0.hasPrefix("-") }
                .flatMap { name in Unrolled.configuration.subcommands.contains { $0._commandName == name } ? " \(name)" : nil } ?? ""
            FileHandle.standardError.write(Data("error: \(message) (see 'unrolled\(command) --help')\n".utf8))
            Foundation.exit(code.rawValue)
        }
    }
}

extension Unrolled {
    /// What every Unrolled executable sets up before parsing (`unrolled`, `unrolled-dev`): the
    /// CPU check, BLAS threads, buffer reuse and signal handling, so that `unrolled-dev bench-run`
    /// times training exactly as `unrolled run` trains.
    ///
    /// BLAS threads are set here, once, before any command runs. UNROLLED_THREADS=N fixes N;
    /// the default lets large products choose 1 or 2 threads by timing both as they run
    /// (`BLAS.adaptThreads`): on an idle 2-core machine two threads made a CharLoop epoch 1.7×
    /// faster, and with both cores busy elsewhere two threads spin-wait and ran it 9× slower
    /// than one (README, "Speed"). Products under 4 MFLOP always use one thread.
    public static func prepareProcess() {
        // TensorCore is compiled for AVX2 + FMA (Package.swift); say so instead of dying on
        // SIGILL at the first kernel.
        if unrolled_cpu_has_avx2_fma() == 0 {
            FileHandle.standardError.write(Data("error: this build of unrolled needs a CPU with AVX2 and FMA; rebuild with UNROLLED_PORTABLE=1 (e.g. UNROLLED_PORTABLE=1 make demo)\n".utf8))
            Foundation.exit(1)
        }
        let requested = ProcessInfo.processInfo.environment["UNROLLED_THREADS"] ?? "auto"
        if let n = Int(requested) { BLAS.setThreads(max(1, n)) } else { BLAS.adaptThreads(maxThreads: 2) }
        Allocator.keepFreedBuffers()
        // A file-size limit (ulimit -f) should fail a write with EFBIG, reported as an error,
        // not kill the process halfway through a temporary file.
        signal(SIGXFSZ, SIG_IGN)
        // Ctrl-C and SIGTERM remove temporary files before ending; commands with long loops
        // switch to stopping between steps (`Interruption.installHandler`).
        Interruption.installImmediateHandler()
    }
}

/// Run a command body, turning the errors a user can cause into one `error:` line: exit status
/// 1 for bad input or a failed write, 1 for a diverging run, 130 (as a shell reports SIGINT)
/// when Ctrl-C stopped training. `interruptible` commands check Ctrl-C and SIGTERM in their
/// loops (`Interruption.cooperating`) instead of ending at once.
public func reportingErrors(interruptible: Bool = false, _ body: () throws -> Void) throws {
    func fail(_ message: String, _ code: Int32 = 1) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        return ExitCode(code)
    }
    do {
        if interruptible { try Interruption.cooperating(body) } else { try body() }
    } catch let error as InputError where error.isUsage {
        // A malformed flag value: a usage error like those ArgumentParser finds, exit 64.
        let command = CommandLine.arguments.dropFirst().first { !$0.hasPrefix("-") } ?? ""
        // The binary's own name: `unrolled`, or `unrolled-dev` for bench-run.
        let program = CommandLine.arguments.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "unrolled"
        throw fail("\(error.message) (see '\(program) \(command) --help')", ExitCode.validationFailure.rawValue)
    } catch let error as InputError {
        throw fail(error.message)
    } catch let error as NonFiniteError {
        throw fail(error.description)
    } catch let error as FileWriteError {
        throw fail("cannot write \(error.description)")
    } catch let error as SafeTensorsError {
        throw fail("safetensors \(error.description)")
    } catch let error as DiagramError {
        throw fail(error.description)
    } catch let error as Interrupted {
        throw fail("\(error.description); nothing else written", Interruption.exitStatus)
    }
}

/// Load the lesson catalog or fail with a clear line.
public func catalog() throws -> Catalog {
    guard let c = Catalog.locate() else {
        throw InputError("no lessons/ directory found (run from the Unrolled checkout or set UNROLLED_LESSONS)")
    }
    return c
}

/// Print a line to stdout immediately (training output should appear as it happens).
public func say(_ line: String) {
    print(line)
    flushStandardOutput()
}

/// Write out what `print` has buffered. fflush(NULL) flushes every C output stream, stdout among
/// them, without reading C's `stdout` variable (shared mutable state to Swift 6).
func flushStandardOutput() {
    fflush(nil)
}
