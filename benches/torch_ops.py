#!/usr/bin/env python3
"""PyTorch timings of the workloads in benches/ops.rs, for benches/RESULTS.md.

Same shapes, same dtype (f32), median of repeated runs after warm-up. By default uses as many
threads as `nproc` (torch's default) — pass --threads to pin it.

    python3 benches/torch_ops.py [--threads N] [--device cpu|cuda]
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F


def timeit(fn, device, warmup=2, reps=10):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    dev = args.device
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, device {dev}, threads {torch.get_num_threads()}")

    for n in (256, 512, 1024):
        a = torch.randn(n, n, device=dev)
        b = torch.randn(n, n, device=dev)
        t = timeit(lambda: a @ b, dev, reps=20)
        print(f"matmul_f32/{n}x{n}x{n}: {t * 1e3:.3f} ms ({2 * n**3 / t / 1e9:.1f} GFLOP/s)")

    batch = 1024
    for cin, cout, hw in ((1, 32, 28), (32, 64, 14), (64, 128, 7)):
        x = torch.randn(batch, cin, hw, hw, device=dev)
        w = torch.randn(cout, cin, 3, 3, device=dev)
        gy = torch.randn(batch, cout, hw, hw, device=dev)
        name = f"{cin}to{cout}_{hw}x{hw}"
        fwd = timeit(lambda: F.conv2d(x, w, padding=1), dev)
        # The two adjoints, as autograd's conv backward computes them.
        inp = timeit(lambda: torch.nn.grad.conv2d_input(x.shape, w, gy, padding=1), dev)
        wgt = timeit(lambda: torch.nn.grad.conv2d_weight(x, w.shape, gy, padding=1), dev)
        flops = 2 * batch * cout * hw * hw * cin * 9
        for what, t in (("forward", fwd), ("input_grad", inp), ("weight_grad", wgt)):
            print(f"conv2d_f32_b1024/{what}/{name}: {t * 1e3:.2f} ms ({flops / t / 1e9:.1f} GFLOP/s)")


if __name__ == "__main__":
    main()
