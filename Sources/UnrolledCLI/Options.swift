import ArgumentParser
import LessonEngine
import Models

/// A lesson's model and a file of its trained weights (eval, generate).
struct TrainedWeightsOptions: ParsableArguments {
    @Argument(help: "Lesson id whose model the weights belong to.")
    var lesson: String

    @Option(name: .long, help: "Weights: safetensors with PyTorch state_dict names, saved by `unrolled run --save` or by PyTorch.")
    var weights: String
}

/// Flags shared by every command that runs a lesson (and `unrolled-dev bench-run`).
public struct LessonOptions: ParsableArguments {
    public init() {}

    @Option(name: .long, help: "Corpus text file (default: $UNROLLED_CORPUS, the download cache, or ../shared/data/nietzsche.txt).")
    var corpus: String?

    @Option(name: .long, parsing: .unconditional, help: "Seed for weights, batch order and sampling draws (validation rows are the seed's get_cv_idxs whatever the seed; a fixed keyed 20% above 33,554,432 rows).")
    public var seed: UInt64 = 42

    @Option(name: .long, help: "CharSeqRnn's log_softmax axis: vocab (correct) or legacy (PyTorch 0.3's dim 0).")
    var softmax: String?

    @OptionGroup var ratings: RatingsSourceOptions

    public func runOptions(epochsScale: Double = 1) throws -> RunOptions {
        var o = RunOptions()
        o.corpusPath = corpus
        o.seed = seed
        o.epochsScale = epochsScale
        o.ratings = ratings.options
        if let softmax {
            guard let mode = SoftmaxMode(rawValue: softmax) else {
                throw InputError(usage: "--softmax: expected 'vocab' or 'legacy', got '\(softmax)'")
            }
            o.softmax = mode
        }
        return o
    }
}

/// `--epochs-scale`, shared by run, play and draw: one spelling, one help text, one check.
/// Parsed unconditionally so that `--epochs-scale -1` reaches the check instead of being taken
/// for a flag (run had this and play and draw did not).
struct EpochsScaleOption: ParsableArguments {
    @Option(name: .long, parsing: .unconditional,
            help: "Multiply every phase of the schedule (0.1 runs a tenth of each epoch's batches).")
    var epochsScale: Double = 1

    func validate() throws {
        guard epochsScale > 0, epochsScale.isFinite, epochsScale <= RunOptions.maxEpochsScale else {
            throw ValidationError("--epochs-scale must be a number > 0 and ≤ \(Int(RunOptions.maxEpochsScale)), got \(epochsScale)")
        }
    }
}

/// Which training step `step`, `trace` and `draw` record: by default the first, at the initial
/// weights; `--at-step N` trains N steps with the lesson's schedule first (as `run` would) and
/// records step N + 1 on its real batch; `--resume` starts that training from a checkpoint;
/// `--weights` replays the first step with saved weights.
struct ReplayOptions: ParsableArguments {
    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Train N steps with the lesson's schedule, then record step N + 1.", valueName: "N"))
    var atStep: Int = 0

    @Option(name: .long, help: ArgumentHelp("Start from this checkpoint (`run --checkpoint`); --at-step counts from there.", valueName: "FILE"))
    var resume: String?

    @Option(name: .long, help: ArgumentHelp("Record the first step with these weights (`run --save`, or a PyTorch state_dict).", valueName: "FILE"))
    var weights: String?

    func apply(to options: inout RunOptions) {
        if let resume { options.resume = resume }
    }
}
