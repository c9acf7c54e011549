import ArgumentParser

/// `unrolled data …`: the data sets lessons read.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Download MovieLens ml-latest-small, or write the synthetic planted-factor set.",
        subcommands: [DataDownload.self, DataSynthetic.self])
}
