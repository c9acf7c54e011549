"""`make bench`: the same training work in Unrolled and in PyTorch 2.15, alternated, one table.

Each work runs as child processes in the order Unrolled (trace summary), PyTorch, Unrolled
(trace off), repeated `--repeats` times, so a neighbour's load slows both sides alike; the
table reports each side's median. Times are training seconds as each program reports them
(steps plus per-epoch validation, not corpus loading); peak RSS is each child's ru_maxrss
(os.wait4). GFLOP/s is the matrix-product work Unrolled issued (counted in BLAS.gemm) over its
training time, beside raw cblas_sgemm on 512×256×256 measured by unrolled-bench on this machine.

    .venv-torch/bin/python bench/compare.py [--epochs 1] [--repeats 1] [--only char3,...] [--markdown FILE]
"""
import argparse, datetime, json, os, platform, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNROLLED = os.path.join(ROOT, ".build", "release", "unrolled")
BENCH = os.path.join(ROOT, ".build", "release", "unrolled-bench")
CHAR_LESSONS = ["char3", "char-loop", "char-loop-concat", "char-rnn", "char-seq-rnn"]
TARGETS = {"linear-sgd": 0.10, "char3": 0.7, "char-loop": 0.6, "char-loop-concat": 0.6,
           "char-rnn": 0.6, "char-seq-rnn": 0.7}


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


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=float, default=1.0, help="epochs per character model (1 = the issue's work)")
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--only", default=None, help="comma-separated works (linear-sgd, char3, ..., trace)")
    p.add_argument("--markdown", default=None, help="also write the table as Markdown to this file")
    a = p.parse_args()
    python = sys.executable
    works = ["linear-sgd"] + CHAR_LESSONS + ["trace"]
    if a.only:
        works = [w for w in works if w in a.only.split(",")]

    raw = last_json(run([BENCH, "--gemm-json"])[0])
    loads = [load_average()]
    rows = []
    for work in works:
        if work == "trace":
            continue
        if work == "linear-sgd":
            iters = max(1, round(10_000 * a.epochs))
            u_cmd = [UNROLLED, "bench-run", "linear-sgd", "--epochs", str(a.epochs)]
            t_cmd = [python, "bench/pytorch_linear_sgd.py", "--iterations", str(iters), "--threads", "2", "--json"]
            label = f"linear SGD, {iters} it × 10k points"
        else:
            u_cmd = [UNROLLED, "bench-run", work, "--epochs", str(a.epochs)]
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
        gflop = us[0]["gemm_gflop"]
        rows.append({"work": label, "key": work, "summary": s, "off": o, "torch": t, "ratio": s / t,
                     "target": TARGETS[work], "rss_u": max(j["rss"] for j in us + uo),
                     "rss_t": max(j["rss"] for j in tp), "gflops": gflop / o if gflop else None})
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
    lines.append("| work | Unrolled s (summary) | Unrolled s (off) | summary cost | PyTorch s | ratio (summary) | target | "
                 "peak RSS Unrolled | peak RSS PyTorch | Unrolled GEMM GFLOP/s |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        ok = "✓" if r["ratio"] <= r["target"] else "✗"
        g = f"{r['gflops']:.1f}" if r["gflops"] else "—"
        lines.append(f"| {r['work']} | {r['summary']:.2f} | {r['off']:.2f} | {100 * (r['summary'] / r['off'] - 1):+.0f}% | {r['torch']:.2f} | "
                     f"{r['ratio']:.2f} {ok} | ≤ {r['target']:.2f} | {r['rss_u']:.0f} MB | {r['rss_t']:.0f} MB | {g} |")
    if trace:
        ok = "✓" if trace["wall"] <= 1 and trace["rss"] <= 300 else "✗"
        lines.append(f"| `trace char-seq-rnn --level full` ({trace['mb']:.0f} MB file) | {trace['wall']:.2f} (whole process) | | | | "
                     f"{ok} | ≤ 1 s, ≤ 300 MB | {trace['rss']:.0f} MB | | |")
    lines.append("")
    lines.append("Unrolled runs with its default BLAS threading (large products pick 1 or 2 threads by timing both; "
                 "see `Unrolled.swift`); PyTorch with `torch.set_num_threads(2)`. Summary cost = Unrolled with every "
                 "op traced at `summary` (statistics of every tensor, to a counting sink) over the same run untraced.")
    lines.append("")
    lines.append(f"Raw cblas_sgemm (BLIS) 512×256×256 on this machine: {raw['gflops_1']:.1f} GFLOP/s on 1 thread, "
                 f"{raw['gflops_2']:.1f} on 2 threads (median of {raw['repeats']}). "
                 f"Unrolled's GFLOP/s counts only its matrix products over its whole training time (trace off).")
    text = "\n".join(lines)
    print(text)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(text + "\n")


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
