#!/usr/bin/env python3
"""Golden fixtures for lesson 6's EmbeddingNet and MixedInputModel, written by PyTorch.

    .venv-torch/bin/python tools/golden/make_mixed_golden.py [--unrolled .build/debug/unrolled]

Same data and batch as make_collab_golden.py, from ratings_common.py: the SYNTHETIC
planted-factor set at test size (40 users, 80 movies, 800 ratings, seed 42), proc_col numbering,
get_cv_idxs, the first 64 training rows. MixedInputModel's continuous columns per movie: the
year in its title and log(1 + its number of ratings).

Dropout masks are drawn by F.dropout under torch.manual_seed (a fresh mask per layer per step)
and stored, so the Swift models zero exactly the same units. Writes, all float32:

  Tests/ModelsTests/Fixtures/golden/embedding_net.safetensors
  Tests/ModelsTests/Fixtures/golden/mixed_input.safetensors
      input.users / input.items / input.y / input.score_range (and input.conts for mixed)
      mask.step<k>.<layer>        the 0/1 dropout mask of step k (0, 1, 2)
      param.<name>                the initial weights
      fwd.<label>, grad.<label>   every intermediate of the first forward and its gradient
                                  (batch norm's μ, σ², x̂ forward only: nn.BatchNorm1d hides them)
      loss, grad.param.<name>     the loss and each parameter's gradient
      adam3.<name>                parameters after 3 Adam steps (lr 1e-2, wd 2e-4)
      adam.min_rel_grad.<name>    per element, min over the steps of |g|/max|g|, g = grad + wd*param
      buffer3.<name>              batch norm running statistics after the 3 training forwards
      eval.pred, eval.loss        the same batch after the 3 steps in evaluation mode
      eval_settled.*              (mixed) the same, with bn's running statistics set to the whole
                                  table's column mean and variance (where they settle in a long
                                  run; after 3 steps they are far off and the sigmoid saturates)
"""

import math
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_golden as g  # noqa: E402
import ratings_common as rc  # noqa: E402
from ratings_common import BATCH, N_FACTORS, OUT, get_emb  # noqa: E402

N_HIDDEN = 10
# MixedInputModel at golden size: dropout strong enough that every mask zeroes units.
EMB_DROP, SZS, DROPS = 0.1, [20, 10], [0.2, 0.5]


def emb_init(x):
    x = x.weight.data
    sc = 2 / (x.size(1) + 1)
    x.uniform_(-sc, sc)


def draw_masks(shapes, p, step):
    """F.dropout's own draw: ones through F.dropout, nonzero where kept."""
    return {name: (F.dropout(torch.ones(shape), p[name], training=True) != 0).float()
            for name, shape in shapes.items()}


def dropout(x, mask, p):
    # F.dropout's arithmetic: x * (mask / (1 - p)).
    return x * (mask / (1 - p))


def bn_stats(prefix, x, steps):
    """nn.BatchNorm1d's batch statistics, recomputed for the learner's labels (forward only)."""
    x = x.detach()
    mu = x.mean(0)
    var = x.var(0, unbiased=False)
    steps["μ(%s)" % prefix] = mu
    steps["σ²(%s)" % prefix] = var
    steps["x̂(%s)" % prefix] = (x - mu) / torch.sqrt(var + 1e-5)


class EmbeddingNet(nn.Module):
    """The notes' model, the masks given and every intermediate kept."""
    P = {"drop1": 0.05, "drop2": 0.5}

    def __init__(self, n_users, n_movies, min_rating, max_rating, nh=N_HIDDEN, p1=0.05, p2=0.5):
        super().__init__()
        (self.u, self.m) = [get_emb(*o) for o in [(n_users, N_FACTORS), (n_movies, N_FACTORS)]]
        self.lin1 = nn.Linear(N_FACTORS * 2, nh)
        self.lin2 = nn.Linear(nh, 1)
        self.min_rating, self.max_rating = min_rating, max_rating

    def mask_shapes(self, b):
        return {"drop1": (b, 2 * N_FACTORS), "drop2": (b, self.lin1.out_features)}

    def forward(self, users, movies, masks, keep=None, stats=None):
        s = {}
        s["u(users)"] = self.u(users)
        s["m(movies)"] = self.m(movies)
        s["cat(u,m)"] = torch.cat([s["u(users)"], s["m(movies)"]], dim=1)
        s["drop1(x)"] = dropout(s["cat(u,m)"], masks["drop1"], 0.05) if masks else s["cat(u,m)"]
        s["lin1(x)"] = self.lin1(s["drop1(x)"])
        s["relu(lin1(x))"] = F.relu(s["lin1(x)"])
        s["drop2(x)"] = dropout(s["relu(lin1(x))"], masks["drop2"], 0.5) if masks else s["relu(lin1(x))"]
        s["lin2(x)"] = self.lin2(s["drop2(x)"]).squeeze(1)
        s["sigmoid(lin2(x))"] = torch.sigmoid(s["lin2(x)"])
        s["sigmoid·(max−min+1)"] = s["sigmoid(lin2(x))"] * (self.max_rating - self.min_rating + 1)
        s["pred"] = s["sigmoid·(max−min+1)"] + (self.min_rating - 0.5)
        rc.keep_steps(s, keep)
        return s["pred"]


class MixedInputModel(nn.Module):
    """fastai 0.7's column_data.MixedInputModel (the notes' listing), masks given, steps kept."""

    def __init__(self, emb_szs, n_cont, emb_drop, out_sz, szs, drops, y_range=None, use_bn=False):
        super().__init__()
        self.embs = nn.ModuleList([nn.Embedding(c, s) for c, s in emb_szs])
        for emb in self.embs:
            emb_init(emb)
        n_emb = sum(e.embedding_dim for e in self.embs)
        szs = [n_emb + n_cont] + szs
        self.lins = nn.ModuleList([nn.Linear(szs[i], szs[i + 1]) for i in range(len(szs) - 1)])
        self.bns = nn.ModuleList([nn.BatchNorm1d(sz) for sz in szs[1:]])
        for o in self.lins:
            nn.init.kaiming_normal_(o.weight.data)
        self.outp = nn.Linear(szs[-1], out_sz)
        nn.init.kaiming_normal_(self.outp.weight.data)
        self.emb_drop_p, self.drops_p = emb_drop, drops
        self.bn = nn.BatchNorm1d(n_cont)
        self.use_bn, self.y_range = use_bn, y_range
        self.n_emb, self.szs = n_emb, szs

    def mask_shapes(self, b):
        shapes = {"emb_drop": (b, self.n_emb)}
        for i, sz in enumerate(self.szs[1:]):
            shapes["drops.%d" % i] = (b, sz)
        return shapes

    def probabilities(self):
        p = {"emb_drop": self.emb_drop_p}
        for i, d in enumerate(self.drops_p):
            p["drops.%d" % i] = d
        return p

    def forward(self, x_cat, x_cont, masks, keep=None, stats=None):
        s = {}
        s["embs.0(users)"] = self.embs[0](x_cat[:, 0])
        s["embs.1(movies)"] = self.embs[1](x_cat[:, 1])
        s["cat(embs)"] = torch.cat([s["embs.0(users)"], s["embs.1(movies)"]], 1)
        if stats is not None:
            bn_stats("conts", x_cont, stats)
        s["bn(conts)"] = self.bn(x_cont)
        s["emb_drop(x)"] = dropout(s["cat(embs)"], masks["emb_drop"], self.emb_drop_p) if masks else s["cat(embs)"]
        s["cat(x, bn(conts))"] = torch.cat([s["emb_drop(x)"], s["bn(conts)"]], 1)
        x = s["cat(x, bn(conts))"]
        for i, (l, d, b) in enumerate(zip(self.lins, self.drops_p, self.bns)):
            x = s["lins.%d(x)" % i] = l(x)
            x = s["relu(lins.%d(x))" % i] = F.relu(x)
            if self.use_bn:
                if stats is not None:
                    bn_stats("relu(lins.%d(x))" % i, x, stats)
                x = s["bns.%d(x)" % i] = b(x)
            x = s["drops.%d(x)" % i] = dropout(x, masks["drops.%d" % i], d) if masks else x
        x = s["outp(x)"] = self.outp(x)
        if self.y_range:
            x = s["sigmoid(outp(x))"] = torch.sigmoid(x)
            x = s["pred"] = x * (self.y_range[1] - self.y_range[0]) + self.y_range[0]
        s["pred.squeeze()"] = x.squeeze(1)
        rc.keep_steps(s, keep)
        return s["pred.squeeze()"]


def golden(model, call, y, probabilities, b):
    """Forward with every intermediate, backward, 3 Adam steps with fresh masks, evaluation."""
    out = {}
    for name, p in model.state_dict().items():
        if "running" not in name and "num_batches" not in name:
            out["param." + name] = p.clone()
    masks = [draw_masks(model.mask_shapes(b), probabilities, k) for k in range(3)]
    for k, m in enumerate(masks):
        for name, t in m.items():
            out["mask.step%d.%s" % (k, name)] = t
    model.train()
    steps, stats = {}, {}
    loss = F.mse_loss(call(masks[0], steps, stats), y)
    for label, t in stats.items():
        out["fwd." + label] = t.clone()
    rc.record_backward(out, model, loss, steps)
    rc.record_adam3(out, model, lambda step: F.mse_loss(call(masks[step], None, None), y))
    for name, t in model.state_dict().items():
        if "running" in name:
            out["buffer3." + name] = t.clone()
    model.eval()
    with torch.no_grad():
        pred = call(None, None, None)
        out["eval.pred"] = pred.clone()
        out["eval.loss"] = F.mse_loss(pred, y).reshape(1)
    return out, loss.item()


def main():
    data = rc.setup()
    user2idx, item2idx, item_col, batch = data.user2idx, data.item2idx, data.item_col, data.batch
    min_score, max_score = data.score_range
    users, items, y = data.rows(batch)
    inputs = data.inputs()
    info = rc.info(__file__)

    net = EmbeddingNet(len(user2idx), len(item2idx), min_score, max_score)
    out, loss = golden(net, lambda m, keep, stats: net(users, items, m, keep, stats), y, EmbeddingNet.P, BATCH)
    g.save(OUT / "embedding_net.safetensors", {**inputs, **out}, {**info, "n_factors": N_FACTORS, "nh": N_HIDDEN})
    print("EmbeddingNet loss %.6f, eval loss %.6f" % (loss, out["eval.loss"].item()))

    # The movie's continuous columns: year from the title, log(1 + ratings of it).
    counts = np.bincount(item_col, minlength=len(item2idx))
    ids = list(item2idx)
    conts_all = np.array([[float(data.titles[i].rstrip(")")[-4:]), math.log1p(counts[item2idx[i]])] for i in ids], dtype=np.float32)
    conts = torch.tensor(conts_all[item_col[batch]])
    cats = torch.stack([users, items], 1)
    emb_szs = [(len(user2idx), min(50, (len(user2idx) + 1) // 2)), (len(item2idx), min(50, (len(item2idx) + 1) // 2))]
    mixed = MixedInputModel(emb_szs, 2, EMB_DROP, 1, SZS, DROPS, y_range=(min_score, max_score), use_bn=True)
    out, loss = golden(mixed, lambda m, keep, stats: mixed(cats, conts, m, keep, stats), y, mixed.probabilities(), BATCH)
    out["input.conts"] = conts
    # Evaluation once the continuous columns' running statistics have settled.
    col = torch.tensor(conts_all[item_col])
    with torch.no_grad():
        mixed.bn.running_mean.copy_(col.mean(0))
        mixed.bn.running_var.copy_(col.var(0, unbiased=True))
        mixed.eval()
        pred = mixed(cats, conts, None)
    out["eval_settled.bn.running_mean"] = mixed.bn.running_mean.clone()
    out["eval_settled.bn.running_var"] = mixed.bn.running_var.clone()
    out["eval_settled.pred"] = pred.clone()
    out["eval_settled.loss"] = F.mse_loss(pred, y).reshape(1)
    g.save(OUT / "mixed_input.safetensors", {**inputs, **out},
           {**info, "emb_szs": emb_szs, "emb_drop": EMB_DROP, "szs": SZS, "drops": DROPS, "use_bn": True})
    print("MixedInputModel loss %.6f, eval loss %.6f" % (loss, out["eval.loss"].item()))


if __name__ == "__main__":
    main()
