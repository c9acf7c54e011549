// Large elementwise kernels split in two, run by BLAS's own OpenMP team.
//
// Why BLIS's team and not a thread pool of our own: between two matrix products, BLIS's worker
// thread does not sleep, it spin-waits inside libgomp for the next parallel region (that is
// what makes a product start in microseconds). A second pool of ours (Dispatch) had to take
// the core from that spinning thread at every kernel, and a CharRnn slice ran 4.65 → 6.60 s
// (README, "Speed"). Handing the kernel to libgomp as one more parallel region
// (`GOMP_parallel`, what `#pragma omp parallel` compiles to) gives it to the thread that is
// already spinning on the other core, the way PyTorch shares one OpenMP team between MKL and
// its own kernels.
//
// Only pointwise kernels use it: each value is computed the same way on either thread, so
// results are bit-identical to the one-thread loop. Reductions stay on one thread (their
// order of additions would change).

import CBLAS
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum Parallel {
    /// Whether the BLAS's OpenMP team is there to borrow (the CBLAS shim looks it up); without
    /// it every kernel runs on one thread.
    static let teamAvailable = unrolled_team_available() != 0

    /// Threads for elementwise kernels: 2 while BLAS runs its large products on 2 (fixed by
    /// UNROLLED_THREADS, or chosen by timing, see `AdaptiveThreads`), else 1. When another
    /// process holds the second core, the timing picks one thread for BLAS, and this follows.
    static var threads: Int {
        BLAS.setup.withLock { s in s.adaptive.map { $0.prefersMany ? $0.many : 1 } ?? s.fixed }
    }

    /// Below this many values a kernel is done before the region's start and end barriers
    /// (~1–2 µs) pay off: 16,384 floats take ~8 µs to add.
    static let minimumCount = 1 << 14

    /// Whether this thread may open a region (the training thread, with libgomp present).
    static var usable: Bool { teamAvailable && onOwnerThread }

    /// Whether this is the thread that set BLAS up (the training thread). Kernels called from
    /// any other thread (the trace queue, Dispatch workers) run serially: a region opened there
    /// would make libgomp start a second team.
    static var onOwnerThread: Bool {
        guard let owner = BLAS.setup.withLock({ $0.owner }) else { return false }
        return pthread_equal(owner, pthread_self()) != 0
    }

    struct Job {
        let body: (Range<Int>) -> Void
        let count: Int
        let chunk: Int
    }

    /// Run `body` over 0..<n items of `width` values each (1 for a flat buffer, a row's length
    /// for rows), in one chunk per thread when that pays, else as one range. Flat chunks are
    /// multiples of 16 values (a 64-byte line), so the threads never write the same cache line.
    @inline(__always)
    static func forRanges(_ n: Int, width: Int = 1, _ body: (Range<Int>) -> Void) {
        guard n &* width >= minimumCount, n > 1, usable else { body(0..<n); return }
        let parts = threads
        guard parts > 1 else { body(0..<n); return }
        let align = width >= 16 ? 1 : 16
        Runtime.withCurrent { $0.work.regions += 1 }
        withoutActuallyEscaping(body) { body in
            var job = Job(body: body, count: n, chunk: ((n + parts - 1) / parts + align - 1) / align * align)
            withUnsafeMutablePointer(to: &job) { pointer in
                unrolled_team_run({ raw in
                    let job = raw!.assumingMemoryBound(to: Job.self).pointee
                    // The team can be smaller than asked (OMP_THREAD_LIMIT, a region opened
                    // inside another): each thread takes every team-size-th chunk, so every
                    // chunk is done by someone.
                    let team = max(1, Int(unrolled_team_size()))
                    var start = Int(unrolled_team_thread_number()) * job.chunk
                    while start < job.count {
                        job.body(start..<min(start + job.chunk, job.count))
                        start += team * job.chunk
                    }
                }, pointer, UInt32(parts))
            }
        }
    }
}
