"""Raw OpenBLAS sgemm GFLOP/s on the lessons' product shapes, through numpy; one JSON line.

numpy's wheels bundle OpenBLAS (scipy-openblas, DYNAMIC_ARCH: the kernel core is chosen at load
time from the CPU, which numpy.__config__ does not show: it reports the build's base target,
e.g. "Haswell", so the core is read from the library itself with openblas_get_corename).
OpenBLAS reads OPENBLAS_NUM_THREADS once, when the library loads, so one process measures one
thread count: `--threads N` sets it before numpy is imported. bench/compare.py runs this once per
thread count beside `unrolled-bench --gemm-json` (BLIS) on the same shapes.

Operands are float32 and C-contiguous; a transposed operand is a view (`b.T`). numpy's matmul
passes such an F-contiguous view to cblas_sgemm as CblasTrans with its leading dimension and
copies only operands BLAS cannot read (numpy/_core/src/umath/matmul.c.src: is_blasable2d,
*_matmul_matrixmatrix). Checked by timing on this machine: a @ w.T (view) ran as fast as
a @ contiguous(w.T), while copying the transpose per call added ~70 µs on 512×256×256 and ~5 ms
on the 4096-row TN product. The output is preallocated (`out=`), like the Swift side's buffer.
Each shape: 5 warm-up calls, then the median of `--repeats` calls timed one by one (a call's
Python overhead, a few µs, is included: ~1% on the smallest shape).

    .venv-torch/bin/python bench/raw_gemm_openblas.py --threads 1 [--repeats 51]
        [--shapes NT:512x256x256,NN:512x256x256,...]   (op:m×n×k, C[m,n] = op(A)·op(B))
"""
import argparse, ctypes, glob, json, os, statistics, sys, time

# Same list as unrolled-bench's lessonGemms (bench/compare.py passes that list on explicitly).
DEFAULT_SHAPES = "NT:512x256x256,NN:512x256x256,TN:256x256x512,NT:4096x256x42,TN:256x42x4096,NT:512x85x256"


def parse_shapes(text):
    shapes = []
    for item in text.split(","):
        op, dims = item.split(":")
        m, n, k = (int(d) for d in dims.split("x"))
        assert len(op) == 2 and set(op) <= {"N", "T"}, item
        shapes.append((op, m, n, k))
    return shapes


def openblas_library(np):
    """The OpenBLAS that numpy loaded, with its symbol prefix/suffix (scipy_openblas64_ in the wheels)."""
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs", "*openblas*"))
    if not libs:
        return None, None
    lib = ctypes.CDLL(libs[0])  # already loaded by numpy: dlopen returns the same handle
    for prefix, suffix in [("scipy_openblas_", "64_"), ("scipy_openblas_", ""), ("openblas_", "")]:
        if hasattr(lib, f"{prefix}get_corename{suffix}"):
            return lib, lambda name: getattr(lib, f"{prefix}{name}{suffix}")
    return None, None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--repeats", type=int, default=51)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--shapes", default=DEFAULT_SHAPES)
    a = p.parse_args()
    os.environ["OPENBLAS_NUM_THREADS"] = str(a.threads)  # before numpy loads OpenBLAS
    import numpy as np

    lib, sym = openblas_library(np)
    info = {"numpy": np.__version__, "threads_requested": a.threads, "repeats": a.repeats}
    if lib is not None:
        for name in ("get_corename", "get_config"):
            sym(name).restype = ctypes.c_char_p
        info["core"] = sym("get_corename")().decode()
        info["config"] = sym("get_config")().decode()
        info["threads"] = sym("get_num_threads")()
    else:
        blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
        info["config"] = f"{blas.get('name')} {blas.get('version')} (runtime core unknown)"
    if lib is None or "openblas" not in info["config"].lower():
        sys.exit(f"numpy is not linked to OpenBLAS: {info['config']}")

    rng = np.random.default_rng(1)
    rand = lambda shape: rng.uniform(-1, 1, shape).astype(np.float32)  # C-contiguous
    results = []
    for op, m, n, k in parse_shapes(a.shapes):
        A = rand((k, m)).T if op[0] == "T" else rand((m, k))  # op(A) is m×k; a view when transposed
        B = rand((n, k)).T if op[1] == "T" else rand((k, n))
        C = np.empty((m, n), np.float32)
        for _ in range(a.warmup):
            np.matmul(A, B, out=C)
        times = []
        for _ in range(a.repeats):
            t0 = time.perf_counter_ns()
            np.matmul(A, B, out=C)
            times.append(time.perf_counter_ns() - t0)
        seconds = statistics.median(times) / 1e9
        results.append({"op": op, "m": m, "n": n, "k": k, "gflops": 2 * m * n * k / seconds / 1e9})
    print(json.dumps({**info, "shapes": results}))


if __name__ == "__main__":
    main()
