import ArgumentParser
import Diagrams
import Foundation
import Models

/// The notes' "Embedding Interpretation": PCA of the most-rated movies' embeddings.
struct CollabPCA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pca",
        abstract: "PCA (3 components, LAPACK) of the most-rated movies' embeddings: top and bottom 10 per component, and a labelled scatter.")

    @OptionGroup var model: CollabWeightsOptions

    @Option(name: .long, help: "How many movies to list at each end of a component.")
    var show: Int = 10

    @Option(name: .long, help: ArgumentHelp("Where the scatter goes: DIR/collab/pca-scatter.svg and .png.", valueName: "DIR"))
    var out: String = "output"

    @Flag(name: .long, help: "Do not write the scatter plot.")
    var noPlot = false

    func run() throws {
        try reportingErrors {
            let (movies, interp) = try model.load()
            let pca = try interp.pca()
            say(movies.summary)
            say("pca = PCA(n_components=3); movie_pca = pca.fit(movie_emb.T).components_    # movie_emb \(interp.topMovies.count)×\(interp.model.nFactors)")
            say("explained variance ratio: " + pca.explainedVarianceRatio.map { String(format: "%.4f", $0) }.joined(separator: ", "))
            for (c, comp) in pca.components.enumerated() {
                let ranked = zip(comp, interp.topMovies).sorted { $0.0 > $1.0 }
                say("fac\(c): highest")
                for (f, id) in ranked.prefix(show) { say(String(format: "  (%.9f, '%@')", f, interp.title(id))) }
                say("fac\(c): lowest")
                for (f, id) in ranked.reversed().prefix(show) { say(String(format: "  (%.9f, '%@')", f, interp.title(id))) }
            }
            if let planted = try plantedMovies(model.source, movies) {
                let k = planted.factors.values.first?.count ?? 0
                for (c, comp) in pca.components.enumerated() {
                    let cors = (0..<k).map { j in
                        Correlation.pearson(comp.map(Double.init), interp.topMovies.map { Double(planted.factors[$0]![j]) })
                    }
                    say("SYNTHETIC check: fac\(c) vs planted factors: " + cors.enumerated().map { String(format: "f%d %+.3f", $0, $1) }.joined(separator: ", "))
                }
            }
            guard !noPlot else { return }
            // The notebook plots movies 50..<100 of topMovies (`start=50; end=100`).
            let picked = Array(interp.topMovies.indices.dropFirst(min(50, max(0, interp.topMovies.count - 50))).prefix(50))
            let items = picked.map { LabelledScatter.Item(x: Double(pca.components[0][$0]), y: Double(pca.components[1][$0]),
                                                          label: interp.title(interp.topMovies[$0])) }
            let synthetic = movies.isSynthetic ? " — SYNTHETIC data" : ""
            let scatter = try LabelledScatter(items: items, title: "Movies \(picked.first! + 1)–\(picked.last! + 1) by rating count, on PCA components 0 and 1\(synthetic)",
                                              xName: "fac0", yName: "fac1")
            let dir = URL(fileURLWithPath: out, isDirectory: true).appendingPathComponent("collab", isDirectory: true)
            let files = try DiagramWriter.writeScene(scatter.scene(), to: dir, name: "pca-scatter", pngScale: 1)
            say("scatter: " + files.map(displayPath).joined(separator: ", "))
        }
    }
}
