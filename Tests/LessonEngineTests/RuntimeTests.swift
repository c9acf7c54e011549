import Foundation
import Synchronization
import XCTest
@testable import LessonEngine
import Models
@testable import TensorCore

/// Each session owns its `Runtime` (grad mode, labels, tracer, taps, anomaly mode, tensor ids,
/// generator): two models replayed at once on two threads give exactly the events each gives
/// alone, and neither leaves state behind on the thread that started them.
final class RuntimeTests: XCTestCase {
    static func replay(_ model: String, layout: String, corpus: String) throws -> [TraceEvent] {
        var options = RunOptions()
        options.corpusPath = corpus
        options.seed = 3
        let lesson = try Tiny.lesson(model, layout: layout)
        return try Replay.record(lesson: lesson, options: options, batch: 8, level: .full).events
    }

    func testTwoModelsReplayAtOnceAsTheyDoAlone() throws {
        let corpus = try Tiny.corpus()
        let cases = [("Char3Model", "every-3rd"), ("CharLoopModel", "overlapping-windows")]
        let alone = try cases.map { try Self.replay($0.0, layout: $0.1, corpus: corpus) }
        XCTAssertNotEqual(alone[0].count, alone[1].count, "the two cases should be different models")

        // Both at once, a few times, each on its own thread.
        for round in 0..<3 {
            let results = Results(count: cases.count)
            DispatchQueue.concurrentPerform(iterations: cases.count) { i in
                results.set(i, Result { try Self.replay(cases[i].0, layout: cases[i].1, corpus: corpus) })
            }
            for i in cases.indices {
                let events = try results.get(i)
                XCTAssertEqual(events.count, alone[i].count, "round \(round), \(cases[i].0): event count")
                XCTAssertTrue(events == alone[i], "round \(round), \(cases[i].0): events differ from the replay alone")
            }
        }
        XCTAssertFalse(Tracer.isOn, "a replay left this thread's tracer on")
        XCTAssertTrue(GradMode.enabled)
        XCTAssertNil(LabelScope.current)
    }

    /// State set on one runtime is invisible to another, on the same thread.
    func testRuntimesDoNotShareState() {
        let outer = Runtime.current
        let sink = MemorySink()
        Tracer.recording(level: .full, to: sink) {
            GradMode.noGrad {
                LabelScope.with("outer") {
                    let other = Runtime(seed: 1)
                    other.activate {
                        XCTAssertTrue(Runtime.current === other)
                        XCTAssertFalse(Tracer.isOn)
                        XCTAssertTrue(GradMode.enabled)
                        XCTAssertNil(LabelScope.current)
                        let t = Tensor([1, 2], label: "t")
                        XCTAssertEqual(t.id, 1, "ids are numbered per runtime")
                        _ = t.exp()
                    }
                    XCTAssertTrue(Runtime.current === outer)
                    XCTAssertFalse(GradMode.enabled)
                    XCTAssertEqual(LabelScope.current, "outer")
                }
            }
        }
        XCTAssertTrue(sink.events.isEmpty, "the other runtime's op reached this runtime's sink")
    }
}

/// Results written by `concurrentPerform`'s threads, read after it returns.
private final class Results: Sendable {
    private let values: Mutex<[Result<[TraceEvent], Error>?]>
    init(count: Int) { values = Mutex(Array(repeating: nil, count: count)) }
    func set(_ i: Int, _ r: Result<[TraceEvent], Error>) { values.withLock { $0[i] = r } }
    func get(_ i: Int) throws -> [TraceEvent] { try values.withLock { $0[i]! }.get() }
}
