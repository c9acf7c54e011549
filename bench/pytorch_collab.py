"""The seed's EmbeddingDotBias in PyTorch 2.15: the baseline for `make bench`'s collab line.

One epoch of the lesson's first SGDR cycle (fastai 0.7's CosAnneal, per batch) with
Adam(weight_decay=2e-4), batch 64, on the SYNTHETIC ml-latest-small-sized set that
`unrolled data synthetic` writes (100,004 ratings; the same file Unrolled trains on), read the
way the seed reads ratings.csv (proc_col, get_cv_idxs with numpy's seed 42). Times training
(steps and the validation pass), not data loading.

    .venv-torch/bin/python bench/pytorch_collab.py [--ratings DIR] [--threads 2] [--json]
"""
import argparse, csv, json, math, os, resource, subprocess, tempfile, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNROLLED = os.path.join(ROOT, ".build", "release", "unrolled")


def get_emb(ni, nf):
    e = nn.Embedding(ni, nf)
    e.weight.data.uniform_(-0.05, 0.05)
    return e


class EmbeddingDotBias(nn.Module):
    def __init__(self, n_factors, n_users, n_items, min_score, max_score):
        super().__init__()
        self.min_score, self.max_score = min_score, max_score
        (self.u, self.i, self.ub, self.ib) = [get_emb(*o) for o in [
            (n_users, n_factors), (n_items, n_factors), (n_users, 1), (n_items, 1)]]

    def forward(self, users, items):
        um = self.u(users) * self.i(items)
        res = um.sum(1) + self.ub(users).squeeze() + self.ib(items).squeeze()
        return torch.sigmoid(res) * (self.max_score - self.min_score) + self.min_score


def cos_anneal(nb, cycle_mult):
    """fastai 0.7's CosAnneal.calc_lr as a generator of multipliers of the base lr."""
    iteration, cycle_iter = 0, 0
    while True:
        if iteration < nb / 20:
            cycle_iter += 1
            yield 0.01
        else:
            cos_out = math.cos(math.pi * cycle_iter / nb) + 1
            cycle_iter += 1
            if cycle_iter == nb:
                cycle_iter, nb = 0, nb * cycle_mult
            yield cos_out / 2
        iteration += 1


def load(folder):
    with open(os.path.join(folder, "ratings.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    def proc_col(col):
        idx = {}
        for x in col:
            idx.setdefault(x, len(idx))
        return len(idx), np.array([idx[x] for x in col])
    n_users, users = proc_col([r["userId"] for r in rows])
    n_items, items = proc_col([r["movieId"] for r in rows])
    ratings = np.array([float(r["rating"]) for r in rows], dtype=np.float32)
    val = np.zeros(len(rows), bool)
    val[np.random.RandomState(42).permutation(len(rows))[:int(0.2 * len(rows))]] = True
    t = lambda a, m: torch.from_numpy(a[m])
    return (n_users, n_items, float(ratings.min()), float(ratings.max()),
            (t(users, ~val), t(items, ~val), t(ratings, ~val)), (t(users, val), t(items, val), t(ratings, val)))


def fit_sgdr(m, trn, val, epochs, lr=1e-2, wd=2e-4, bs=64, on_epoch=None):
    """fastai 0.7's fit(lr, 2, wds=wd, cycle_len=1, cycle_mult=2) loop: Adam with weight decay,
    the lr set per batch by cos_anneal, a 0.98 debiased moving average of the training loss,
    validation MSE after each epoch. Returns (epoch, trn_loss, val_mse) rows."""
    opt = torch.optim.Adam(m.parameters(), lr, weight_decay=wd)
    nb = (len(trn[2]) + bs - 1) // bs
    sched = cos_anneal(nb, 2)
    rows, avg, n = [], 0.0, 0
    for epoch in range(epochs):
        m.train()
        perm = torch.randperm(len(trn[2]))
        for b in range(nb):
            i = perm[b * bs:(b + 1) * bs]
            for g in opt.param_groups:
                g["lr"] = lr * next(sched)
            loss = F.mse_loss(m(trn[0][i], trn[1][i]), trn[2][i])
            opt.zero_grad()
            loss.backward()
            opt.step()
            n += 1
            avg = avg * 0.98 + loss.item() * 0.02
        m.eval()
        with torch.no_grad():
            total = 0.0
            for s in range(0, len(val[2]), 2 * bs):
                sl = slice(s, s + 2 * bs)
                total += F.mse_loss(m(val[0][sl], val[1][sl]), val[2][sl]).item() * len(val[2][sl])
        rows.append((epoch, avg / (1 - 0.98 ** n), total / len(val[2])))
        if on_epoch:
            on_epoch(rows[-1])
    return rows


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ratings", default=None, help="a ratings.csv folder (default: write the synthetic set with unrolled)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(42)
    with tempfile.TemporaryDirectory() as tmp:
        folder = a.ratings
        if folder is None:
            folder = os.path.join(tmp, "synthetic")
            subprocess.run([UNROLLED, "data", "synthetic", "--out", folder], check=True, stdout=subprocess.DEVNULL)
        n_users, n_items, lo, hi, trn, val = load(folder)
    m = EmbeddingDotBias(50, n_users, n_items, lo, hi)
    t0 = time.perf_counter()
    rows = fit_sgdr(m, trn, val, a.epochs)
    _, trn_loss, vl = rows[-1]
    t_train = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if a.json:
        print(json.dumps({"lesson": "collab", "train_seconds": t_train, "final_trn_loss": trn_loss,
                          "final_val_loss": vl, "peak_rss_mb": rss}))
    else:
        print(f"[ {a.epochs - 1}.  {trn_loss:.5f}  {vl:.5f}]  train {t_train:.2f}s, peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
