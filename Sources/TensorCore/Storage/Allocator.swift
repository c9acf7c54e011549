// Every op returns a new buffer, and a training step frees as many as it makes, of the same
// sizes, every step. glibc's defaults hand the big ones (≥ 128 KiB at first) to mmap and give
// the heap's top back to the kernel on free, so each step page-faulted its buffers in afresh
// (measured: page faults and TLB flushes were ~15% of a linear-SGD step). Keeping freed
// memory in the heap lets the next step reuse it; the peak is what it was, so is peak RSS.

#if canImport(Glibc)
import Glibc
#endif

public enum Allocator {
    /// Keep freed buffers for reuse: no trimming below 512 MiB and no mmap below 64 MiB.
    /// Call once at startup (the CLI does); a no-op where the C library is not glibc.
    public static func keepFreedBuffers() {
        #if canImport(Glibc)
        // mallopt is declared in <malloc.h>, which Swift's Glibc module leaves out; look it up.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3  // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
        _ = mallopt(mmapThreshold, 64 << 20)
        _ = mallopt(trimThreshold, 512 << 20)
        #endif
    }
}
