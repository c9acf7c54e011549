import ArgumentParser

/// `unrolled collab …`: the notes' interpretation of a trained EmbeddingDotBias.
struct CollabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collab",
        abstract: "Interpret a trained collaborative-filtering model (movie biases, PCA of movie embeddings).",
        subcommands: [CollabBiases.self, CollabPCA.self, CollabFinding.self])
}
