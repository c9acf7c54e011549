#!/usr/bin/env python3
"""nn.BatchNorm1d as PyTorch computes it, for the Swift BatchNorm1d (composed from primitives).

    .venv-torch/bin/python tools/golden/make_layer_golden.py

Writes Tests/ModelsTests/Fixtures/layers.safetensors: an affine BatchNorm1d(10) with random
weight and bias; two training steps on batches of 16 (outputs, the input/weight/bias gradients
of the second step for a given upstream gradient, the running statistics after each step);
then evaluation on 5 rows with those running statistics.
"""
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_golden as g  # noqa: E402


def main():
    g.setup_determinism()
    gen = torch.Generator().manual_seed(6)
    bn = torch.nn.BatchNorm1d(10)  # momentum 0.1, eps 1e-5, affine
    with torch.no_grad():
        bn.weight.copy_(torch.randn(10, generator=gen) * 0.5 + 1)
        bn.bias.copy_(torch.randn(10, generator=gen) * 0.3)
    out = {"bn.weight": g.f32(bn.weight), "bn.bias": g.f32(bn.bias)}
    bn.train()
    for step in (1, 2):
        x = (torch.randn(16, 10, generator=gen) * 2 + 1).requires_grad_(True)
        y = bn(x)
        grad_out = torch.randn(16, 10, generator=gen)
        bn.zero_grad()
        y.backward(grad_out)
        out.update({f"bn.step{step}.x": g.f32(x), f"bn.step{step}.y": g.f32(y), f"bn.step{step}.grad_out": grad_out,
                    f"bn.step{step}.grad_x": g.f32(x.grad), f"bn.step{step}.grad_weight": g.f32(bn.weight.grad),
                    f"bn.step{step}.grad_bias": g.f32(bn.bias.grad),
                    f"bn.step{step}.running_mean": g.f32(bn.running_mean),
                    f"bn.step{step}.running_var": g.f32(bn.running_var)})
    bn.eval()
    x = torch.randn(5, 10, generator=gen) * 2 + 1
    out.update({"bn.eval.x": x, "bn.eval.y": g.f32(bn(x))})
    path = g.ROOT / "Tests/ModelsTests/Fixtures/layers.safetensors"
    g.save(path, out, {"generator": g.GENERATOR, "layer": "BatchNorm1d(10)", "momentum": 0.1, "eps": 1e-5})
    print(f"wrote {path} ({len(out)} tensors)")


if __name__ == "__main__":
    main()
