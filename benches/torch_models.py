#!/usr/bin/env python3
"""PyTorch timings of the workloads in benches/models.rs, for benches/RESULTS.md.

torchvision's ResNet-18 under the seed's multi-label head (convolutions = resnet18's children
0-8, reshape, dropout 0.1, dense Linear(512, 20), sigmoid), f32, batch 32, 3x224x224:
- `resnet18/train_step/...`: train mode, forward, BCELoss on multi-hot targets, backward, one
  Adam step (lr 1e-4), zero_grad;
- `resnet18/inference/...`: eval mode, forward under no_grad.
Median of repeated runs after warm-up; prints `name: X ms`, as benches/torch_ops.py does.

    python3 benches/torch_models.py [--threads N] [--device cpu|cuda] [--only SUBSTR,...] [--reps N]
"""
import argparse
import statistics
import time

import torch
import torchvision
from torch import nn

BATCH, SIDE, LABELS = 32, 224, 20


class NeuralNetwork(nn.Module):
    def __init__(self, labels, dropout):
        super().__init__()
        resnet = torchvision.models.resnet18()
        self.convolutions = nn.Sequential(*list(resnet.children())[:-1])
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(512, labels)

    def forward(self, x):
        x = self.convolutions(x).reshape(x.shape[0], 512)
        return torch.sigmoid(self.dense(self.dropout(x)))


def timeit(fn, device, warmup, reps):
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
    ap.add_argument("--reps", type=int, default=10)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    only = [s for s in args.only.split(",") if s]
    dev = args.device
    torch.manual_seed(0)
    model = NeuralNetwork(LABELS, 0.1).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    loss_fn = nn.BCELoss()
    images = torch.rand(BATCH, 3, SIDE, SIDE, device=dev)
    targets = (torch.rand(BATCH, LABELS, device=dev) < 0.2).float()

    def train_step():
        model.train()
        opt.zero_grad()
        loss = loss_fn(model(images), targets)
        loss.backward()
        opt.step()
        return loss.item()

    def inference():
        model.eval()
        with torch.no_grad():
            return model(images)

    shape = f"b{BATCH}_3x{SIDE}x{SIDE}"
    for name, fn in [(f"resnet18/train_step/{shape}", train_step), (f"resnet18/inference/{shape}", inference)]:
        if only and not any(s in name for s in only):
            continue
        t = timeit(fn, dev, warmup=2, reps=args.reps)
        print(f"{name}: {t * 1e3:.1f} ms", flush=True)


if __name__ == "__main__":
    main()
