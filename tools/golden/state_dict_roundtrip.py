"""Weights move both ways between PyTorch and Unrolled (issue [models] acceptance).

1. PyTorch makes a CharRnn (seeded), saves its state_dict as safetensors, and computes the
   loss on rows START:END of the overlapping-window layout; `unrolled eval` loads the same file
   and must print the same loss (within 1e-4).
2. `unrolled run char-rnn --save` trains briefly and saves; PyTorch loads that state_dict and
   computes the loss on the same rows; again they must agree.

    .venv-torch/bin/python tools/golden/state_dict_roundtrip.py [--unrolled .build/release/unrolled]
"""
import argparse, re, subprocess, sys, tempfile, os

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file, load_file

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
from pytorch_lessons import CharRnn, load  # noqa: E402


def windows(corpus):
    text = open(corpus, encoding="utf-8").read()
    chars = sorted(set(text)); chars.insert(0, "\0")
    ci = {c: i for i, c in enumerate(chars)}
    idx = [ci[c] for c in text]
    xs = np.stack([idx[j:j + 8] for j in range(len(idx) - 9)])
    y = np.array([idx[j + 8] for j in range(len(idx) - 9)])
    return len(chars), torch.from_numpy(xs), torch.from_numpy(y)


def loss_on(m, xs, y, lo, hi):
    with torch.no_grad():
        total = 0.0
        for s in range(lo, hi, 1024):
            e = min(s + 1024, hi)
            xb = xs[s:e]
            total += F.nll_loss(m(*[xb[:, j] for j in range(8)]), y[s:e]).item() * (e - s)
        return total / (hi - lo)


def unrolled_loss(binary, weights, rows):
    out = subprocess.run([binary, "eval", "char-rnn", "--weights", weights, "--rows", rows],
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"loss ([0-9.]+)", out).group(1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--unrolled", default=".build/release/unrolled")
    p.add_argument("--corpus", default="../shared/data/nietzsche.txt")
    p.add_argument("--rows", default="0:8192")
    a = p.parse_args()
    torch.set_num_threads(2)
    vocab, xs, y = windows(a.corpus)
    lo, hi = map(int, a.rows.split(":"))
    ok = True
    with tempfile.TemporaryDirectory() as d:
        torch.manual_seed(1)
        m = CharRnn(vocab, 42)
        path = os.path.join(d, "torch.safetensors")
        save_file({k: v.contiguous() for k, v in m.state_dict().items()}, path)
        pt, ur = loss_on(m, xs, y, lo, hi), unrolled_loss(a.unrolled, path, a.rows)
        print(f"PyTorch → Unrolled: PyTorch {pt:.6f}, Unrolled {ur:.6f}, |Δ| {abs(pt - ur):.2e}")
        ok &= abs(pt - ur) <= 1e-4

        path2 = os.path.join(d, "unrolled.safetensors")
        subprocess.run([a.unrolled, "run", "char-rnn", "--epochs-scale", "0.02", "--save", path2],
                       capture_output=True, text=True, check=True)
        m2 = CharRnn(vocab, 42)
        m2.load_state_dict(load_file(path2))
        pt2, ur2 = loss_on(m2, xs, y, lo, hi), unrolled_loss(a.unrolled, path2, a.rows)
        print(f"Unrolled → PyTorch: PyTorch {pt2:.6f}, Unrolled {ur2:.6f}, |Δ| {abs(pt2 - ur2):.2e}")
        ok &= abs(pt2 - ur2) <= 1e-4
    print("ok" if ok else "MISMATCH")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
