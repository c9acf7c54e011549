import ArgumentParser
import Diagrams
import Foundation
import LessonEngine
import Models

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow values across training steps: a table and a plot.",
        discussion: """
            Trains the lesson with its schedule and reads each expression at steps 1, 1 + K, 1 + 2K, … and the last. \
            An expression is anything `step`'s p accepts (l_in.weight[3,5], grad(l_in.weight)[3,5], h8[0,:8], grad(h1)), \
            Adam's state (adam.m(NAME), adam.v(NAME) and the bias-corrected adam.mhat(NAME), adam.vhat(NAME)), or norm(…) \
            of any of them. Lesson 1 watches a, b, grad(a), grad(b) and loss.
            """)

    @Argument(help: "Lesson id or path to a lesson .yaml file.")
    var lesson: String

    @Argument(help: "What to watch, e.g. 'l_in.weight[3,5]' 'adam.m(l_in.weight)[3,5]' 'norm(grad(h1))'.")
    var expressions: [String] = []

    @Option(name: .long, help: "Read the values every K steps.")
    var every: Int = 10

    @Option(name: .long, help: "Train this many steps.")
    var steps: Int = 100

    @Flag(name: .long, help: "Plot log₁₀ of |value| (values that span decades, such as gradient norms).")
    var log = false

    @Option(name: .long, help: ArgumentHelp("Where the plot goes: DIR/<lesson id>/watch.svg and .png.", valueName: "DIR"))
    var out: String = "output"

    @Flag(name: .long, help: "Do not write the plot.")
    var noPlot = false

    @OptionGroup var options: LessonOptions

    @OptionGroup var replayAt: ReplayOptions

    func run() throws {
        try reportingErrors(interruptible: true) {
            let lesson = try catalog().lesson(self.lesson)
            var runOptions = try options.runOptions()
            replayAt.apply(to: &runOptions)
            guard replayAt.atStep == 0 else { throw InputError("watch: --at-step is for step, trace and draw; watch reads --steps steps") }
            guard replayAt.weights == nil else { throw InputError("watch: --weights is for step, trace and draw; watch trains from the lesson's start or --resume") }
            let table = try LessonEngine.Watch.run(lesson: lesson, options: runOptions, expressions: expressions, every: every, steps: steps)
            try Interruption.check(while: "watching")
            say(table.text())
            guard !noPlot else { return }
            var panels: [SeriesPlot.Panel] = []
            for (k, e) in table.expressions.enumerated() {
                let width = min(table.rows.first?.values[k].count ?? 0, 8)
                let series = (0..<width).map { i in
                    SeriesPlot.Series(name: "\(e.text) [\(i)]", values: table.rows.map { Double($0.values[k].count > i ? $0.values[k][i] : .nan) })
                }
                panels.append(.init(title: e.text + (table.rows.first.map { $0.values[k].count > 8 ? " (first 8 of \($0.values[k].count))" : "" } ?? ""),
                                    series: series))
            }
            var plot = try SeriesPlot(steps: table.rows.map { Double($0.step) }, panels: panels, title: "\(lesson.id): watched over training steps")
            plot.logarithmic = log
            let urls = try DiagramWriter.writeSeriesPlot(plot, to: lessonOutputDirectory(out, lesson), name: "watch")
            say("plot: \(urls.map(displayPath).joined(separator: ", "))")
        }
    }
}
