import ArgumentParser
import Foundation
import Models
import TensorCore

/// The check behind the lesson's narration: are the notes' "worst" and "best" movies (all
/// within ±0.05) what an untrained model shows? Compares the model as `get_emb` initialised it
/// (same seed) with the trained weights.
struct CollabFinding: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finding",
        abstract: "Untrained vs trained: movie-bias extremes and PCA, against the ±0.05 of get_emb's initialisation.")

    @OptionGroup var model: CollabWeightsOptions

    @Option(name: .long, parsing: .unconditional, help: "The seed the weights were trained with (it fixes the initial weights).")
    var seed: UInt64 = 42

    func run() throws {
        try reportingErrors {
            let (movies, trained) = try model.load()
            let initial = EmbeddingDotBias(trained.data, nFactors: trained.model.nFactors, rng: SeededGenerator(seed: seed))
            let untrained = CollabInterpretation(model: initial, data: trained.data, titles: movies.titles, top: trained.topMovies.count)
            let a = try CollabSummary(untrained), b = try CollabSummary(trained)
            let n = trained.topMovies.count
            say(movies.summary)
            say("\(n) most-rated movies        untrained (get_emb, seed \(seed))   trained")
            func row(_ name: String, _ x: String, _ y: String) {
                say(name.padding(toLength: 28, withPad: " ", startingAt: 0) + x.padding(toLength: 34, withPad: " ", startingAt: 0) + y)
            }
            func f(_ v: Float) -> String { String(format: "%+.6f", v) }
            row("lowest ib (1st, 15th)", "\(f(a.lowest15[0])), \(f(a.lowest15[14]))", "\(f(b.lowest15[0])), \(f(b.lowest15[14]))")
            row("highest ib (1st, 15th)", "\(f(a.highest15[0])), \(f(a.highest15[14]))", "\(f(b.highest15[0])), \(f(b.highest15[14]))")
            row("ib std", String(format: "%.4f", a.biasStd), String(format: "%.4f", b.biasStd))
            row("share with |ib| ≤ 0.05", String(format: "%.1f%%", 100 * a.withinInitRange), String(format: "%.1f%%", 100 * b.withinInitRange))
            row("PCA explained variance", a.explainedVarianceRatio.map { String(format: "%.3f", $0) }.joined(separator: " "),
                b.explainedVarianceRatio.map { String(format: "%.3f", $0) }.joined(separator: " "))
            row("PCA max |component entry|", String(format: "%.4f", a.maxComponentEntry), String(format: "%.4f", b.maxComponentEntry))
            let e1 = CollabSummary.uniformOrderStatistic(k: 1, n: n), e15 = CollabSummary.uniformOrderStatistic(k: 15, n: n)
            say(String(format: "U(−0.05, 0.05) order statistics for n = %d: 1st %+.6f, 15th %+.6f (the notes: −0.049938, −0.049473)", n, e1, e15))
            say(String(format: "a unit vector over %d movies has entries of about 1/√%d = %.4f (the notes' PCA lists: |0.048–0.065|)", n, n, 1 / Float(n).squareRoot()))
        }
    }
}
