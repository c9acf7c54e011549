"""The seed's lesson-6 character models in PyTorch 2.15, trained with the seed's schedules.

The reference for Unrolled's loss acceptance (issue [models]) and the baseline for `make bench`.
It reproduces fastai 0.7's fit(): shuffled mini-batches of 512, the smoothed training loss
(momentum 0.98, debiased) and the validation mean; `get_cv_idxs` with numpy's seed 42.

    .venv-torch/bin/python bench/pytorch_lessons.py --lesson char3 [--epochs-scale 1] [--threads 2]
"""
import argparse, json, resource, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

n_hidden, n_fac = 256, 42


class Char3Model(nn.Module):
    def __init__(self, vocab_size, n_fac):
        super().__init__()
        self.e = nn.Embedding(vocab_size, n_fac)
        self.l_in = nn.Linear(n_fac, n_hidden)
        self.l_hidden = nn.Linear(n_hidden, n_hidden)
        self.l_out = nn.Linear(n_hidden, vocab_size)

    def forward(self, c1, c2, c3):
        in1 = F.relu(self.l_in(self.e(c1)))
        in2 = F.relu(self.l_in(self.e(c2)))
        in3 = F.relu(self.l_in(self.e(c3)))
        h = torch.zeros(in1.size())
        h = torch.tanh(self.l_hidden(h + in1))
        h = torch.tanh(self.l_hidden(h + in2))
        h = torch.tanh(self.l_hidden(h + in3))
        return F.log_softmax(self.l_out(h), dim=-1)


class CharLoopModel(nn.Module):
    def __init__(self, vocab_size, n_fac):
        super().__init__()
        self.e = nn.Embedding(vocab_size, n_fac)
        self.l_in = nn.Linear(n_fac, n_hidden)
        self.l_hidden = nn.Linear(n_hidden, n_hidden)
        self.l_out = nn.Linear(n_hidden, vocab_size)

    def forward(self, *cs):
        bs = cs[0].size(0)
        h = torch.zeros(bs, n_hidden)
        for c in cs:
            inp = F.relu(self.l_in(self.e(c)))
            h = torch.tanh(self.l_hidden(h + inp))
        return F.log_softmax(self.l_out(h), dim=-1)


class CharLoopConcatModel(nn.Module):
    def __init__(self, vocab_size, n_fac):
        super().__init__()
        self.e = nn.Embedding(vocab_size, n_fac)
        self.l_in = nn.Linear(n_fac + n_hidden, n_hidden)
        self.l_hidden = nn.Linear(n_hidden, n_hidden)
        self.l_out = nn.Linear(n_hidden, vocab_size)

    def forward(self, *cs):
        bs = cs[0].size(0)
        h = torch.zeros(bs, n_hidden)
        for c in cs:
            inp = torch.cat((h, self.e(c)), 1)
            inp = F.relu(self.l_in(inp))
            h = torch.tanh(self.l_hidden(inp))
        return F.log_softmax(self.l_out(h), dim=-1)


class CharRnn(nn.Module):
    def __init__(self, vocab_size, n_fac):
        super().__init__()
        self.e = nn.Embedding(vocab_size, n_fac)
        self.rnn = nn.RNN(n_fac, n_hidden)
        self.l_out = nn.Linear(n_hidden, vocab_size)

    def forward(self, *cs):
        bs = cs[0].size(0)
        h = torch.zeros(1, bs, n_hidden)
        inp = self.e(torch.stack(cs))
        outp, h = self.rnn(inp, h)
        return F.log_softmax(self.l_out(outp[-1]), dim=-1)


class CharSeqRnn(nn.Module):
    def __init__(self, vocab_size, n_fac, legacy=False):
        super().__init__()
        self.legacy = legacy
        self.e = nn.Embedding(vocab_size, n_fac)
        self.rnn = nn.RNN(n_fac, n_hidden)
        self.l_out = nn.Linear(n_hidden, vocab_size)

    def forward(self, *cs):
        bs = cs[0].size(0)
        h = torch.zeros(1, bs, n_hidden)
        inp = self.e(torch.stack(cs))
        outp, h = self.rnn(inp, h)
        # PyTorch 0.3's implicit dim for a 3-D input was 0 (time); the correct axis is the vocab.
        return F.log_softmax(self.l_out(outp), dim=0 if self.legacy else -1)


def nll_loss_seq(inp, targ):
    sl, bs, nh = inp.size()
    targ = targ.transpose(0, 1).contiguous().view(-1)
    return F.nll_loss(inp.view(-1, nh), targ)


def get_cv_idxs(n, cv_idx=0, val_pct=0.2, seed=42):
    np.random.seed(seed)
    n_val = int(val_pct * n)
    idx_start = cv_idx * n_val
    idxs = np.random.permutation(n)
    return idxs[idx_start:idx_start + n_val]


LESSONS = {
    # id: (model class, layout, schedule [(lr, epochs)], sequence loss?)
    "char3": (Char3Model, "char3", [(1e-2, 1), (1e-3, 1)]),
    "char-loop": (CharLoopModel, "windows", [(1e-2, 1), (1e-3, 1)]),
    "char-loop-concat": (CharLoopConcatModel, "windows", [(1e-3, 1), (1e-4, 1)]),
    "char-rnn": (CharRnn, "windows", [(1e-3, 4)]),
    "char-seq-rnn": (CharSeqRnn, "sequences", [(1e-3, 4), (1e-4, 1)]),
    "char-seq-rnn-legacy": (CharSeqRnn, "sequences", [(1e-3, 4), (1e-4, 1)]),
}


def load(corpus, layout):
    text = open(corpus, encoding="utf-8").read()
    chars = sorted(list(set(text)))
    chars.insert(0, "\0")
    char_indices = {c: i for i, c in enumerate(chars)}
    idx = [char_indices[c] for c in text]
    if layout == "char3":
        cs = 3
        rows = [[idx[i], idx[i + 1], idx[i + 2]] for i in range(0, len(idx) - 1 - cs, cs)][:-2]
        ys = [idx[i + 3] for i in range(0, len(idx) - 1 - cs, cs)][:-2]
        xs, y = np.array(rows), np.array(ys)
        val = np.array([len(xs) - 1])
    elif layout == "windows":
        cs = 8
        xs = np.stack([[idx[i + j] for i in range(cs)] for j in range(len(idx) - cs - 1)])
        y = np.stack([idx[j + cs] for j in range(len(idx) - cs - 1)])
        val = get_cv_idxs(len(idx) - cs - 1)
    else:
        cs = 8
        xs = np.stack([[idx[i + j] for i in range(cs)] for j in range(0, len(idx) - cs - 1, cs)])
        y = np.stack([[idx[i + j] for i in range(cs)] for j in range(1, len(idx) - cs, cs)])
        val = get_cv_idxs(len(xs) - cs - 1)
    mask = np.ones(len(xs), bool)
    mask[val] = False
    return len(chars), torch.from_numpy(xs[mask]), torch.from_numpy(y[mask]), torch.from_numpy(xs[val]), torch.from_numpy(y[val])


def fit(m, trn, val, epochs, opt, crit, bs=512, log=print):
    xs, y = trn
    avg_loss, batch_num, avg_mom = 0.0, 0, 0.98
    rows = []
    n_batches = (len(xs) + bs - 1) // bs
    remaining = epochs
    epoch = 0
    while remaining > 1e-9:
        share = min(remaining, 1.0)
        remaining -= share
        perm = torch.randperm(len(xs))
        for b in range(max(1, round(share * n_batches))):
            i = perm[b * bs:(b + 1) * bs]
            xb, yb = xs[i], y[i]
            out = m(*[xb[:, j] for j in range(xb.shape[1])])
            loss = crit(out, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            batch_num += 1
            avg_loss = avg_loss * avg_mom + loss.item() * (1 - avg_mom)
        debias = avg_loss / (1 - avg_mom ** batch_num)
        with torch.no_grad():
            vx, vy = val
            total = 0.0
            for s in range(0, len(vx), 2 * bs):
                xb, yb = vx[s:s + 2 * bs], vy[s:s + 2 * bs]
                total += crit(m(*[xb[:, j] for j in range(xb.shape[1])]), yb).item() * len(xb)
            vl = total / len(vx)
        log(f"[ {epoch}.       {debias:.5f}  {vl:.5f}]")
        rows.append((epoch, debias, vl))
        epoch += 1
    return rows


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lesson", required=True, choices=sorted(LESSONS))
    p.add_argument("--corpus", default="../shared/data/nietzsche.txt")
    p.add_argument("--epochs-scale", type=float, default=1.0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--epochs", type=float, default=None,
                   help="train only the schedule's first phase (its lr) for this many epochs (make bench)")
    p.add_argument("--json", action="store_true", help="print one JSON summary line at the end")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    cls, layout, schedule = LESSONS[a.lesson]
    if a.epochs is not None:
        schedule = [(schedule[0][0], a.epochs)]
    t0 = time.perf_counter()
    vocab, trn_x, trn_y, val_x, val_y = load(a.corpus, layout)
    t_data = time.perf_counter() - t0
    m = cls(vocab, n_fac, legacy=True) if a.lesson.endswith("legacy") else cls(vocab, n_fac)
    crit = nll_loss_seq if layout == "sequences" else F.nll_loss
    opt = torch.optim.Adam(m.parameters(), schedule[0][0])
    rows = []
    t1 = time.perf_counter()
    for lr, epochs in schedule:
        for g in opt.param_groups:
            g["lr"] = lr
        rows += fit(m, (trn_x, trn_y), (val_x, val_y), epochs * a.epochs_scale, opt, crit,
                    log=(lambda s: None) if a.json else print)
    t_train = time.perf_counter() - t1
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if a.json:
        print(json.dumps({"lesson": a.lesson, "train_seconds": t_train, "data_seconds": t_data,
                          "final_trn_loss": rows[-1][1], "final_val_loss": rows[-1][2], "peak_rss_mb": rss_mb}))
    else:
        print(f"train {t_train:.2f}s, data {t_data:.2f}s, peak RSS {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
