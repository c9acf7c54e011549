// The trace: forward events in execution order with the lesson's labels, backward events in
// reverse, and the three levels (off: nothing; summary: statistics; full: every value).

import Synchronization
import XCTest
@testable import TensorCore

final class TraceTests: XCTestCase {
    /// A tiny RNN-style step: h+in1 → @ l_hidden.weight → + bias → tanh → sum.
    private struct Step {
        let inp = Tensor([[1, 2], [3, 4]]).named("in1")
        let h = Tensor([[0.5, -0.5], [0, 1]]).named("h")
        let w = Tensor([[0.1, 0.2], [-0.3, 0.4]], label: "l_hidden.weight").requiringGrad()
        let b = Tensor([0.01, -0.02], label: "l_hidden.bias").requiringGrad()
        var sum: Tensor!, lin: Tensor!, act: Tensor!, loss: Tensor!

        mutating func run() {
            sum = h + inp
            lin = LabelScope.with("l_hidden(h+in1)") { sum.matmul(w) + b }
            act = lin.tanh()
            loss = act.sum()
        }
    }

    func testForwardEventsInOrderWithLabels() {
        var s = Step()
        let sink = MemorySink()
        Tracer.recording(level: .summary, to: sink) { s.run() }
        let e = sink.events
        XCTAssertEqual(e.map(\.seq), [1, 2, 3, 4, 5])
        XCTAssertEqual(e.map(\.phase), Array(repeating: .forward, count: 5))
        XCTAssertEqual(e.map(\.op), ["add", "matmul", "add", "tanh", "sum"])
        XCTAssertEqual(e.map(\.label), ["h+in1", "l_hidden(h+in1)", "l_hidden(h+in1)",
                                        "tanh(l_hidden(h+in1))", "sum(tanh(l_hidden(h+in1)))"])
        // Inputs are referred to by id and label; the output is the tensor the op returned.
        XCTAssertEqual(e[0].inputs.map(\.label), ["h", "in1"])
        XCTAssertEqual(e[0].inputs.map(\.id), [s.h.id, s.inp.id])
        XCTAssertEqual(e[0].outputs.map(\.id), [s.sum.id])
        XCTAssertEqual(e[1].inputs.map(\.label), ["h+in1", "l_hidden.weight"])
        XCTAssertEqual(e[1].outputs[0].shape, [2, 2])
        XCTAssertEqual(e[4].outputs[0].shape, [])
        // Leaves carry their statistics (they appear nowhere else); made tensors are described
        // once, by the event that made them.
        XCTAssertNotNil(e[1].inputs[1].summary, "a parameter's values belong in the event that uses it")
        XCTAssertNil(e[2].inputs[0].summary, "the matmul result was described by the event that made it")
        XCTAssertEqual(e[2].attributes, "")
        XCTAssertEqual(e[1].attributes, "")
    }

    func testBackwardEventsInReverseOrder() {
        var s = Step()
        let sink = MemorySink()
        Tracer.recording(level: .full, to: sink) {
            s.run()
            s.loss.backward()
        }
        let back = sink.events.filter { $0.phase == .backward }
        XCTAssertEqual(back.map(\.seq), [6, 7, 8, 9])
        // h+in1 has no node (neither input needs a gradient), so it has no backward event.
        XCTAssertEqual(back.map(\.op), ["sum", "tanh", "add", "matmul"])
        XCTAssertEqual(back.map(\.label), ["sum(tanh(l_hidden(h+in1)))", "tanh(l_hidden(h+in1))",
                                           "l_hidden(h+in1)", "l_hidden(h+in1)"])
        // Each event's input is the grad of the op's result; outputs are contributions per input.
        XCTAssertEqual(back[0].inputs[0].id, s.loss.id)
        XCTAssertEqual(back[0].inputs[0].values, [1])
        XCTAssertEqual(back[1].outputs.map(\.id), [s.lin.id])
        XCTAssertEqual(back[1].outputs[0].kind, .grad)
        XCTAssertEqual(back[2].outputs.map(\.label), ["l_hidden(h+in1)", "l_hidden.bias"])
        XCTAssertEqual(back[3].outputs.map(\.id), [s.w.id], "only inputs that need a gradient appear")
        XCTAssertEqual(back[3].outputs[0].values, s.w.grad)
        XCTAssertEqual(back[2].outputs[1].values, s.b.grad)
    }

    /// A memory sink read while it records sees every op run so far, the held-back newest one
    /// too (its recorder drains first); once the recording ends it is left alone.
    func testAMemorySinkReadMidRecordingHasEveryOpSoFar() {
        let sink = MemorySink()
        let x = Tensor([1, 2, 3], label: "x")
        Tracer.recording(level: .full, to: sink) {
            _ = x.exp()
            XCTAssertEqual(sink.events.map(\.op), ["exp"])
            _ = x.relu()
            XCTAssertEqual(sink.events.map(\.op), ["exp", "relu"])
        }
        _ = x.tanh()
        XCTAssertEqual(sink.events.map(\.op), ["exp", "relu"])
    }

    func testOffEmitsNothing() {
        var s = Step()
        let sink = MemorySink()
        Tracer.recording(level: .off, to: sink) {
            XCTAssertFalse(Tracer.isOn)
            s.run()
            s.loss.backward()
        }
        XCTAssertEqual(sink.events.count, 0)
        XCTAssertNotNil(s.w.grad, "off still computes gradients")
    }

    func testSummaryCarriesStatisticsOfNaNAndInf() {
        let x = Tensor([1, .nan, .infinity, -2, 4], label: "x")
        let sink = MemorySink()
        Tracer.recording(level: .summary, to: sink) { _ = -x }
        let event = sink.events[0]
        XCTAssertNil(event.outputs[0].values, "summary carries no values")
        let s = try! XCTUnwrap(event.outputs[0].summary)
        // −x = [−1, nan, −inf, 2, −4]. Statistics of the three finite values −1, 2, −4:
        // mean −1, deviations 0, 3, −3 → population std √6; L2 √(1+4+16) = √21.
        XCTAssertEqual(s.count, 5)
        XCTAssertEqual(s.nan, 1)
        XCTAssertEqual(s.inf, 1)
        XCTAssertEqual(s.mean, -1, accuracy: 1e-12)
        XCTAssertEqual(s.min, -4)
        XCTAssertEqual(s.max, 2)
        XCTAssertEqual(s.std, 6.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(s.l2, 21.0.squareRoot(), accuracy: 1e-12)
        XCTAssertTrue(s.hasNonFinite)
        // The input leaf is summarised too.
        XCTAssertEqual(event.inputs[0].summary?.mean, 1)  // (1 − 2 + 4) / 3
    }

    func testSummaryOfFiniteValues() {
        // 0, 1, 2, ..., 9: mean 4.5, population std √8.25, min 0, max 9, L2 √285.
        let s = ValueSummary((0..<10).map(Float.init))
        XCTAssertEqual(s.count, 10)
        XCTAssertEqual(s.mean, 4.5)
        XCTAssertEqual(s.std, 8.25.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(s.min, 0)
        XCTAssertEqual(s.max, 9)
        XCTAssertEqual(s.l2, 285.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(s.nan + s.inf, 0)
        XCTAssertFalse(s.hasNonFinite)
        let empty = ValueSummary([])
        XCTAssertEqual(empty.count, 0)
        XCTAssertTrue(empty.mean.isNaN)
    }

    func testSummaryOfLongerBuffersTakesTheSameAnswers() {
        // 1...37: 32 values in SIMD blocks of 8, 5 in the scalar tail. By hand: mean 19,
        // population std √((37² − 1)/12) = √114, Σx² = 37·38·75/6 = 17575.
        var x = (1...37).map(Float.init)
        let s = ValueSummary(x)
        XCTAssertEqual(s.mean, 19)
        XCTAssertEqual(s.std, 114.0.squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(s.l2, 17575.0.squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(s.min, 1)
        XCTAssertEqual(s.max, 37)
        // A NaN inside a SIMD block and an infinity in the tail: skipped and counted.
        x[20] = .nan      // was 21
        x[35] = -.infinity  // was 36
        let t = ValueSummary(x)
        XCTAssertEqual(t.count, 37)
        XCTAssertEqual(t.nan, 1)
        XCTAssertEqual(t.inf, 1)
        XCTAssertEqual(t.mean, (703 - 21 - 36) / 35)  // Σ1...37 = 703
        XCTAssertEqual(t.min, 1)
        XCTAssertEqual(t.max, 37)
    }

    /// Summaries are reused for a buffer seen again (see Tracer.summary(of:)); a parameter
    /// updated in place between two uses must get a fresh one.
    func testSummaryAfterAnInPlaceUpdateIsFresh() {
        let w = Tensor(shape: [3, 4], data: (0..<12).map(Float.init), label: "w").requiringGrad()
        let sink = MemorySink()
        Tracer.recording(level: .summary, to: sink) {
            _ = w.exp()
            _ = w.tanh()
            w.update { $0[5] = 100 }
            _ = w.exp()
        }
        XCTAssertEqual(sink.events.map { $0.inputs[0].summary?.max }, [11, 11, 100])
    }

    /// With one BLAS thread, large buffers are summarised on the trace queue and small ones
    /// where the op ran; events of the second kind may go straight to a sink that keeps them.
    /// Interleaved, they must still arrive in order, each with its own statistics, for a sink
    /// that receives inline (MemorySink) and for one that only receives on the queue.
    func testQueuedAndInlineEventsArriveInOrder() {
        BLAS.setThreads(1)
        let big = TraceRecorder.inlineSummaryLimit + 8
        let large = Tensor(shape: [big], data: (0..<big).map { Float($0 % 7) }, label: "large")
        let small = Tensor(shape: [5], data: [1, 2, 3, 4, 5], label: "small")
        final class QueueOnly: TraceSink {
            private let received = Mutex<[TraceEvent]>([])
            var events: [TraceEvent] { received.withLock { $0 } }
            func receive(_ event: TraceEvent) { received.withLock { $0.append(event) } }
        }
        let memory = MemorySink(), queueOnly = QueueOnly()
        for sink in [memory, queueOnly] as [TraceSink] {
            Tracer.recording(level: .summary, to: sink) {
                for _ in 0..<40 {
                    _ = large.neg()
                    _ = small.exp()
                    _ = small.neg()
                }
            }
        }
        for events in [memory.events, queueOnly.events] {
            XCTAssertEqual(events.map(\.seq), Array(1...120))
            XCTAssertEqual(events.map(\.op), Array(repeating: ["neg", "exp", "neg"], count: 40).flatMap { $0 })
            for (i, e) in events.enumerated() {
                XCTAssertNil(e.outputs[0].storedValues, "summary keeps no values")
                XCTAssertEqual(e.outputs[0].summary?.count, i % 3 == 0 ? big : 5)
                XCTAssertEqual(e.outputs[0].summary?.min ?? .nan, i % 3 == 0 ? -6 : i % 3 == 1 ? M_E : -5, accuracy: 1e-6)
            }
        }
    }

    func testFullCarriesValues() {
        var s = Step()
        let sink = MemorySink()
        Tracer.recording(level: .full, to: sink) { s.run() }
        let e = sink.events
        // h + in1 = [[1.5, 1.5], [3, 5]], by hand.
        XCTAssertEqual(e[0].outputs[0].values, [1.5, 1.5, 3, 5])
        XCTAssertEqual(e[0].inputs[0].values, [0.5, -0.5, 0, 1])
        XCTAssertNotNil(e[0].outputs[0].summary)
        XCTAssertEqual(e[3].outputs[0].values, s.act.data)
    }

    func testRecordingRestoresThePreviousTracer() {
        let outer = MemorySink(), inner = MemorySink()
        let x = Tensor([1, 2], label: "x")
        Tracer.recording(level: .summary, to: outer) {
            _ = x.exp()
            Tracer.recording(level: .full, to: inner) { _ = x.log() }
            XCTAssertEqual(Tracer.level, .summary)
            _ = x.neg()
        }
        XCTAssertEqual(Tracer.level, .off)
        XCTAssertEqual(outer.events.map(\.op), ["exp", "neg"])
        XCTAssertEqual(outer.events.map(\.seq), [1, 2], "the inner recording must not disturb outer numbering")
        XCTAssertEqual(inner.events.map(\.op), ["log"])
    }

    func testTapsCollectNamedTensors() {
        let (_, taps) = Taps.collect {
            let a = Tensor([1, 2]).named("in1")
            _ = (a + a).named("h")
        }
        // Every op result is kept under its label (`in1+in1`), and under the model's name.
        XCTAssertEqual(taps.order, ["in1", "in1+in1", "h"])
        XCTAssertEqual(taps["h"]?.data, [2, 4])
    }
}
