// LAPACK through its C interface (Debian's liblapacke-dev). Only the SVD is used: the collab
// lesson's PCA, as sklearn computes it, is an SVD of the centred data.
#ifndef UNROLLED_CLAPACK_SHIM_H
#define UNROLLED_CLAPACK_SHIM_H
#include <stdlib.h>
#include <lapacke.h>
#endif
