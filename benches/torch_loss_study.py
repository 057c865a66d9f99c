#!/usr/bin/env python3
"""The loss-comparison study in PyTorch, as its users write it, for the README's comparison
with `learnloss study --dataset fashion-mnist`.

The MLP (fc1 784->128, ReLU, fc2 128->64, ReLU, fc3 64->10) on FashionMNIST normalised
(x - 0.5) / 0.5, Adam lr 1e-3, batch 64 (shuffled), 5 epochs, trained on the whole training set
and tested on the test set, with:
- ce: F.cross_entropy;
- weighted-ce: -sum_n w[t_n] * log_softmax(x_n)[t_n] / N, w = 2 for class 0, 1 otherwise;
- ce-l1: F.cross_entropy + 0.01 * sum over all parameters of |theta|.
Every loss of run k starts from the same initial weights (torch.manual_seed(k) before the
model is built). Prints `Epoch k/5, Loss: ...` per epoch and the test accuracy of each run, then
mean +- sample std per loss.

    python3 benches/torch_loss_study.py [--data DIR] [--runs 5] [--epochs 5] [--threads 1]
"""
import argparse
import gzip
import os
import statistics

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def idx(path, offset):
    with gzip.open(path) if path.endswith(".gz") else open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def load(data, split):
    stem = "train" if split == "train" else "t10k"
    names = os.listdir(data)
    find = lambda kind: os.path.join(data, next(n for n in names if n.startswith(f"{stem}-{kind}")))
    images = idx(find("images"), 16).reshape(-1, 784).astype(np.float32) / 255.0
    labels = idx(find("labels"), 8).astype(np.int64)
    return (torch.from_numpy(images) - 0.5) / 0.5, torch.from_numpy(labels)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


WEIGHTS = torch.tensor([2.0] + [1.0] * 9)


def weighted_ce(out, target):
    return -(WEIGHTS[target] * F.log_softmax(out, 1)[torch.arange(len(target)), target]).sum() / len(target)


def ce_l1(model):
    return lambda out, target: F.cross_entropy(out, target) + 0.01 * sum(p.abs().sum() for p in model.parameters())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    x, y = load(args.data, "train")
    xt, yt = load(args.data, "test")
    results = {}
    for name in ["ce", "weighted-ce", "ce-l1"]:
        for run in range(1, args.runs + 1):
            torch.manual_seed(run)
            model = MLP()
            loss_fn = {"ce": F.cross_entropy, "weighted-ce": weighted_ce, "ce-l1": ce_l1(model)}[name]
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            for epoch in range(args.epochs):
                model.train()
                perm = torch.randperm(len(x))
                total, batches = 0.0, 0
                for i in range(0, len(x), 64):
                    b = perm[i:i + 64]
                    opt.zero_grad()
                    loss = loss_fn(model(x[b]), y[b])
                    loss.backward()
                    opt.step()
                    total += loss.item()
                    batches += 1
                print(f"{name} run {run}: Epoch {epoch + 1}/{args.epochs}, Loss: {total / batches:.4f}", flush=True)
            model.eval()
            with torch.no_grad():
                acc = (model(xt).argmax(1) == yt).float().mean().item()
            print(f"{name} run {run}: test accuracy {acc:.4f}", flush=True)
            results.setdefault(name, []).append(acc)
    for name, accs in results.items():
        std = statistics.stdev(accs) if len(accs) > 1 else 0.0
        print(f"{name:<12} {statistics.mean(accs):.4f} +- {std:.4f}  ({', '.join(f'{a:.4f}' for a in accs)})")


if __name__ == "__main__":
    main()
