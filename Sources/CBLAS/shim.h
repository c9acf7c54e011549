// The one header that includes the BLAS provider. Products go through the standard cblas_*
// interface; BLIS is named beyond it only in TensorCore's Kernels/BLAS.swift (its kernel family
// and thread count, declared below) and Kernels/Parallel.swift (libgomp, the OpenMP runtime BLIS
// runs on). Swapping providers means this header, the modulemap's `link` line and those two files.
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
#endif
