#!/usr/bin/env python3
"""Golden fixtures for the collab lesson's EmbeddingDotBias, written by PyTorch.

    .venv-torch/bin/python tools/golden/make_collab_golden.py [--unrolled .build/debug/unrolled]

The data is the SYNTHETIC planted-factor set at test size, written by `unrolled data synthetic`
(40 users, 80 movies, 800 ratings, seed 42; the Swift tests regenerate it in memory), read the
way the seed reads ratings.csv: CollabFilterDataset's proc_col numbering, fastai's
get_cv_idxs (numpy RandomState(42)) and split_by_idx. The batch is the first 64 training rows.

Writes, all float32 (indices as whole floats):

  Tests/ModelsTests/Fixtures/golden/collab.safetensors
      input.users / input.items / input.y   the batch (indices after proc_col)
      input.score_range                     [min_score, max_score] of the ratings
      param.<name>                          the initial weights (get_emb's U(-0.05, 0.05))
      fwd.<label>, grad.<label>             every intermediate of forward() and its gradient
      loss, grad.param.<name>               the loss and each parameter's gradient
      adam3.<name>                          parameters after 3 Adam steps (lr 1e-2, wd 2e-4)
      adam.min_rel_grad.<name>              per element, min over the 3 steps of |g|/max|g|, g = grad + wd*param
      pca.x, pca.components, pca.ratio      sklearn-style PCA (numpy SVD + svd_flip) of a 50x60
                                            matrix: the reference for the LAPACK path
  Tests/ModelsTests/Fixtures/golden/collab_state_dict.safetensors
      model.state_dict() exactly (u.weight, i.weight, ub.weight, ib.weight), with the mean
      F.mse_loss over the validation rows in the metadata (`valid_loss`)
"""

import argparse
import csv
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests/ModelsTests/Fixtures/golden"
GENERATOR = "tools/golden/make_collab_golden.py (torch %s)" % torch.__version__.split("+")[0]
USERS, MOVIES, RATINGS, DATA_SEED = 40, 80, 800, 42
N_FACTORS, BATCH, LR, WD = 50, 64, 1e-2, 2e-4


def read_ratings(folder):
    with open(folder / "ratings.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return ([int(r["userId"]) for r in rows], [int(r["movieId"]) for r in rows],
            np.array([float(r["rating"]) for r in rows], dtype=np.float32))


def proc_col(col):
    """The seed's proc_col: pandas' unique() keeps order of first appearance."""
    name2idx = {}
    for x in col:
        name2idx.setdefault(x, len(name2idx))
    return name2idx, np.array([name2idx[x] for x in col])


def get_cv_idxs(n, val_pct=0.2, seed=42):
    return np.random.RandomState(seed).permutation(n)[:int(val_pct * n)]


def get_emb(ni, nf):
    e = nn.Embedding(ni, nf)
    e.weight.data.uniform_(-0.05, 0.05)
    return e


class EmbeddingDotBias(nn.Module):
    """The seed's model, its forward split so every intermediate can be kept."""

    def __init__(self, n_factors, n_users, n_items, min_score, max_score):
        super().__init__()
        self.min_score, self.max_score = min_score, max_score
        (self.u, self.i, self.ub, self.ib) = [get_emb(*o) for o in [
            (n_users, n_factors), (n_items, n_factors), (n_users, 1), (n_items, 1)]]

    def forward(self, users, items, keep=None):
        steps = {}
        steps["u(users)"] = self.u(users)
        steps["i(items)"] = self.i(items)
        steps["um"] = steps["u(users)"] * steps["i(items)"]
        steps["um.sum(1)"] = steps["um"].sum(1)
        steps["ub(users).squeeze()"] = self.ub(users).squeeze()
        steps["ib(items).squeeze()"] = self.ib(items).squeeze()
        steps["res"] = steps["um.sum(1)"] + steps["ub(users).squeeze()"] + steps["ib(items).squeeze()"]
        steps["sigmoid(res)"] = torch.sigmoid(steps["res"])
        steps["pred"] = steps["sigmoid(res)"] * (self.max_score - self.min_score) + self.min_score
        if keep is not None:
            for t in steps.values():
                t.retain_grad()
            keep.update(steps)
        return steps["pred"]


def sklearn_pca(x, k):
    """sklearn's PCA(n_components=k).fit(x) with the full solver (sklearn >= 1.5): centre the
    columns, SVD, svd_flip(u_based_decision=False) so each component's largest |entry| is > 0."""
    xc = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(xc, full_matrices=False)
    signs = np.sign(vt[np.arange(vt.shape[0]), np.argmax(np.abs(vt), axis=1)])
    vt = vt * signs[:, None]
    var = s ** 2 / (x.shape[0] - 1)
    return vt[:k], var[:k] / var.sum()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--unrolled", default=str(ROOT / ".build/debug/unrolled"))
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "synthetic"
        subprocess.run([args.unrolled, "data", "synthetic", "--out", str(folder), "--users", str(USERS),
                        "--movies", str(MOVIES), "--ratings", str(RATINGS), "--seed", str(DATA_SEED)],
                       check=True, stdout=subprocess.DEVNULL)
        user_ids, movie_ids, ratings = read_ratings(folder)
    user2idx, user_col = proc_col(user_ids)
    item2idx, item_col = proc_col(movie_ids)
    n = len(ratings)
    val = np.zeros(n, dtype=bool)
    val[get_cv_idxs(n)] = True
    trn_rows = np.arange(n)[~val]
    val_rows = np.arange(n)[val]
    batch = trn_rows[:BATCH]
    min_score, max_score = float(ratings.min()), float(ratings.max())

    model = EmbeddingDotBias(N_FACTORS, len(user2idx), len(item2idx), min_score, max_score)
    users = torch.tensor(user_col[batch], dtype=torch.long)
    items = torch.tensor(item_col[batch], dtype=torch.long)
    y = torch.tensor(ratings[batch])

    out = {"input.users": users.float(), "input.items": items.float(), "input.y": y,
           "input.score_range": torch.tensor([min_score, max_score])}
    for name, p in model.state_dict().items():
        out["param." + name] = p.clone()
    steps = {}
    loss = F.mse_loss(model(users, items, keep=steps), y)
    loss.backward()
    for label, t in steps.items():
        out["fwd." + label] = t.detach().clone()
        out["grad." + label] = t.grad.detach().clone()
    out["loss"] = loss.detach().reshape(1)
    for name, p in model.named_parameters():
        out["grad.param." + name] = p.grad.detach().clone()

    # The state_dict at the start, and PyTorch's validation loss with it.
    with torch.no_grad():
        vu = torch.tensor(user_col[val_rows], dtype=torch.long)
        vi = torch.tensor(item_col[val_rows], dtype=torch.long)
        valid_loss = F.mse_loss(model(vu, vi), torch.tensor(ratings[val_rows])).item()
    state = {k: v.clone().contiguous() for k, v in model.state_dict().items()}

    opt = torch.optim.Adam(model.parameters(), lr=LR, weight_decay=WD, foreach=False)
    min_rel_grad = {}
    for step in range(3):
        if step > 0:
            opt.zero_grad()
            F.mse_loss(model(users, items), y).backward()
        # Each element's smallest |g| / max|g| over the steps, g being the gradient Adam uses
        # (grad + wd*param): where it was rounding noise the step is of unknown size, and the
        # Swift comparison widens that element's bound (GoldenCheck.updateSlack). Rows outside
        # the batch have grad 0 but an exact wd*param.
        for name, p in model.named_parameters():
            g = (p.grad + WD * p).detach().abs()
            rel = g / g.max().clamp_min(1e-30)
            min_rel_grad[name] = rel if step == 0 else torch.minimum(min_rel_grad[name], rel)
        opt.step()
    for name in min_rel_grad:
        out["adam.min_rel_grad." + name] = min_rel_grad[name]
    for name, p in model.named_parameters():
        out["adam3." + name] = p.detach().clone()

    rng = np.random.RandomState(7)
    x = rng.uniform(-0.05, 0.05, size=(50, 60)).astype(np.float32)
    x[:, :20] += np.outer(rng.normal(size=50), rng.normal(size=20)).astype(np.float32) * 0.05
    comps, ratio = sklearn_pca(x.astype(np.float64), 3)
    out["pca.x"] = torch.tensor(x)
    out["pca.components"] = torch.tensor(comps, dtype=torch.float32)
    out["pca.ratio"] = torch.tensor(ratio, dtype=torch.float32)

    info = {"generator": GENERATOR, "data": f"SYNTHETIC: unrolled data synthetic --users {USERS} --movies {MOVIES} --ratings {RATINGS} --seed {DATA_SEED}",
            "batch": "first %d training rows" % BATCH, "lr": LR, "weight_decay": WD, "n_factors": N_FACTORS}
    OUT.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().to(torch.float32).contiguous() for k, v in out.items()}, str(OUT / "collab.safetensors"),
              metadata={"golden": json.dumps(info, sort_keys=True)})
    save_file(state, str(OUT / "collab_state_dict.safetensors"),
              metadata={"valid_loss": repr(valid_loss)})  # one key: a byte-identical header across runs
    print("loss %.6f, valid_loss %.6f, %d users, %d items" % (loss.item(), valid_loss, len(user2idx), len(item2idx)))


if __name__ == "__main__":
    main()
