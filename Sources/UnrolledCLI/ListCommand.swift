import ArgumentParser
import LessonEngine

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the lessons.")

    func run() throws {
        try reportingErrors {
            for lesson in try catalog().all() {
                say("\(lesson.id.padding(toLength: 18, withPad: " ", startingAt: 0)) \(lesson.model.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0)) \(lesson.title)")
            }
        }
    }
}
