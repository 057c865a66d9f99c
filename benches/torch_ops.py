#!/usr/bin/env python3
"""PyTorch timings of the workloads in benches/ops.rs, for benches/RESULTS.md.

Same shapes, same dtype (f32), median of repeated runs after warm-up. By default uses as many
threads as `nproc` (torch's default) — pass --threads to pin it.

    python3 benches/torch_ops.py [--threads N] [--device cpu|cuda] [--only SUBSTR,...] [--reps N]

--only keeps the workloads whose printed name contains one of the substrings (as a criterion
filter would), so rounds of a few workloads can alternate with `cargo bench --bench ops`.
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
    ap.add_argument("--only", default="", help="comma-separated substrings of workload names")
    ap.add_argument("--reps", type=int, default=None, help="timed runs a workload (median)")
    args = ap.parse_args()
    only = [s for s in args.only.split(",") if s]

    def wanted(name):
        return not only or any(s in name for s in only)

    def run(group, name, workloads, reps, rate):
        """Times each wanted (what, fn) of `workloads` as `group/what/name`; `rate(seconds)`
        says what the time amounts to."""
        for what, fn in workloads:
            full = f"{group}/{what}/{name}"
            if not wanted(full):
                continue
            t = timeit(fn, dev, reps=args.reps or reps)
            print(f"{full}: {t * 1e3:.3f} ms ({rate(t)})")

    if args.threads:
        torch.set_num_threads(args.threads)
    dev = args.device
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, device {dev}, threads {torch.get_num_threads()}")

    for n in (256, 512, 1024):
        name = f"matmul_f32/{n}x{n}x{n}"
        if not wanted(name):
            continue
        a = torch.randn(n, n, device=dev)
        b = torch.randn(n, n, device=dev)
        t = timeit(lambda: a @ b, dev, reps=args.reps or 20)
        print(f"{name}: {t * 1e3:.3f} ms ({2 * n**3 / t / 1e9:.1f} GFLOP/s)")

    batch = 1024
    for cin, cout, hw in ((1, 32, 28), (32, 64, 14), (64, 128, 7)):
        x = torch.randn(batch, cin, hw, hw, device=dev)
        w = torch.randn(cout, cin, 3, 3, device=dev)
        gy = torch.randn(batch, cout, hw, hw, device=dev)
        name = f"{cin}to{cout}_{hw}x{hw}"
        flops = 2 * batch * cout * hw * hw * cin * 9
        workloads = (
            ("forward", lambda: F.conv2d(x, w, padding=1)),
            # The two adjoints, as autograd's conv backward computes them.
            ("input_grad", lambda: torch.nn.grad.conv2d_input(x.shape, w, gy, padding=1)),
            ("weight_grad", lambda: torch.nn.grad.conv2d_weight(x, w.shape, gy, padding=1)),
        )
        run("conv2d_f32_b1024", name, workloads, 10, lambda t: f"{flops / t / 1e9:.1f} GFLOP/s")

    batch = 128
    for channels, hw in ((32, 28), (64, 14), (128, 7)):
        x = torch.randn(batch, channels, hw, hw, device=dev)
        out, indices = F.max_pool2d(x, 2, return_indices=True)
        gy = torch.randn_like(out)
        name = f"{channels}x{hw}x{hw}"
        workloads = (
            # What autograd runs: max_pool2d_with_indices and its backward.
            ("forward", lambda: F.max_pool2d(x, 2, return_indices=True)),
            ("backward", lambda: torch.ops.aten.max_pool2d_with_indices_backward(
                gy, x, [2, 2], [2, 2], [0, 0], [1, 1], False, indices)),
        )
        run("max_pool2d_f32_b128", name, workloads, 50, lambda t: f"{x.numel() / t / 1e9:.2f} G input elements/s")


if __name__ == "__main__":
    main()
