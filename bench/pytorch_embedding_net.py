"""Validation MSE of the notes' EmbeddingNet (and EmbeddingDotBias beside it) in PyTorch, trained
with the collab lesson's schedule: learn.fit(1e-2, 2, wds=2e-4, cycle_len=1, cycle_mult=2), i.e.
3 epochs of fastai 0.7's CosAnneal per batch, Adam(weight_decay=2e-4), batch 64, on the SYNTHETIC
ml-latest-small-sized set `unrolled data synthetic` writes, the seed's get_cv_idxs rows.
Validation runs in evaluation mode (no dropout), in batches of 128 as fastai's loader did.

    .venv-torch/bin/python bench/pytorch_embedding_net.py [--model embedding-net|collab] [--seed 42]
"""
import argparse, json, os, subprocess, sys, tempfile, time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_collab import UNROLLED, EmbeddingDotBias, cos_anneal, get_emb, load  # noqa: E402


class EmbeddingNet(nn.Module):
    """The notes' listing (n_factors 50, nh 10, p1 0.05, p2 0.5)."""

    def __init__(self, n_users, n_movies, min_rating, max_rating, n_factors=50, nh=10, p1=0.05, p2=0.5):
        super().__init__()
        (self.u, self.m) = [get_emb(*o) for o in [(n_users, n_factors), (n_movies, n_factors)]]
        self.lin1 = nn.Linear(n_factors * 2, nh)
        self.lin2 = nn.Linear(nh, 1)
        self.drop1 = nn.Dropout(p1)
        self.drop2 = nn.Dropout(p2)
        self.min_rating, self.max_rating = min_rating, max_rating

    def forward(self, users, movies):
        x = self.drop1(torch.cat([self.u(users), self.m(movies)], dim=1))
        x = self.drop2(F.relu(self.lin1(x)))
        return (torch.sigmoid(self.lin2(x)) * (self.max_rating - self.min_rating + 1) + self.min_rating - 0.5).squeeze(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=["embedding-net", "collab"], default="embedding-net")
    p.add_argument("--ratings", default=None)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = a.ratings
        if folder is None:
            folder = os.path.join(tmp, "synthetic")
            subprocess.run([UNROLLED, "data", "synthetic", "--out", folder], check=True, stdout=subprocess.DEVNULL)
        n_users, n_items, lo, hi, trn, val = load(folder)
    m = (EmbeddingNet(n_users, n_items, lo, hi) if a.model == "embedding-net"
         else EmbeddingDotBias(50, n_users, n_items, lo, hi))
    lr, wd, bs, epochs = 1e-2, 2e-4, 64, 3
    opt = torch.optim.Adam(m.parameters(), lr, weight_decay=wd)
    nb = (len(trn[2]) + bs - 1) // bs
    sched = cos_anneal(nb, 2)
    rows = []
    t0 = time.perf_counter()
    avg, n = 0.0, 0
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
        if not a.json:
            print("[ %d.  %.5f  %.5f]" % rows[-1])
    if a.json:
        print(json.dumps({"model": a.model, "seed": a.seed, "valid_mse": rows[-1][2], "train_seconds": time.perf_counter() - t0}))
    else:
        print("%s seed %d: validation MSE %.4f (%d rows), %.1fs" % (a.model, a.seed, rows[-1][2], len(val[2]), time.perf_counter() - t0))


if __name__ == "__main__":
    main()
