"""Validation MSE of the notes' EmbeddingNet (and EmbeddingDotBias beside it) in PyTorch, trained
with the collab lesson's schedule: learn.fit(1e-2, 2, wds=2e-4, cycle_len=1, cycle_mult=2), i.e.
3 epochs of fastai 0.7's CosAnneal per batch, Adam(weight_decay=2e-4), batch 64, on the SYNTHETIC
ml-latest-small-sized set `unrolled data synthetic` writes, the seed's get_cv_idxs rows.
Validation runs in evaluation mode (no dropout), in batches of 128 as fastai's loader did.

    .venv-torch/bin/python bench/pytorch_embedding_net.py [--model embedding-net|collab|mixed-input] [--seed 42]

mixed-input is fastai 0.7's MixedInputModel as `unrolled run mixed-input` builds it: user and
movie embeddings of min(50, (c+1)//2), the movie's year (from its title) and log(1 + its rating
count) through batch norm, emb_drop 0.04, szs [500, 100], drops [0.01, 0.1], use_bn, y_range.
"""
import argparse, csv, json, math, os, subprocess, sys, tempfile, time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_collab import UNROLLED, EmbeddingDotBias, fit_sgdr, get_emb, load  # noqa: E402


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


class MixedInputModel(nn.Module):
    """fastai 0.7's column_data.MixedInputModel, as the notes list it."""

    def __init__(self, emb_szs, n_cont, emb_drop, out_sz, szs, drops, y_range=None, use_bn=False):
        super().__init__()
        self.embs = nn.ModuleList([nn.Embedding(c, s) for c, s in emb_szs])
        for emb in self.embs:
            sc = 2 / (emb.weight.size(1) + 1)
            emb.weight.data.uniform_(-sc, sc)
        n_emb = sum(e.embedding_dim for e in self.embs)
        szs = [n_emb + n_cont] + szs
        self.lins = nn.ModuleList([nn.Linear(szs[i], szs[i + 1]) for i in range(len(szs) - 1)])
        self.bns = nn.ModuleList([nn.BatchNorm1d(sz) for sz in szs[1:]])
        for o in self.lins:
            nn.init.kaiming_normal_(o.weight.data)
        self.outp = nn.Linear(szs[-1], out_sz)
        nn.init.kaiming_normal_(self.outp.weight.data)
        self.emb_drop = nn.Dropout(emb_drop)
        self.drops = nn.ModuleList([nn.Dropout(drop) for drop in drops])
        self.bn = nn.BatchNorm1d(n_cont)
        self.use_bn, self.y_range = use_bn, y_range

    def forward(self, x_cat, x_cont):
        x = torch.cat([e(x_cat[:, i]) for i, e in enumerate(self.embs)], 1)
        x2 = self.bn(x_cont)
        x = torch.cat([self.emb_drop(x), x2], 1)
        for l, d, b in zip(self.lins, self.drops, self.bns):
            x = F.relu(l(x))
            if self.use_bn:
                x = b(x)
            x = d(x)
        x = self.outp(x)
        if self.y_range:
            x = torch.sigmoid(x) * (self.y_range[1] - self.y_range[0]) + self.y_range[0]
        return x


class MixedRatings(nn.Module):
    """(users, movies) -> MixedInputModel over [user, movie] and the movie's continuous columns."""

    def __init__(self, folder, n_users, n_items, lo, hi):
        super().__init__()
        with open(os.path.join(folder, "ratings.csv"), newline="") as f:
            movie_ids = [int(r["movieId"]) for r in csv.DictReader(f)]
        with open(os.path.join(folder, "movies.csv"), newline="") as f:
            titles = {int(r["movieId"]): r["title"] for r in csv.DictReader(f)}
        idx = {}
        for m in movie_ids:
            idx.setdefault(m, len(idx))
        counts = [0] * len(idx)
        for m in movie_ids:
            counts[idx[m]] += 1
        years = [float(titles[m].strip().rstrip(")")[-4:]) for m in idx]
        self.conts = torch.tensor([[y, math.log1p(c)] for y, c in zip(years, counts)], dtype=torch.float32)
        w = lambda c: min(50, (c + 1) // 2)
        self.model = MixedInputModel([(n_users, w(n_users)), (n_items, w(n_items))], 2, 0.04, 1, [500, 100], [0.01, 0.1],
                                     y_range=(lo, hi), use_bn=True)

    def forward(self, users, movies):
        return self.model(torch.stack([users, movies], 1), self.conts[movies]).squeeze(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=["embedding-net", "collab", "mixed-input"], default="embedding-net")
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
        if a.model == "mixed-input":
            m = MixedRatings(folder, n_users, n_items, lo, hi)
        elif a.model == "embedding-net":
            m = EmbeddingNet(n_users, n_items, lo, hi)
        else:
            m = EmbeddingDotBias(50, n_users, n_items, lo, hi)
    t0 = time.perf_counter()
    rows = fit_sgdr(m, trn, val, 3, on_epoch=None if a.json else (lambda r: print("[ %d.  %.5f  %.5f]" % r)))
    if a.json:
        print(json.dumps({"model": a.model, "seed": a.seed, "valid_mse": rows[-1][2], "train_seconds": time.perf_counter() - t0}))
    else:
        print("%s seed %d: validation MSE %.4f (%d rows), %.1fs" % (a.model, a.seed, rows[-1][2], len(val[2]), time.perf_counter() - t0))


if __name__ == "__main__":
    main()
