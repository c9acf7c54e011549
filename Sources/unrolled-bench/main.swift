// unrolled-bench: what the tensor core costs over raw BLAS, and what tracing costs over none.
//
//   swift run -c release unrolled-bench [--threads N] [--repeats N]
//   swift run -c release unrolled-bench --gemm-json   (raw cblas_sgemm per lesson shape, one JSON line)
//
// Variants of one measurement run interleaved (A, B, A, B, ...) after a warm-up, and each
// reports its median, so a neighbour's build on the shared cores slows all of them alike.
// Targets: matmul forward+backward within 10% of raw cblas_sgemm; `summary` tracing adds at
// most 10% to a training step of a 512×256 layer.

import ArgumentParser
import CBLAS
import Foundation
import TensorCore

// MARK: options

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unrolled-bench", abstract: "What the tensor core costs over raw BLAS, and what tracing costs over none.")
    @Option(help: "BLAS threads (as the CLI: 1 unless told).")
    var threads = 1
    @Option(help: "Timed runs per variant (the median is reported).")
    var repeats = 31
    var warmup: Int { 5 }
    /// For profiling with perf or callgrind, and for A/B runs of lesson 1's per-op costs.
    @Option(help: "Run one section only: matmul, trace, jsonl, or linear (the lesson-1 line of trace).")
    var only: Section?
    @Flag(help: "Print raw cblas_sgemm GFLOP/s on the lessons' product shapes (1 and 2 threads) and BLIS's kernel family as one JSON line, and exit.")
    var gemmJSON = false

    enum Section: String, ExpressibleByArgument { case matmul, trace, jsonl, linear }

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads: expected at least 1, got \(threads)") }
        guard repeats >= 1 else { throw ValidationError("--repeats: expected at least 1, got \(repeats)") }
    }
}

let options = Options.parseOrExit()
BLAS.setThreads(options.threads)
Allocator.keepFreedBuffers()

// MARK: timing

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Median milliseconds of each variant, run interleaved.
func medians(_ variants: [() -> Void], repeats: Int = options.repeats) -> [Double] {
    for _ in 0..<options.warmup { variants.forEach { $0() } }
    var times = [[Double]](repeating: [], count: variants.count)
    for _ in 0..<repeats {
        for (i, v) in variants.enumerated() {
            let t0 = now()
            v()
            times[i].append(Double(now() - t0) / 1e6)
        }
    }
    return times.map { $0.sorted()[$0.count / 2] }
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
func f(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }

// Top-level variables belong to the main actor, so the functions that read them are
// @MainActor: the whole benchmark runs on the main thread.
let rng = SeededGenerator(seed: 1)
@MainActor func random(_ shape: [Int]) -> Tensor { Tensor.uniform(shape, low: -1, high: 1, using: rng) }

var missed: [String] = []

/// One product a lesson issues: C[m,n] = op(A)·op(B) with op(A) m×k and op(B) k×n, row-major.
struct GemmShape {
    let name: String
    let transA: Bool, transB: Bool
    let m: Int, n: Int, k: Int
    var op: String { (transA ? "T" : "N") + (transB ? "T" : "N") }
}

/// The lessons' products (batch 512, hidden 256, 42 embedding factors, 85 characters, 8 steps):
/// a linear layer is x·Wᵀ (NT), its backward G·W (NN) and Gᵀ·x (TN).
let lessonGemms = [
    GemmShape(name: "hidden forward", transA: false, transB: true, m: 512, n: 256, k: 256),
    GemmShape(name: "hidden backward data", transA: false, transB: false, m: 512, n: 256, k: 256),
    GemmShape(name: "hidden backward weight", transA: true, transB: false, m: 256, n: 256, k: 512),
    GemmShape(name: "RNN input projection", transA: false, transB: true, m: 4096, n: 256, k: 42),
    GemmShape(name: "RNN input weight gradient", transA: true, transB: false, m: 256, n: 42, k: 4096),
    GemmShape(name: "output layer", transA: false, transB: true, m: 512, n: 85, k: 256),
]

/// Raw cblas_sgemm on `shape`, median GFLOP/s over `repeats` calls.
@MainActor func rawGemmGFLOPs(_ shape: GemmShape, threads: Int, repeats: Int = 51) -> Double {
    BLAS.setThreads(threads)
    defer { BLAS.setThreads(options.threads) }
    let (m, n, k) = (shape.m, shape.n, shape.k)
    // Stored A is [m,k], or [k,m] when transposed; B is [k,n], or [n,k].
    let a = random(shape.transA ? [k, m] : [m, k]).data, b = random(shape.transB ? [n, k] : [k, n]).data
    let lda = shape.transA ? m : k, ldb = shape.transB ? k : n
    let (tA, tB) = (shape.transA ? CblasTrans : CblasNoTrans, shape.transB ? CblasTrans : CblasNoTrans)
    var c = [Float](repeating: 0, count: m * n)
    let t = medians([{
        cblas_sgemm(CblasRowMajor, tA, tB, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(lda), b, Int32(ldb), 0, &c, Int32(n))
    }], repeats: repeats)[0]
    return 2 * Double(m * n * k) / (t / 1e3) / 1e9
}

if options.gemmJSON {
    struct Measured: Encodable {
        let name: String, op: String, m: Int, n: Int, k: Int, gflops_1: Double, gflops_2: Double
    }
    struct Report: Encodable {
        // 512×256×256 NN (the hidden layer's backward data product) at the top level, as before.
        let shape: String, gflops_1: Double, gflops_2: Double, repeats: Int
        let kernels: String, shapes: [Measured]
    }
    let repeats = 51
    let shapes = lessonGemms.map { s in
        Measured(name: s.name, op: s.op, m: s.m, n: s.n, k: s.k,
                 gflops_1: rawGemmGFLOPs(s, threads: 1, repeats: repeats),
                 gflops_2: rawGemmGFLOPs(s, threads: 2, repeats: repeats))
    }
    let reference = shapes.first { $0.op == "NN" && $0.m == 512 && $0.n == 256 && $0.k == 256 }!
    let report = Report(shape: "512x256x256", gflops_1: reference.gflops_1, gflops_2: reference.gflops_2,
                        repeats: repeats, kernels: BLAS.kernels, shapes: shapes)
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    print(String(decoding: try! encoder.encode(report), as: UTF8.self))
    exit(0)
}

print("unrolled-bench: BLAS threads \(BLAS.threads), \(options.repeats) repeats (median), \(options.warmup) warm-up")

// MARK: the model step that tracing and JSON Lines measure

let input = random([512, 256]), target = random([512, 256])
let weight = Tensor.uniform([256, 256], low: -1 / 16, high: 1 / 16, using: rng, label: "l.weight").requiringGrad()
let bias = Tensor.zeros([256], label: "l.bias").requiringGrad()
/// One SGD step of tanh(x·W + b) against an MSE target.
@MainActor func trainingStep() {
    let loss = LabelScope.with("l(x)") { input.matmul(weight) + bias }.tanh().mse(target)
    loss.backward()
    for p in [weight, bias] {
        p.update { Kernels.axpy(-0.01, p.grad!, &$0) }
        p.zeroGrad()
    }
}

// MARK: matmul forward + backward vs raw cblas_sgemm

@MainActor func benchMatMul() {
    print("\nmatmul forward+backward, [m,k]x[k,n]: C = A·B, dA = G·Bᵀ, dB = Aᵀ·G (3 × 2mkn flops)")
    print(pad("shape m×k×n", 14) + pad("TensorCore ms", 15) + pad("GFLOP/s", 10) + pad("raw BLAS ms", 13)
          + pad("GFLOP/s", 10) + "TensorCore/raw")
    for (m, k, n) in [(512, 256, 256), (512, 42, 256)] {
        let a = random([m, k]).requiringGrad(), b = random([k, n]).requiringGrad()
        let g = random([m, n]).data
        let tensorCore = {
            let c = a.matmul(b)
            c.backward(seed: g)
            a.zeroGrad(); b.zeroGrad()
        }
        // Raw: the same three products on preallocated buffers.
        var c = [Float](repeating: 0, count: m * n), da = [Float](repeating: 0, count: m * k)
        var db = [Float](repeating: 0, count: k * n)
        let (ad, bd) = (a.data, b.data)
        let raw = {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                        1, ad, Int32(k), bd, Int32(n), 0, &c, Int32(n))
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(k), Int32(n),
                        1, g, Int32(n), bd, Int32(n), 0, &da, Int32(k))
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(k), Int32(n), Int32(m),
                        1, ad, Int32(k), g, Int32(n), 0, &db, Int32(n))
        }
        let t = medians([tensorCore, raw])
        let gflop = 6.0 * Double(m * k * n) / 1e9
        let ratio = t[0] / t[1]
        print(pad("\(m)×\(k)×\(n)", 14) + pad(f(t[0], 3), 15) + pad(f(gflop / (t[0] / 1e3), 1), 10)
              + pad(f(t[1], 3), 13) + pad(f(gflop / (t[1] / 1e3), 1), 10) + f(ratio, 3)
              + (ratio <= 1.10 ? "  ok (≤ 1.10)" : "  MISSED (> 1.10)"))
        if ratio > 1.10 { missed.append("matmul \(m)×\(k)×\(n): \(f(ratio, 3))× raw BLAS") }
    }
}

// MARK: tracing cost

/// Time `step` with tracing off, summary and full (events to a discarding sink).
@MainActor func tracingCost(_ name: String, target: Double?, _ step: @escaping () -> Void) {
    let sink = CountingSink()
    let levels: [TraceLevel] = [.off, .summary, .full]
    let variants = levels.map { level in
        { Tracer.recording(level: level, to: sink) { step() } }
    }
    let t = medians(variants)
    for (i, level) in levels.enumerated() {
        let overhead = (t[i] / t[0] - 1) * 100
        var verdict = ""
        if level == .summary, let target {
            verdict = overhead <= target ? "  ok (≤ \(Int(target))%)" : "  MISSED (> \(Int(target))%)"
            if overhead > target { missed.append("\(name), summary: +\(f(overhead, 1))%") }
        }
        print(pad(i == 0 ? name : "", 34) + pad(level.rawValue, 9) + pad(f(t[i], 3), 10)
              + (i == 0 ? "—" : (overhead >= 0 ? "+" : "") + f(overhead, 1) + "%") + verdict)
    }
}

@MainActor func benchTracing() {
    // What `summary` pays per buffer: one pass of statistics.
    let summarised = random([512, 256]).data
    var keep = 0.0
    let tSummary = medians([{ keep += ValueSummary(summarised).l2 }])[0]
    let perFloat = tSummary * 1e6 / Double(summarised.count)
    print("\nValueSummary of 512×256 floats: \(f(tSummary, 3)) ms (\(f(perFloat, 2)) ns/float)")

    print("\ntracing cost (events to a sink that discards them)")
    print(pad("step", 34) + pad("level", 9) + pad("ms", 10) + "vs off")

    let x = random([512, 256]).requiringGrad()
    let gTanh = random([512, 256]).data
    tracingCost("tanh 512×256 fwd+bwd", target: nil) {
        x.tanh().backward(seed: gTanh)
        x.zeroGrad()
    }

    tracingCost("training step, linear 512×256→256", target: 10, trainingStep)
    tracingCost("CharRnn-shaped step, 8 × 512×256", target: nil, rnnStep)
    benchLinear()
}

@MainActor func benchLinear() {
    if options.only == .linear { print(pad("step", 34) + pad("level", 9) + pad("ms", 10) + "vs off") }
    tracingCost("linear SGD, 100 steps of 10k pts", target: nil, linearSteps)
}

// Lesson 1's loop (Models/Lessons/LinearSGD.swift) on TensorCore alone: 10,000 points,
// loss = mse(a·x + b, y), backward, a −= lr·∂a, b −= lr·∂b, grads cleared. The update is the
// bare kernel (the lesson's `SGD.update` also emits an update event per parameter at `summary`).
// 100 steps per timing: one step is ~15–30 µs, too short to time alone.
let linearX = Tensor(shape: [10_000], data: (0..<10_000).map { _ in rng.unit() }, label: "x")
let linearY = Tensor(shape: [10_000], data: linearX.data.map { 3 * $0 + 8 + 0.3 * rng.normal() }, label: "y")
let linearA = Tensor(shape: [1], data: [-1], label: "a", requiresGrad: true)
let linearB = Tensor(shape: [1], data: [1], label: "b", requiresGrad: true)

@MainActor func linearSteps() {
    for _ in 0..<100 {
        let loss = (linearA * linearX + linearB).named("lin(a,b,x)").mse(linearY).named("loss")
        loss.backward()
        for p in [linearA, linearB] {
            p.update { Kernels.sgdStep(param: &$0, grad: p.grad!, lr: 1e-3) }
            p.zeroGrad()
        }
    }
}

// CharRnn's step without the data pipeline: input products for all 8 steps at once, each step's
// select + hidden product + tanh, the stack of states, the last state's output, the loss, and
// backward through all of it (Models/Layers/RNN.swift's graph, less its hidden bias add at each
// step).
let rnnInput = random([8, 512, 42])
let rnnIH = random([256, 42]).requiringGrad(), rnnHH = random([256, 256]).requiringGrad()
let rnnBias = random([256]).requiringGrad(), rnnOut = random([85, 256]).requiringGrad()
let rnnTargets = Tensor(shape: [512], data: (0..<512).map { Float($0 % 85) })

@MainActor func rnnStep() {
    let ih = (rnnInput.reshape([-1, 42]).matmul(rnnIH, transposeB: true) + rnnBias).reshape([8, 512, 256])
    var h = Tensor.zeros([512, 256])
    var states: [Tensor] = []
    for t in 0..<8 {
        h = (ih.select(axis: 0, index: t) + h.matmul(rnnHH, transposeB: true)).tanh()
        states.append(h)
    }
    let last = Tensor.stack(states, axis: 0).select(axis: 0, index: -1)
    last.matmul(rnnOut, transposeB: true).logSoftmax(axis: 1).nllLoss(rnnTargets).backward()
    for p in [rnnIH, rnnHH, rnnBias, rnnOut] { p.zeroGrad() }
}

// MARK: writing a full trace to disk

@MainActor func benchJSONL() {
    print("\nfull trace of one training step written as JSON Lines")
    let memory = MemorySink()
    Tracer.recording(level: .full, to: memory) { trainingStep() }
    let events = memory.events
    let floats = events.reduce(0) { n, e in n + (e.inputs + e.outputs).reduce(0) { $0 + ($1.values?.count ?? 0) } }
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("unrolled-bench-\(getpid()).jsonl").path
    var bytes = 0
    let encoder = JSONEncoder()
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity",
                                                                  negativeInfinity: "-Infinity", nan: "NaN")
    let writers = medians([
        {
            let sink = try! JSONLSink(path: path)
            events.forEach(sink.receive)
            try! sink.close()
        },
        {
            var out = Data()
            for e in events { out.append(try! encoder.encode(e)); out.append(0x0A) }
            bytes = out.count
        },
    ], repeats: 5)
    let fileBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    try? FileManager.default.removeItem(atPath: path)
    print("\(events.count) events, \(floats) floats, \(fileBytes / 1024) KiB")
    print(pad("JSONLSink (to file)", 34) + f(writers[0], 1) + " ms  ("
          + f(Double(floats) / writers[0] / 1e3, 1) + " M floats/s)")
    print(pad("JSONEncoder (in memory only)", 34) + f(writers[1], 1) + " ms  (" + f(Double(floats) / writers[1] / 1e3, 1)
          + " M floats/s, \(bytes / 1024) KiB)")
}

func section(_ name: Options.Section) -> Bool { options.only == nil || options.only == name }
if section(.matmul) { benchMatMul() }
if section(.trace) { benchTracing() }
if section(.jsonl) { benchJSONL() }
if options.only == .linear { benchLinear() }
print(missed.isEmpty ? "\nall targets met" : "\ntargets missed: " + missed.joined(separator: "; "))
