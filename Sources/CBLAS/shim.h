// The one place that names the BLAS provider and its threads. Products go through the standard
// cblas_* interface; BLIS's own calls (kernel family, thread count) and libgomp's (the OpenMP
// runtime BLIS runs on, whose team Kernels/Parallel.swift borrows) are wrapped below as
// unrolled_* functions, so nothing above this header names BLIS or libgomp. Swapping providers
// means this header and the modulemap's `link` line.
//
// BLIS (with its skx kernels, see BLAS.kernels) was measured against OpenBLAS on this project's
// 2-core AVX-512 machine for the lessons' shapes (README, "Speed": `make bench` prints both, and
// PyTorch's MKL, which is faster there on two threads but is not a Debian main package).
// Re-measure before changing it.
#ifndef UNROLLED_CBLAS_SHIM_H
#define UNROLLED_CBLAS_SHIM_H
// Include a libc header first: BLIS's cblas.h defines _POSIX_C_SOURCE when it is not yet
// defined, which would give its copy of libc's types different feature macros from Swift's
// Glibc module (and a "struct tm is not present" module clash).
#include <stdlib.h>
#include <blis-openmp/cblas.h>

// BLIS exposes its thread count through its own API rather than cblas; declare the two calls
// we use so the shim stays a single include.
void bli_thread_set_num_threads(long n_threads);
long bli_thread_get_num_threads(void);

// BLIS picks its kernels at first use from the CPU it finds (or from BLIS_ARCH_TYPE, an index
// into its arch_t enum, read once). These two calls report what it chose.
// bli_init reads BLIS_ARCH_TYPE; querying before it aborts ("uninitialized context in gks").
void bli_init(void);
int bli_arch_query_id(void);
const char* bli_arch_string(int id);

// AVX-512 (foundation) on this CPU, asked of the compiler's cpuid wrapper.
static inline int unrolled_cpu_has_avx512f(void) {
#if defined(__x86_64__)
    return __builtin_cpu_supports("avx512f");
#else
    return 0;
#endif
}
// AVX2 and FMA: what TensorCore is compiled for on x86-64 (Package.swift, -target-cpu haswell).
static inline int unrolled_cpu_has_avx2_fma(void) {
#if defined(__x86_64__)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 1;
#endif
}

static inline void unrolled_blas_set_threads(int n) { bli_thread_set_num_threads((long)n); }
static inline int unrolled_blas_get_threads(void) { return (int)bli_thread_get_num_threads(); }

// The kernel family BLIS runs ("skx", "haswell", ...), fixed at its first call. BLIS 0.9 picks
// AVX-512 kernels only when it can count the CPU's FMA units; under KVM it cannot and falls back
// to AVX2 ones, so on an AVX-512 CPU ask for skx (index 0 of arch_t) unless BLIS_ARCH_TYPE is set.
static inline const char *unrolled_blas_kernel_family(void) {
    if (unrolled_cpu_has_avx512f() && getenv("BLIS_ARCH_TYPE") == NULL) setenv("BLIS_ARCH_TYPE", "0", 0);
    bli_init();
    return bli_arch_string(bli_arch_query_id());
}

// BLIS's OpenMP team, found in the process (BLIS's OpenMP build loaded libgomp): a region opened
// with GOMP_parallel (what `#pragma omp parallel` compiles to) runs on the worker thread that is
// already spinning for BLIS's next product. All 0 when the BLAS does not use libgomp.
#include <dlfcn.h>
typedef void (*unrolled_team_region)(void *);
static inline void *unrolled_team_symbol(const char *name) { return dlsym(RTLD_DEFAULT, name); }
static inline int unrolled_team_available(void) {
    return unrolled_team_symbol("GOMP_parallel") && unrolled_team_symbol("omp_get_thread_num")
        && unrolled_team_symbol("omp_get_num_threads");
}
// Run `region(data)` on `threads` threads of the team; the caller is one of them.
static inline void unrolled_team_run(unrolled_team_region region, void *data, unsigned threads) {
    static void (*parallel)(unrolled_team_region, void *, unsigned, unsigned);
    if (!parallel) parallel = (void (*)(unrolled_team_region, void *, unsigned, unsigned))unrolled_team_symbol("GOMP_parallel");
    parallel(region, data, threads, 0);
}
static inline int unrolled_team_thread_number(void) {
    static int (*f)(void);
    if (!f) f = (int (*)(void))unrolled_team_symbol("omp_get_thread_num");
    return f();
}
static inline int unrolled_team_size(void) {
    static int (*f)(void);
    if (!f) f = (int (*)(void))unrolled_team_symbol("omp_get_num_threads");
    return f();
}
#endif
