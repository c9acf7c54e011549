"""Raw sgemm GFLOP/s on the lessons' product shapes in another library; one JSON line.

`--library openblas`: OpenBLAS through numpy. numpy's wheels bundle OpenBLAS (scipy-openblas,
DYNAMIC_ARCH: the kernel core is chosen at load time from the CPU, which numpy.__config__ does not
show: it reports the build's base target, e.g. "Haswell", so the core is read from the library
itself with openblas_get_corename). OpenBLAS reads OPENBLAS_NUM_THREADS once, when the library
loads, so one process measures one thread count: `--threads N` sets it before numpy is imported.
numpy's matmul passes an F-contiguous view (`b.T`) to cblas_sgemm as CblasTrans with its leading
dimension and copies only operands BLAS cannot read (numpy/_core/src/umath/matmul.c.src:
is_blasable2d, *_matmul_matrixmatrix). Checked by timing on this machine: a @ w.T (view) ran as
fast as a @ contiguous(w.T), while copying the transpose per call added ~70 µs on 512×256×256 and
~5 ms on the 4096-row TN product.

`--library torch`: the products PyTorch's CPU build runs, `torch.mm(a, b.t(), out=c)` with
`torch.set_num_threads(N)`: PyTorch's float32 mm on CPU calls its BLAS (MKL in the x86 wheels,
named from torch.__config__) and passes transposed views as flags too. This is what the PyTorch
side of `make bench` multiplies with.

bench/compare.py runs this once per library and thread count beside `unrolled-bench --gemm-json`
(BLIS) on the same shapes. Operands are float32 and row-major (C-contiguous); a transposed operand
is a view. The output is preallocated (`out=`), like the Swift side's buffer. Each shape: 5
warm-up calls, then the median of `--repeats` calls timed one by one (a call's Python overhead, a
few µs, is included: ~1% on the smallest shape).

    .venv-torch/bin/python bench/raw_gemm.py --library openblas|torch --threads 1 [--repeats 51]
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


def openblas_info(threads):
    """numpy with OpenBLAS loaded for `threads` threads: (numpy, info)."""
    os.environ["OPENBLAS_NUM_THREADS"] = str(threads)  # before numpy loads OpenBLAS
    import numpy as np

    lib, sym = openblas_library(np)
    info = {"library": "openblas", "numpy": np.__version__}
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
    return np, info


def torch_info(threads):
    """torch with `threads` intra-op threads: (torch, info), the BLAS named from its build config."""
    import torch

    torch.set_num_threads(threads)
    config = torch.__config__.show()
    blas = next((line.strip(" -") for line in config.splitlines() if "Math Kernel Library" in line), None)
    info = {"library": "torch", "torch": torch.__version__, "threads": torch.get_num_threads(),
            "config": blas or "BLAS_INFO=" + next((part.split("=")[1] for part in config.split(", ")
                                                    if part.startswith("BLAS_INFO=")), "?")}
    return torch, info


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--library", choices=["openblas", "torch"], default="openblas")
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--repeats", type=int, default=51)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--shapes", default=DEFAULT_SHAPES)
    a = p.parse_args()
    if a.library == "openblas":
        np, info = openblas_info(a.threads)
        rng = np.random.default_rng(1)
        rand = lambda shape: rng.uniform(-1, 1, shape).astype(np.float32)  # C-contiguous
        transpose = lambda x: x.T
        empty = lambda m, n: np.empty((m, n), np.float32)
        product = lambda A, B, C: np.matmul(A, B, out=C)
    else:
        torch, info = torch_info(a.threads)
        g = torch.Generator().manual_seed(1)
        rand = lambda shape: torch.rand(shape, generator=g) * 2 - 1  # contiguous float32
        transpose = lambda x: x.t()
        empty = lambda m, n: torch.empty((m, n))
        product = lambda A, B, C: torch.mm(A, B, out=C)
    info.update(threads_requested=a.threads, repeats=a.repeats)

    results = []
    for op, m, n, k in parse_shapes(a.shapes):
        A = transpose(rand((k, m))) if op[0] == "T" else rand((m, k))  # op(A) is m×k; a view when transposed
        B = transpose(rand((n, k))) if op[1] == "T" else rand((k, n))
        C = empty(m, n)
        for _ in range(a.warmup):
            product(A, B, C)
        times = []
        for _ in range(a.repeats):
            t0 = time.perf_counter_ns()
            product(A, B, C)
            times.append(time.perf_counter_ns() - t0)
        seconds = statistics.median(times) / 1e9
        results.append({"op": op, "m": m, "n": n, "k": k, "gflops": 2 * m * n * k / seconds / 1e9})
    print(json.dumps({**info, "shapes": results}))


if __name__ == "__main__":
    main()
