#!/usr/bin/env python3
"""Golden fixtures for the collab lesson's EmbeddingDotBias, written by PyTorch.

    .venv-torch/bin/python tools/golden/make_collab_golden.py [--unrolled .build/debug/unrolled]

The data and the batch are ratings_common.py's: the SYNTHETIC planted-factor set at test size
(40 users, 80 movies, 800 ratings, seed 42) read the way the seed reads ratings.csv (proc_col,
get_cv_idxs, split_by_idx); the batch is the first 64 training rows.

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

import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_golden as g  # noqa: E402
import ratings_common as rc  # noqa: E402
from ratings_common import N_FACTORS, OUT, get_emb  # noqa: E402


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
        rc.keep_steps(steps, keep)
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
    data = rc.setup()
    min_score, max_score = data.score_range
    model = EmbeddingDotBias(N_FACTORS, len(data.user2idx), len(data.item2idx), min_score, max_score)
    users, items, y = data.rows(data.batch)

    out = data.inputs()
    for name, p in model.state_dict().items():
        out["param." + name] = p.clone()
    steps = {}
    loss = F.mse_loss(model(users, items, keep=steps), y)
    rc.record_backward(out, model, loss, steps)

    # The state_dict at the start, and PyTorch's validation loss with it.
    with torch.no_grad():
        vu, vi, vy = data.rows(data.val_rows)
        valid_loss = F.mse_loss(model(vu, vi), vy).item()
    state = {k: v.clone().contiguous() for k, v in model.state_dict().items()}

    rc.record_adam3(out, model, lambda step: F.mse_loss(model(users, items), y))

    rng = np.random.RandomState(7)
    x = rng.uniform(-0.05, 0.05, size=(50, 60)).astype(np.float32)
    x[:, :20] += np.outer(rng.normal(size=50), rng.normal(size=20)).astype(np.float32) * 0.05
    comps, ratio = sklearn_pca(x.astype(np.float64), 3)
    out["pca.x"] = torch.tensor(x)
    out["pca.components"] = torch.tensor(comps, dtype=torch.float32)
    out["pca.ratio"] = torch.tensor(ratio, dtype=torch.float32)

    g.save(OUT / "collab.safetensors", out, {**rc.info(__file__), "n_factors": N_FACTORS})
    save_file(state, str(OUT / "collab_state_dict.safetensors"),
              metadata={"valid_loss": repr(valid_loss)})  # one key: a byte-identical header across runs
    print("loss %.6f, valid_loss %.6f, %d users, %d items" % (loss.item(), valid_loss, len(data.user2idx), len(data.item2idx)))


if __name__ == "__main__":
    main()
