// Matrix products go through the platform's cblas_sgemm and nowhere else. Transposes are BLAS
// flags, never copies.

import CBLAS
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum BLAS {
    /// Set the BLAS thread count explicitly: the default (all cores, or an environment variable
    /// the user forgot) makes timings unreproducible.
    /// Large elementwise kernels use as many (`Parallel`), on the calling thread's team.
    public static func setThreads(_ n: Int) {
        setup.withLock { s in
            s = ThreadSetup(fixed: max(1, n), adaptive: nil, current: max(1, n), owner: pthread_self())
            apply(threads: s.fixed)
        }
    }

    /// How the process's BLAS runs its products: the library's thread count is one setting for
    /// the whole process, so this is the one piece of TensorCore state that is not a runtime's.
    struct ThreadSetup {
        var fixed = 1
        var adaptive: AdaptiveThreads?
        /// The thread count BLIS was last told.
        var current = 1
        /// The thread that set BLAS up (the training thread): only it opens parallel regions.
        var owner: pthread_t?
    }
    static let setup = Mutex(ThreadSetup())

    static func apply(threads n: Int) {
        _ = kernels
        unrolled_blas_set_threads(Int32(n))
    }

    /// The kernel family the BLAS runs ("skx", "haswell", ...), fixed before its first call
    /// (the shim asks BLIS for its AVX-512 kernels on an AVX-512 CPU: under KVM it falls back to
    /// AVX2 ones, which halved the products' speed, docs/performance.md).
    public static let kernels: String = String(cString: unrolled_blas_kernel_family())
    public static var threads: Int { Int(unrolled_blas_get_threads()) }

    /// Let large products pick 1 or `maxThreads` threads by measuring both as they run (see
    /// `AdaptiveThreads`); products below `minimumFlops` always run on one thread.
    ///
    /// The 4 MFLOP threshold lets the lessons' 512×42×256 input products (11 MFLOP) try two
    /// threads too: with the skx kernels a CharLoop slice took 4.41–4.46 s against 4.74–4.99 s
    /// at 16 MFLOP, and a CharRnn slice 4.02/4.33 s against 4.38/4.92 s; at 1 MFLOP the
    /// products were too small to gain and runs varied 4.3–5.6 s.
    public static func adaptThreads(maxThreads: Int, minimumFlops: Int = 1 << 22) {
        setThreads(1)
        setup.withLock { s in
            s.adaptive = maxThreads > 1 ? AdaptiveThreads(many: maxThreads, minimumFlops: minimumFlops) : nil
        }
    }

    /// C = alpha · op(A) · op(B) + beta · C, row-major. op(A) is m×k, op(B) is k×n.
    @inline(__always)
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                            alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>) {
        let work = 2 * m * n * k
        _ = kernels
        let runtime = Runtime.current
        runtime.work.flops += work
        let start = DispatchClock.nanoseconds()
        guard let auto = setup.withLock({ $0.adaptive }), work >= auto.minimumFlops else {
            sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, b: b, beta: beta, c: c)
            runtime.work.nanoseconds += DispatchClock.nanoseconds() - start
            return
        }
        let shape = AdaptiveThreads.Shape(m: m, n: n, k: k, transA: transA, transB: transB)
        let t = setup.withLock { s in
            let t = auto.choose(shape)
            if t != s.current { apply(threads: t); s.current = t }
            return t
        }
        let begin = DispatchClock.nanoseconds()
        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, b: b, beta: beta, c: c)
        let end = DispatchClock.nanoseconds()
        runtime.work.nanoseconds += end - start
        setup.withLock { _ in auto.record(shape, threads: t, nanosecondsPerFlop: Double(end - begin) / Double(work)) }
    }

    @inline(__always)
    static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                      alpha: Float, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                      beta: Float, c: UnsafeMutablePointer<Float>) {
        let lda = transA ? m : k
        let ldb = transB ? k : n
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)),
                    beta, c, Int32(max(n, 1)))
    }
}

extension Kernels {
    /// op(A)·op(B) into a new buffer. A is [m,k] (or [k,m] when transA), B is [k,n] (or [n,k]).
    public static func matmul(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int,
                              transA: Bool = false, transB: Bool = false) -> [Float] {
        matmul(MatrixProduct(a, b, m: m, n: n, k: k, transA: transA, transB: transB))
    }

    /// The product `p`. `accounted: false` skips BLAS's counters and thread choice (`BLAS.gemm`)
    /// and calls sgemm directly, so that two threads can run products at once (`matmulPair`
    /// accounts for both afterwards).
    static func matmul(_ p: MatrixProduct, accounted: Bool = true) -> [Float] {
        let (m, n, k) = (p.m, p.n, p.k)
        if m == 0 || n == 0 { return [] }
        if k == 0 { return [Float](repeating: 0, count: m * n) }
        if p.transA && !p.transB && 2 * n <= m {
            // Aᵀ·B with few columns (a linear layer's weight gradient with few inputs: the RNN's
            // [256, 42] input weights summed over 4,096 rows). BLIS's skx kernels ran this at
            // 48–65 GFLOP/s and the transposed product Cᵀ = Bᵀ·A at 84–89, so compute that and
            // transpose the small result (10,752 values).
            let ct = matmul(MatrixProduct(p.b, p.a, m: n, n: m, k: k, transA: true), accounted: accounted)
            return permute(ct, shape: [n, m], perm: [1, 0])
        }
        return p.a.withUnsafeBufferPointer { ap in
            p.b.withUnsafeBufferPointer { bp in
                make(m * n) { c in
                    if accounted {
                        BLAS.gemm(transA: p.transA, transB: p.transB, m: m, n: n, k: k,
                                  a: ap.baseAddress!, b: bp.baseAddress!, c: c)
                    } else {
                        BLAS.sgemm(transA: p.transA, transB: p.transB, m: m, n: n, k: k, alpha: 1,
                                   a: ap.baseAddress!, b: bp.baseAddress!, beta: 0, c: c)
                    }
                }
            }
        }
    }

    /// One product's operands and layout, for `matmulPair`.
    public struct MatrixProduct {
        public var a: [Float], b: [Float], m: Int, n: Int, k: Int, transA: Bool, transB: Bool
        public init(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, transA: Bool = false, transB: Bool = false) {
            self.a = a; self.b = b; self.m = m; self.n = n; self.k = k; self.transA = transA; self.transB = transB
        }
        var flops: Int { 2 * m * n * k }
    }

    /// Two independent products (a matmul's two gradients), each on its own thread with
    /// one-thread BLAS, when BLAS has a free second core; else one after the other.
    ///
    /// Why: on two cores, one product at a time on two BLAS threads reached 163–203 GFLOP/s on
    /// the hidden layer's 512×256×256 backward products, while each runs at 126–137 on one
    /// thread, so two at once do ~260. Each product runs on one BLAS thread, so its values are
    /// exactly a one-thread run's (a two-thread product can differ from those in the last bit
    /// for some shapes: README, "Long runs").
    public static func matmulPair(_ p: MatrixProduct, _ q: MatrixProduct) -> ([Float], [Float]) {
        let minimum = BLAS.setup.withLock { $0.adaptive?.minimumFlops } ?? (1 << 22)
        guard p.flops >= minimum, q.flops >= minimum, Parallel.threads > 1, Parallel.usable else {
            return (matmul(p), matmul(q))
        }
        BLAS.setup.withLock { s in if s.current != 1 { BLAS.apply(threads: 1); s.current = 1 } }
        let start = DispatchClock.nanoseconds()
        var results: ([Float], [Float]) = ([], [])
        withUnsafeMutablePointer(to: &results) { out in
            // Two items of "infinite" width: one per thread.
            Parallel.forRanges(2, width: 1 << 20) { range in
                for i in range {
                    if i == 0 {
                        out.pointee.0 = matmul(p, accounted: false)
                    } else {
                        out.pointee.1 = matmul(q, accounted: false)
                    }
                }
            }
        }
        let runtime = Runtime.current
        runtime.work.nanoseconds += DispatchClock.nanoseconds() - start
        runtime.work.flops += p.flops + q.flops
        runtime.work.pairs += 1
        return results
    }
}

/// Chooses between one thread and several for large products by timing them. On an idle
/// 2-core machine two BLIS threads nearly double a 512×256×256 product; when another process
/// holds a core, the second thread spin-waits at every barrier and the same product ran 4–30×
/// slower. Neither setting is safe, so measure: keep a moving average of nanoseconds per flop
/// for each setting, run the faster one, and try the other once in a while — less often the
/// worse it was, so a bad setting costs at most ~2% in exploration.
///
/// NOTE: costs are kept per product shape, and each setting's first call is not counted. With
/// one table for all shapes and the first call counted, the first two-thread product (which
/// starts OpenMP's threads and BLIS's packing buffers, 0.1–0.2 s) made two threads look
/// hundreds of times slower, the next trial came thousands of calls later, and a CharLoop slice
/// ran all its products on one thread at 42–81 GFLOP/s (7.8 s against 4.2–4.5 s).
final class AdaptiveThreads {
    struct Shape: Hashable { let m, n, k: Int; let transA, transB: Bool }

    struct Costs {
        /// Moving averages of ns/flop for one thread and for `many` (nil until measured).
        var cost: [Double?] = [nil, nil]
        /// Calls timed per setting (the first of each is discarded).
        var timed = [0, 0]
        var calls = 0
        var nextTrial = 0
    }

    let many: Int
    let minimumFlops: Int
    var shapes: [Shape: Costs] = [:]
    /// The setting the last decided (not exploratory) product ran with: elementwise kernels and
    /// gradient pairs follow it (`Parallel.threads`).
    private(set) var prefersMany = false

    init(many: Int, minimumFlops: Int) { self.many = many; self.minimumFlops = minimumFlops }

    func choose(_ shape: Shape) -> Int {
        var c = shapes[shape] ?? Costs()
        defer { shapes[shape] = c }
        c.calls += 1
        // Two calls on each setting first: the first pays one-time costs and is not counted.
        guard let one = c.cost[0] else { return 1 }
        guard let several = c.cost[1] else { return many }
        let best = one <= several ? 0 : 1
        if c.calls >= c.nextTrial {
            // Try the other setting once; wait longer the worse it looked.
            let ratio = max(one, several) / min(one, several)
            c.nextTrial = c.calls + Int(32 * min(ratio, 64))
            return best == 0 ? many : 1
        }
        prefersMany = best == 1
        return best == 0 ? 1 : many
    }

    func record(_ shape: Shape, threads: Int, nanosecondsPerFlop x: Double) {
        let i = threads == 1 ? 0 : 1
        guard var c = shapes[shape] else { return }
        c.timed[i] += 1
        if c.timed[i] > 1 {
            // One slow call (preempted, page faults) moves the average by at most 4× its value.
            let sample = c.cost[i].map { Swift.min(x, 4 * $0) } ?? x
            c.cost[i] = c.cost[i].map { 0.8 * $0 + 0.2 * sample } ?? sample
        }
        shapes[shape] = c
    }
}

/// Monotonic nanoseconds without Foundation.
enum DispatchClock {
    @inline(__always)
    static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
