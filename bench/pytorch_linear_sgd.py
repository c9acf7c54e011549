"""Lesson 1's gradient descent on y = a·x + b in PyTorch 2.15: the work `make bench` compares.

10,000 points x ~ U(0,1), y = 3x + 8 + 0.1·N(0,3); a, b random; 10,000 iterations of
loss = F.mse_loss(a·x + b, y), loss.backward(), a -= lr·a.grad, b -= lr·b.grad, zero the grads (the
seed's autograd loop, lr 1e-3).

    .venv-torch/bin/python bench/pytorch_linear_sgd.py [--iterations 10000] [--threads 2] [--json]
"""
import argparse, json, resource, time

import torch
import torch.nn.functional as F


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--points", type=int, default=10_000)
    p.add_argument("--iterations", type=int, default=10_000)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x = torch.rand(a.points)
    y = 3 * x + 8 + 0.1 * (3 * torch.randn(a.points))
    wa = torch.randn(1, requires_grad=True)
    wb = torch.randn(1, requires_grad=True)
    t0 = time.perf_counter()
    for t in range(a.iterations):
        loss = F.mse_loss(wa * x + wb, y)  # one op, as Unrolled's `mse` primitive
        loss.backward()
        with torch.no_grad():
            wa -= a.lr * wa.grad
            wb -= a.lr * wb.grad
            wa.grad.zero_()
            wb.grad.zero_()
    last = loss.item()
    seconds = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if a.json:
        print(json.dumps({"lesson": "linear-sgd", "train_seconds": seconds, "final_loss": last,
                          "peak_rss_mb": rss_mb}))
    else:
        print(f"{a.iterations} iterations on {a.points} points: {seconds:.2f}s, loss {last:.5f}, "
              f"peak RSS {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
