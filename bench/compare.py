"""`make bench`: the same training work in Unrolled and in PyTorch 2.15, alternated, one table;
then raw sgemm on the lessons' product shapes, BLIS against OpenBLAS and PyTorch's own, a second table.

Each work runs as child processes in the order Unrolled (trace summary), PyTorch, Unrolled
(trace off), repeated `--repeats` times, so a neighbour's load slows both sides alike; the
table reports each side's median. Ratios and the summary cost are taken within each repeat
(that repeat's summary run over the PyTorch or untraced run beside it), and the table shows
their median with the lowest and highest in brackets: on a VM whose speed drifts by tens of
percent over minutes, a ratio of runs a few seconds apart is steadier than a ratio of medians,
and the range shows how far to trust it. Times are training seconds as each program reports them
(steps plus per-epoch validation, not corpus loading); peak RSS is each child's ru_maxrss
(os.wait4). GFLOP/s is the matrix-product work Unrolled issued (counted in BLAS.gemm) over the
wall time spent inside cblas_sgemm in the untraced run (also reported as a share of its training
time), beside raw cblas_sgemm measured by unrolled-bench on this machine.

The second table (work `gemm`) is raw sgemm GFLOP/s on the six products the lessons issue
(hidden layer forward NT, backward data NN and weight TN; RNN input projection NT and its
weight gradient TN; output layer NT), on 1 and 2 threads: BLIS through cblas_sgemm as Unrolled
calls it (`unrolled-bench --gemm-json`, which also names BLIS's kernel family), OpenBLAS as
bundled in the venv's numpy, and `torch.mm` (the BLAS the PyTorch side multiplies with: MKL in
the x86 wheels), each through bench/raw_gemm.py, one child per library and thread count (it
reports the core OpenBLAS picked at load, and the BLAS PyTorch was built with). Each figure is
the median of 51 calls after 5 warm-up calls; with `--repeats N` the five children alternate N
times and the table shows each figure's median over the N runs. `--only gemm` prints this table
alone, in a few seconds.

The third table (work `trace-off`) is what tracing `off` costs: the same untraced runs in the
release build and in one built with `UNROLLED_NO_TRACE=1` (every tracing branch compiled out of
TensorCore; built into .build/no-trace on first use), alternated, lesson 1 (10,000 iterations)
and `--epochs` × 0.2 of CharRnn, at least 8 pairs. With valgrind installed it adds the
instructions per lesson-1 iteration of both builds (callgrind, the difference of 15,000- and
5,000-iteration runs, address randomisation off), which do not drift with the machine.

    .venv-torch/bin/python bench/compare.py [--epochs 1] [--repeats 1] [--only gemm,char3,...] [--markdown FILE]
"""
import argparse, datetime, json, os, platform, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNROLLED = os.path.join(ROOT, ".build", "release", "unrolled")
# bench-run lives in the developer binary (`make bench` builds it), beside `unrolled`.
BENCH_RUN = os.path.join(ROOT, ".build", "release", "unrolled-dev")
NO_TRACE_BUILD = os.path.join(ROOT, ".build", "no-trace")
BENCH_RUN_NO_TRACE = os.path.join(NO_TRACE_BUILD, "release", "unrolled-dev")
BENCH = os.path.join(ROOT, ".build", "release", "unrolled-bench")
RAW_GEMM = os.path.join(ROOT, "bench", "raw_gemm.py")
OTHER_LIBRARIES = ("openblas", "torch")
CHAR_LESSONS = ["char3", "char-loop", "char-loop-concat", "char-rnn", "char-seq-rnn"]
TARGETS = {"linear-sgd": 0.10, "char3": 0.7, "char-loop": 0.6, "char-loop-concat": 0.6,
           "char-rnn": 0.6, "char-seq-rnn": 0.7, "collab": 1.0}


def run(cmd, env=None):
    """Run a child; return (stdout, wall seconds, peak RSS MB of that child alone)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        sys.exit(f"failed ({status}): {' '.join(cmd)}\n{err.decode()[-2000:]}")
    return out.decode(), wall, usage.ru_maxrss / 1024


def last_json(text):
    return json.loads(text.strip().splitlines()[-1])


def raw_gemm(python, repeats):
    """BLIS (unrolled-bench), OpenBLAS (numpy) and PyTorch's torch.mm, 1 and 2 threads each, on
    the same shapes, alternated `repeats` times; the BLIS report with each shape's median GFLOP/s
    per library and thread count."""
    blis, other = [], {(lib, t): [] for lib in OTHER_LIBRARIES for t in (1, 2)}
    for _ in range(repeats):
        blis.append(last_json(run([BENCH, "--gemm-json"])[0]))
        shapes = ",".join(f"{s['op']}:{s['m']}x{s['n']}x{s['k']}" for s in blis[0]["shapes"])
        for (library, threads), runs in other.items():
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
            out = run([python, RAW_GEMM, "--library", library, "--threads", str(threads), "--shapes", shapes], env=env)[0]
            runs.append(last_json(out))
    report = dict(blis[0])
    for key in ("gflops_1", "gflops_2"):
        report[key] = statistics.median(b[key] for b in blis)
    for i, shape in enumerate(report["shapes"]):
        for key in ("gflops_1", "gflops_2"):
            shape[key] = statistics.median(b["shapes"][i][key] for b in blis)
        for (library, threads), runs in other.items():
            shape[f"{library}_{threads}"] = statistics.median(o["shapes"][i]["gflops"] for o in runs)
    for library in OTHER_LIBRARIES:
        report[library] = other[(library, 1)][0]
        report[f"{library}_threads"] = {t: other[(library, t)][0]["threads"] for t in (1, 2)}
    report["runs"] = repeats
    return report


def gemm_table(raw):
    ob = raw["openblas"]
    pt = raw["torch"]
    lines = ["| product (lesson) | op | m×n×k | BLIS 1 thread | BLIS 2 threads | OpenBLAS 1 thread | OpenBLAS 2 threads "
             "| PyTorch 1 thread | PyTorch 2 threads |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for s in raw["shapes"]:
        lines.append(f"| {s['name']} | {s['op']} | {s['m']}×{s['n']}×{s['k']} | {s['gflops_1']:.1f} | {s['gflops_2']:.1f} | "
                     f"{s['openblas_1']:.1f} | {s['openblas_2']:.1f} | {s['torch_1']:.1f} | {s['torch_2']:.1f} |")
    version = ob["config"].split()[1] if ob["config"].startswith("OpenBLAS") else ob["config"]
    threads = raw["openblas_threads"]
    lines.append("")
    lines.append(f"Raw sgemm GFLOP/s, row-major C = op(A)·op(B) (C is m×n, op = N or T per operand, transposes "
                 f"passed as BLAS flags), median of {raw['repeats']} calls after warm-up"
                 + (f", then median of {raw['runs']} runs" if raw["runs"] > 1 else "") + ". "
                 f"BLIS: cblas_sgemm as Unrolled calls it, kernel family `{raw['kernels']}`. "
                 f"OpenBLAS {version} as bundled in numpy {ob['numpy']} (core `{ob.get('core', '?')}` chosen at load; "
                 f"threads {threads[1]} and {threads[2]} as OPENBLAS_NUM_THREADS), through `numpy.matmul(a, b.T, out=c)`: "
                 "transposed views go to sgemm as flags, not copies. "
                 f"PyTorch {pt['torch']}: `torch.mm(a, b.t(), out=c)` after `torch.set_num_threads` "
                 f"({raw['torch_threads'][1]} and {raw['torch_threads'][2]}), the products its CPU build runs "
                 f"({pt['config']}). Each call's few µs of Python overhead is included.")
    return lines


def trace_off_cost(epochs, repeats):
    """Untraced runs of the release build against the build with tracing compiled out,
    alternated; with valgrind, instructions per lesson-1 iteration of both. Table lines."""
    print("  building the reference with tracing compiled out (UNROLLED_NO_TRACE=1, .build/no-trace)",
          file=sys.stderr, flush=True)
    build = subprocess.run(["swift", "build", "-c", "release", "--scratch-path", NO_TRACE_BUILD, "--product", "unrolled-dev"],
                           cwd=ROOT, env=dict(os.environ, UNROLLED_NO_TRACE="1"), capture_output=True, text=True)
    if build.returncode != 0:
        sys.exit(f"building with UNROLLED_NO_TRACE=1 failed:\n{build.stderr[-2000:]}")
    if last_json(run([BENCH_RUN_NO_TRACE, "bench-run", "linear-sgd", "--epochs", "0.01"])[0]).get("trace_compiled_in", True):
        sys.exit(f"{BENCH_RUN_NO_TRACE}: still has tracing compiled in; remove .build/no-trace and run again")
    works = [("linear-sgd", 1.0, "linear SGD, 10000 it × 10k points"),
             ("char-rnn", 0.2 * epochs, f"char-rnn, {0.2 * epochs:g} epoch")]
    lines = ["| work (untraced) | tracing off s | compiled out s | off ÷ compiled out |", "|---|---:|---:|---:|"]
    for work, e, label in works:
        on, out = [], []
        for _ in range(max(repeats, 8)):
            for binary, times in ((BENCH_RUN, on), (BENCH_RUN_NO_TRACE, out)):
                cmd = [binary, "bench-run", work, "--epochs", str(e), "--trace-level", "off"]
                times.append(last_json(run(cmd)[0])["train_seconds"])
        ratios = sorted(x / y for x, y in zip(on, out))
        lines.append(f"| {label} | {statistics.median(on):.3f} | {statistics.median(out):.3f} | "
                     f"{statistics.median(ratios):.3f} ({ratios[0]:.3f}–{ratios[-1]:.3f}) |")
        print(f"  {label}: off {statistics.median(on):.3f}s, compiled out {statistics.median(out):.3f}s",
              file=sys.stderr, flush=True)
    lines.append("")
    note = (f"Both columns run untraced; \"compiled out\" is the same source built with `UNROLLED_NO_TRACE=1`, "
            f"where `Tracer.isOn` is the constant false and every tracing branch is removed. Medians of "
            f"{max(repeats, 8)} alternated pairs; off ÷ compiled out is taken within each pair (median, lowest–highest).")
    counts = callgrind_per_iteration()
    if counts:
        (on_own, on_lib), (out_own, out_lib) = counts
        note += (f" callgrind, lesson 1 (the difference of 15,000- and 5,000-iteration runs over 10,000, address "
                 f"randomisation off), instructions per iteration with tracing off against compiled out: "
                 f"{on_own + on_lib:,} against {out_own + out_lib:,} in all; in Unrolled's own code "
                 f"{on_own:,} against {out_own:,} ({on_own - out_own:+,}); in the libraries it calls (Swift runtime, "
                 f"malloc) {on_lib:,} against {out_lib:,}: counts that follow the binary's layout (where the runtime's "
                 f"metadata cache lookups and malloc's free lists land) more than the branches.")
    else:
        note += " (valgrind not installed: no instruction counts.)"
    lines.append(note)
    return lines


def callgrind_per_iteration():
    """Instructions per lesson-1 iteration, (tracing off, compiled out), or None without valgrind."""
    if not shutil.which("valgrind"):
        return None
    prefix = ["setarch", platform.machine(), "-R"] if shutil.which("setarch") else []
    result = []
    with tempfile.TemporaryDirectory() as d:
        for binary in (BENCH_RUN, BENCH_RUN_NO_TRACE):
            # valgrind cannot read the Swift toolchain's debug information: count a stripped copy.
            stripped = os.path.join(d, "unrolled")
            subprocess.run(["strip", "-o", stripped, binary], check=True)
            counts = []
            for epochs in ("0.5", "1.5"):
                cmd = prefix + ["valgrind", "--tool=callgrind", f"--callgrind-out-file={d}/out",
                                stripped, "bench-run", "linear-sgd", "--epochs", epochs, "--trace-level", "off"]
                p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
                annotated = subprocess.run(["callgrind_annotate", "--threshold=100", f"{d}/out"],
                                           capture_output=True, text=True)
                if p.returncode != 0 or annotated.returncode != 0:
                    print(f"  callgrind failed ({' '.join(cmd)}): skipped", file=sys.stderr)
                    return None
                # Split by where the instructions ran: Unrolled's own code (the binary) or the
                # libraries (Swift runtime, malloc), whose counts move with the binary's layout.
                own = other = 0
                for line in annotated.stdout.splitlines():
                    fields = line.split()
                    if len(fields) < 3 or not fields[0].replace(",", "").isdigit() or not line.rstrip().endswith("]"):
                        continue
                    n = int(fields[0].replace(",", ""))
                    if line.rstrip().endswith(f"[{stripped}]"):
                        own += n
                    else:
                        other += n
                counts.append((own, other))
            result.append(tuple(round((b - a) / 10_000) for a, b in zip(*counts)))
    return tuple(result)


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=float, default=1.0, help="epochs per character model (1 = the issue's work)")
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--only", default=None, help="comma-separated works (linear-sgd, char3, ..., collab, trace, gemm, trace-off)")
    p.add_argument("--markdown", default=None, help="also write the table as Markdown to this file")
    a = p.parse_args()
    python = sys.executable
    works = ["linear-sgd"] + CHAR_LESSONS + ["collab", "trace", "gemm", "trace-off"]
    if a.only:
        unknown = set(a.only.split(",")) - set(works)
        if unknown:
            p.error(f"unknown work(s) {', '.join(sorted(unknown))}; choose from {', '.join(works)}")
        works = [w for w in works if w in a.only.split(",")]
    training = [w for w in works if w not in ("gemm", "trace-off")]

    loads = [load_average()]
    if "gemm" in works:
        raw = raw_gemm(python, a.repeats)
        loads.append(load_average())
    else:
        raw = last_json(run([BENCH, "--gemm-json"])[0])
    rows = []
    for work in training:
        if work == "trace":
            continue
        if work == "linear-sgd":
            iters = max(1, round(10_000 * a.epochs))
            u_cmd = [BENCH_RUN, "bench-run", "linear-sgd", "--epochs", str(a.epochs)]
            t_cmd = [python, "bench/pytorch_linear_sgd.py", "--iterations", str(iters), "--threads", "2", "--json"]
            label = f"linear SGD, {iters} it × 10k points"
        elif work == "collab":
            # One epoch of the first SGDR cycle on the synthetic 100k-rating set, both sides.
            u_cmd = [BENCH_RUN, "bench-run", "collab", "--synthetic", "--epochs", "1"]
            t_cmd = [python, "bench/pytorch_collab.py", "--threads", "2", "--json"]
            label = "collab (EmbeddingDotBias), 1 epoch × 100k synthetic ratings"
        else:
            u_cmd = [BENCH_RUN, "bench-run", work, "--epochs", str(a.epochs)]
            t_cmd = [python, "bench/pytorch_lessons.py", "--lesson", work, "--epochs", str(a.epochs),
                     "--threads", "2", "--json"]
            label = f"{work}, {a.epochs:g} epoch"
        us, uo, tp = [], [], []
        for _ in range(a.repeats):
            out, _, rss = run(u_cmd + ["--trace-level", "summary"]); j = last_json(out); j["rss"] = rss; us.append(j)
            out, _, rss = run(t_cmd); j = last_json(out); j["rss"] = rss; tp.append(j)
            out, _, rss = run(u_cmd + ["--trace-level", "off"]); j = last_json(out); j["rss"] = rss; uo.append(j)
            loads.append(load_average())
        med = lambda js, k: statistics.median(j[k] for j in js)
        s, o, t = med(us, "train_seconds"), med(uo, "train_seconds"), med(tp, "train_seconds")
        # Paired within each repeat (see the top of this file).
        ratios = [u["train_seconds"] / p["train_seconds"] for u, p in zip(us, tp)]
        costs = [u["train_seconds"] / q["train_seconds"] - 1 for u, q in zip(us, uo)]
        gflop = us[0]["gemm_gflop"]
        gemm_s = med(uo, "gemm_seconds") if all("gemm_seconds" in j for j in uo) else None
        # What the products alone take, over PyTorch's whole run (paired): the ratio Unrolled
        # would reach if nothing but its matrix products took time, at the speed BLIS ran them.
        floors = [q["gemm_seconds"] / p["train_seconds"] for q, p in zip(uo, tp)] if gflop and gemm_s else None
        rows.append({"work": label, "key": work, "summary": s, "off": o, "torch": t,
                     "ratios": ratios, "costs": costs, "floors": floors,
                     "target": TARGETS[work], "rss_u": max(j["rss"] for j in us + uo),
                     "rss_t": max(j["rss"] for j in tp),
                     "gflops": gflop / gemm_s if gflop and gemm_s else None,
                     "gemm_share": gemm_s / o if gflop and gemm_s else None})
        print(f"  {label}: Unrolled {s:.2f}s (off {o:.2f}s), PyTorch {t:.2f}s", file=sys.stderr, flush=True)

    trace = None
    if "trace" in works:
        times = []
        with tempfile.TemporaryDirectory() as d:
            out_path = os.path.join(d, "step.jsonl")
            for _ in range(max(a.repeats, 3)):
                _, wall, rss = run([UNROLLED, "trace", "char-seq-rnn", "--level", "full", "--out", out_path])
                times.append((wall, rss, os.path.getsize(out_path) / 1e6))
        wall = statistics.median(t[0] for t in times)
        trace = {"wall": wall, "rss": max(t[1] for t in times), "mb": times[0][2]}

    lines = []
    lines.append(f"{datetime.date.today()} · {platform.node() or 'host'}: {os.cpu_count()} cores, "
                 f"{cpu_name()} · load average during the run: {', '.join(loads)}")
    lines.append("")
    off_cost = trace_off_cost(a.epochs, a.repeats) if "trace-off" in works else []
    if not training:
        if "gemm" in works:
            lines += gemm_table(raw)
        if off_cost:
            lines += ([""] if "gemm" in works else []) + off_cost
        finish("\n".join(lines), a.markdown)
        return
    lines.append("| work | Unrolled s (summary) | Unrolled s (off) | summary cost | PyTorch s | ratio (summary) | target | "
                 "peak RSS Unrolled | peak RSS PyTorch | Unrolled GEMM GFLOP/s | time in GEMM | products alone ÷ PyTorch |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    def spread(values, fmt):
        # "median (lowest–highest)" when there was more than one repeat.
        m = fmt(statistics.median(values))
        return m if len(values) < 2 else f"{m} ({fmt(min(values))}–{fmt(max(values))})"

    for r in rows:
        ok = "✓" if statistics.median(r["ratios"]) <= r["target"] else "✗"
        g = f"{r['gflops']:.1f}" if r["gflops"] else "—"
        share = f"{100 * r['gemm_share']:.0f}%" if r.get("gemm_share") else "—"
        cost = spread(r["costs"], lambda c: f"{100 * c:+.0f}%")
        ratio = spread(r["ratios"], lambda x: f"{x:.2f}")
        floor = "—"
        if r["floors"]:
            above = statistics.median(r["floors"]) > r["target"]
            floor = spread(r["floors"], lambda x: f"{x:.2f}") + (" > target" if above else "")
        lines.append(f"| {r['work']} | {r['summary']:.2f} | {r['off']:.2f} | {cost} | {r['torch']:.2f} | "
                     f"{ratio} {ok} | ≤ {r['target']:.2f} | {r['rss_u']:.0f} MB | {r['rss_t']:.0f} MB | {g} | {share} | {floor} |")
    if trace:
        ok = "✓" if trace["wall"] <= 1 and trace["rss"] <= 300 else "✗"
        lines.append(f"| `trace char-seq-rnn --level full` ({trace['mb']:.0f} MB file) | {trace['wall']:.2f} (whole process) | | | | "
                     f"{ok} | ≤ 1 s, ≤ 300 MB | {trace['rss']:.0f} MB | | | | |")
    lines.append("")
    lines.append("Unrolled runs with its default BLAS threading (large products pick 1 or 2 threads by timing both; "
                 "see `Unrolled.swift`); PyTorch with `torch.set_num_threads(2)`. Summary cost = Unrolled with every "
                 "op traced at `summary` (statistics of every tensor, to a counting sink) over the same run untraced. "
                 "Seconds are medians over the repeats; summary cost and ratio are taken within each repeat "
                 "(median, lowest–highest in brackets).")
    lines.append("")
    lines.append(f"Raw cblas_sgemm (BLIS) 512×256×256 (NN) on this machine: {raw['gflops_1']:.1f} GFLOP/s on 1 thread, "
                 f"{raw['gflops_2']:.1f} on 2 threads (median of {raw['repeats']}"
                 + (f", then of {raw['runs']} runs" if raw.get("runs", 1) > 1 else "") + "). "
                 f"Unrolled GEMM GFLOP/s = its matrix products' flops over the wall time spent inside cblas_sgemm "
                 f"during the untraced run; time in GEMM = that wall time over the run's training time; "
                 f"products alone ÷ PyTorch = that wall time over PyTorch's training time in the same repeat, the "
                 f"ratio Unrolled would reach if nothing but its matrix products took time (\"> target\": the products "
                 f"alone, at the speed BLIS ran them, miss the target).")
    if "gemm" in works:
        lines.append("")
        lines += gemm_table(raw)
    if off_cost:
        lines.append("")
        lines += off_cost
    finish("\n".join(lines), a.markdown)


def finish(text, markdown):
    print(text)
    if markdown:
        # Whole or not at all: a temporary file beside it, then renamed over it.
        tmp = f"{markdown}.tmp{os.getpid()}"
        with open(tmp, "w") as f:
            f.write(text + "\n")
        os.replace(tmp, markdown)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    main()
