#!/usr/bin/env python3
"""PyTorch-written weights for each character model, and what PyTorch computes with them.

    .venv-torch/bin/python tools/golden/make_state_dicts.py [--corpus FILE]

For each of the lesson models: seeded PyTorch init, 40 Adam steps (lr 1e-2, batch 512) on the
first rows of its layout so the weights are no longer their init, then
  Tests/ModelsTests/Fixtures/state_dicts/<model>.safetensors   model.state_dict(), as PyTorch saves it
  Tests/ModelsTests/Fixtures/state_dicts/expected.json         per model: the loss on rows
      ROWS of its layout (the seed's forward code), and for the get_next models the seed's
      get_next_n(prompt, 40) greedy text.
Unrolled must load each file through `--weights`' path and reproduce both (StateDictTests).
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_golden as g  # noqa: E402

OUT = g.ROOT / "Tests/ModelsTests/Fixtures/state_dicts"
ROWS = (20_000, 20_128)   # rows the loss is taken on: past the 40 training steps' rows
STEPS, LR, BS = 40, 1e-2, 512
PROMPTS = {"char3": "for", "char_loop": "for thos", "char_loop_concat": "for thos", "char_rnn": "for thos"}


def layouts(idx):
    n = len(idx)
    starts = list(range(0, n - 1 - 3, 3))[:-2]
    char3 = (np.array([[idx[i], idx[i + 1], idx[i + 2]] for i in starts]), np.array([idx[i + 3] for i in starts]))
    js = range(n - 8 - 1)
    windows = (np.array([[idx[i + j] for i in range(8)] for j in js]), np.array([idx[j + 8] for j in js]))
    ins, outs = list(range(0, n - 8 - 1, 8)), list(range(1, n - 8, 8))
    seqs = (np.array([[idx[i + j] for i in range(8)] for j in ins]), np.array([[idx[i + j] for i in range(8)] for j in outs]))
    return {"char3": char3, "windows": windows, "seqs": seqs}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=g.DEFAULT_CORPUS)
    args = parser.parse_args()
    g.setup_determinism()
    idx = g.load_corpus(args.corpus)
    text = args.corpus.read_text(encoding="utf-8")
    chars = sorted(set(text)); chars.insert(0, "\0")
    char_indices = {c: i for i, c in enumerate(chars)}
    data = layouts(idx)
    OUT.mkdir(parents=True, exist_ok=True)
    expected = {"generator": g.GENERATOR, "rows": list(ROWS), "steps": STEPS, "lr": LR, "models": {}}
    for name, make, layout, _, loss_fn in g.MODELS:
        torch.manual_seed(g.SEED)
        model = make()
        x_all, y_all = data[layout]
        opt = torch.optim.Adam(model.parameters(), lr=LR, foreach=False)
        for step in range(STEPS):
            xb = torch.from_numpy(x_all[step * BS:(step + 1) * BS]).long()
            yb = torch.from_numpy(y_all[step * BS:(step + 1) * BS]).long()
            opt.zero_grad()
            loss_fn(g.lesson_forward(name, model, xb), yb).backward()
            opt.step()
        with torch.no_grad():
            xr = torch.from_numpy(x_all[ROWS[0]:ROWS[1]]).long()
            yr = torch.from_numpy(y_all[ROWS[0]:ROWS[1]]).long()
            loss = loss_fn(g.lesson_forward(name, model, xr), yr).item()
            entry = {"loss": loss}
            if name in PROMPTS:
                # The seed's get_next_n: slide a window of the prompt's length along the text.
                res, inp = PROMPTS[name], PROMPTS[name]
                for _ in range(40):
                    xs = torch.tensor([[char_indices[c] for c in inp]])
                    c = chars[int(np.argmax(g.lesson_forward(name, model, xs).numpy()))]
                    res += c
                    inp = inp[1:] + c
                entry.update(prompt=PROMPTS[name], n=40, text=res)
        state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
        save_file(state, str(OUT / f"{name}.safetensors"))
        expected["models"][name] = entry
        print(f"{name}: loss on rows {ROWS} {loss:.6f}" + (f", get_next_n: {entry['text']!r}" if "text" in entry else ""))
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")


if __name__ == "__main__":
    main()
