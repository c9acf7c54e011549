import ArgumentParser
import UnrolledCLI

/// `unrolled-dev`: the tools that check and time Unrolled, kept out of the `unrolled` binary
/// users run. Same process setup as `unrolled` (BLAS threads, CPU check, signals).
@main
struct UnrolledDev: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unrolled-dev",
        abstract: "Developer tools for Unrolled: the fuzzer and make bench's timed unit of work.",
        subcommands: [Fuzz.self, BenchRun.self])

    static func main() {
        Unrolled.prepareProcess()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
