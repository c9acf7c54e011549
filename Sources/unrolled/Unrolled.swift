import ArgumentParser

@main
struct Unrolled: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unrolled",
        abstract: "Replay the fast.ai lesson-6 models one tensor operation at a time.")
}
