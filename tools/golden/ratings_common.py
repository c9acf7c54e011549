"""What make_collab_golden.py and make_mixed_golden.py share: the SYNTHETIC ratings set at test
size read the way the seed reads ratings.csv, the seed's fastai 0.7 helpers, and the recording
of the first batch's gradients and of 3 Adam steps on it.

The data is written by `unrolled data synthetic` (40 users, 80 movies, 800 ratings, seed 42;
the Swift tests regenerate it in memory), numbered by CollabFilterDataset's proc_col and split
by fastai's get_cv_idxs (numpy RandomState(42)). The batch is the first 64 training rows.
"""

import argparse
import csv
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_golden as g  # noqa: E402

OUT = g.MODELS_DIR
USERS, MOVIES, RATINGS, DATA_SEED = 40, 80, 800, 42
N_FACTORS, BATCH, LR, WD = 50, 64, 1e-2, 2e-4
DATA = f"SYNTHETIC: unrolled data synthetic --users {USERS} --movies {MOVIES} --ratings {RATINGS} --seed {DATA_SEED}"


# MARK: the seed's fastai 0.7 helpers ------------------------------------------------------------

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


# MARK: the data ---------------------------------------------------------------------------------

@dataclass
class Ratings:
    user2idx: dict
    user_col: np.ndarray
    item2idx: dict
    item_col: np.ndarray
    ratings: np.ndarray
    titles: dict
    trn_rows: np.ndarray
    val_rows: np.ndarray

    @property
    def batch(self):
        return self.trn_rows[:BATCH]

    @property
    def score_range(self):
        return float(self.ratings.min()), float(self.ratings.max())

    def rows(self, rows):
        """users, items (long) and y of the given rows."""
        return (torch.tensor(self.user_col[rows], dtype=torch.long),
                torch.tensor(self.item_col[rows], dtype=torch.long), torch.tensor(self.ratings[rows]))

    def inputs(self):
        """The batch as the fixtures store it (indices as whole floats)."""
        users, items, y = self.rows(self.batch)
        return {"input.users": users.float(), "input.items": items.float(), "input.y": y,
                "input.score_range": torch.tensor(self.score_range)}


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def synthetic_ratings(unrolled):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "synthetic"
        subprocess.run([unrolled, "data", "synthetic", "--out", str(folder), "--users", str(USERS),
                        "--movies", str(MOVIES), "--ratings", str(RATINGS), "--seed", str(DATA_SEED)],
                       check=True, stdout=subprocess.DEVNULL)
        rows = read_csv(folder / "ratings.csv")
        titles = {int(r["movieId"]): r["title"] for r in read_csv(folder / "movies.csv")}
    user2idx, user_col = proc_col([int(r["userId"]) for r in rows])
    item2idx, item_col = proc_col([int(r["movieId"]) for r in rows])
    ratings = np.array([float(r["rating"]) for r in rows], dtype=np.float32)
    n = len(ratings)
    val = np.zeros(n, dtype=bool)
    val[get_cv_idxs(n)] = True
    return Ratings(user2idx, user_col, item2idx, item_col, ratings, titles,
                   trn_rows=np.arange(n)[~val], val_rows=np.arange(n)[val])


def setup():
    """Each script's start: `--unrolled`, seeds and deterministic single-thread torch, the data."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--unrolled", default=str(g.ROOT / ".build/debug/unrolled"))
    args = parser.parse_args()
    g.setup_determinism()
    return synthetic_ratings(args.unrolled)


def info(script):
    """The metadata every ratings fixture carries; each script adds its model's sizes."""
    generator = "tools/golden/%s (torch %s)" % (Path(script).name, torch.__version__.split("+")[0])
    return {"generator": generator, "data": DATA, "batch": "first %d training rows" % BATCH,
            "lr": LR, "weight_decay": WD}


# MARK: recording --------------------------------------------------------------------------------

def keep_steps(steps, keep):
    """A model's forward hands its intermediates to `keep` (when given), gradients retained."""
    if keep is not None:
        for t in steps.values():
            t.retain_grad()
        keep.update(steps)


def record_backward(out, model, loss, steps):
    """loss.backward(), then every kept intermediate with its gradient, the loss and each
    parameter's gradient."""
    loss.backward()
    for label, t in steps.items():
        out["fwd." + label] = t.detach().clone()
        out["grad." + label] = t.grad.detach().clone()
    out["loss"] = loss.detach().reshape(1)
    for name, p in model.named_parameters():
        out["grad.param." + name] = p.grad.detach().clone()


def record_adam3(out, model, loss_at):
    """3 Adam steps (lr LR, weight decay WD): the first from the gradients record_backward left,
    the others from loss_at(step)."""
    opt = torch.optim.Adam(model.parameters(), lr=LR, weight_decay=WD, foreach=False)
    min_rel_grad = {}
    for step in range(3):
        if step > 0:
            opt.zero_grad()
            loss_at(step).backward()
        # Each element's smallest |g| / max|g| over the steps, g being the gradient Adam uses
        # (grad + wd*param): where it was rounding noise the step is of unknown size, and the
        # Swift comparison widens that element's bound (GoldenCheck.updateSlack). Rows outside
        # the batch have grad 0 but an exact wd*param.
        for name, p in model.named_parameters():
            grad = (p.grad + WD * p).detach().abs()
            rel = grad / grad.max().clamp_min(1e-30)
            min_rel_grad[name] = rel if step == 0 else torch.minimum(min_rel_grad[name], rel)
        opt.step()
    for name in min_rel_grad:
        out["adam.min_rel_grad." + name] = min_rel_grad[name]
    for name, p in model.named_parameters():
        out["adam3." + name] = p.detach().clone()
