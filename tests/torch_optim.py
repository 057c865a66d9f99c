"""Compares learnloss optimiser trajectories with torch.optim.

Usage: python3 tests/torch_optim.py FILE

FILE (written by tests/torch_optim.rs) holds, per case, `<case>.p0` (initial parameter),
`<case>.grads` (one gradient per step) and `<case>.trajectory` (the parameter after each
learnloss step), all float64; its metadata maps each case to its optimiser and hyperparameters,
e.g. `adam lr=0.1 beta1=0.9 beta2=0.999 eps=1e-08 weight_decay=0`. Replays every case with
torch.optim (single-tensor implementation) and requires agreement to 1e-12 relative: PyTorch's
CPU kernels fuse multiply-adds where the vector width and compiler allow, so exact bits are
machine-dependent. Skips with the reason (exit 0) without PyTorch, unless
LEARNLOSS_REQUIRE_TORCH=1.
"""

import os
import sys


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    try:
        import torch
        from safetensors import safe_open
        from safetensors.torch import load_file
    except ImportError as e:
        if os.environ.get("LEARNLOSS_REQUIRE_TORCH") == "1":
            print(f"FAIL: PyTorch or safetensors is not importable ({e}) (LEARNLOSS_REQUIRE_TORCH=1)")
            sys.exit(1)
        print(f"SKIP: PyTorch or safetensors is not importable ({e})")
        return
    path = sys.argv[1]
    with safe_open(path, framework="pt") as f:
        cases = f.metadata()
    data = load_file(path)
    for case, spec in sorted(cases.items()):
        kind, *pairs = spec.split()
        hp = {k: float(v) for k, v in (p.split("=") for p in pairs)}
        p = data[f"{case}.p0"].clone().requires_grad_(True)
        if kind == "adam":
            opt = torch.optim.Adam([p], lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"],
                                   weight_decay=hp["weight_decay"], foreach=False)
        else:
            opt = torch.optim.SGD([p], lr=hp["lr"], momentum=hp["momentum"], dampening=hp["dampening"],
                                  weight_decay=hp["weight_decay"], nesterov=bool(hp["nesterov"]), foreach=False)
        for step, (g, expected) in enumerate(zip(data[f"{case}.grads"], data[f"{case}.trajectory"])):
            p.grad = g.clone()
            opt.step()
            got = p.detach()
            err = ((got - expected).abs() / (1 + expected.abs())).max().item()
            assert err <= 1e-12, f"{case} step {step + 1}: torch {got.tolist()} vs learnloss {expected.tolist()}"
        print(f"OK {case}: {spec}")


if __name__ == "__main__":
    main()
