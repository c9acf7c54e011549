// The one place that names the BLAS provider. Everything above sees only the standard
// cblas_* interface, so swapping providers (OpenBLAS on other Linux machines, Accelerate on
// macOS) is a change to this header and the modulemap's `link` line, nothing else.
//
// BLIS was measured fastest on this project's 2-core AVX2 machine for the lesson's skinny
// shapes (see README, "Why BLIS"). Re-measure with `make bench` before changing it.
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

static inline void unrolled_blas_set_threads(int n) { bli_thread_set_num_threads((long)n); }
static inline int unrolled_blas_get_threads(void) { return (int)bli_thread_get_num_threads(); }
#endif
