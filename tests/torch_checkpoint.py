"""Checks that a learnloss checkpoint loads into the matching PyTorch model.

Usage: python3 tests/torch_checkpoint.py DIR

DIR holds what tests/torch_checkpoint.rs wrote: `model.safetensors` (a state_dict, float64,
after a few training steps) and `io.safetensors` (a fixed `input` batch, the eval-mode `output`
learnloss computed for it, and as metadata the architecture sizes and `model`):
- `learnable-cnn` (the default): the seed's learnable classifier, an nn.Sequential; the steps
  make BatchNorm's running statistics and num_batches_tracked non-trivial;
- `mlp`: the loss-comparison study's MLP, a module with attributes fc1, fc2, fc3 and F.relu
  between them in its forward, outputting logits.

With PyTorch: builds the classifier as an nn.Sequential, loads the file with
`safetensors.torch.load_file` + `load_state_dict(strict=True)` and compares eval-mode outputs.
Without PyTorch but with safetensors and numpy: checks the names, shapes and dtypes PyTorch
would expect and recomputes the eval-mode forward pass in numpy. With neither, prints why and
exits 0 — unless LEARNLOSS_REQUIRE_TORCH=1, which makes a missing PyTorch a failure.
"""

import os
import sys

TOL = 1e-10
FLOOR = 1e-7


def skip(reason):
    if os.environ.get("LEARNLOSS_REQUIRE_TORCH") == "1":
        print(f"FAIL: {reason} (LEARNLOSS_REQUIRE_TORCH=1)")
        sys.exit(1)
    print(f"SKIP: {reason}")
    sys.exit(0)


def sizes(meta):
    return tuple(int(meta[k]) for k in ("channels", "height", "width", "classes"))


def expected_shapes(c, h, w, classes):
    """state_dict names and shapes of the classifier, in PyTorch's order."""
    out = []
    for i, (cin, cout) in zip((0, 4, 8), ((c, 32), (32, 64), (64, 128))):
        out += [(f"{i}.weight", (cout, cin, 3, 3)), (f"{i}.bias", (cout,))]
        bn = i + 1
        out += [(f"{bn}.{n}", (cout,)) for n in ("weight", "bias", "running_mean", "running_var")]
        out += [(f"{bn}.num_batches_tracked", ())]
    flat = 128 * (h // 4) * (w // 4)
    out += [("12.weight", (128, flat)), ("12.bias", (128,))]
    out += [("15.weight", (classes, 128)), ("15.bias", (classes,))]
    return out


def mlp_shapes(c, h, w, classes):
    """state_dict names and shapes of the study's MLP."""
    return [("fc1.weight", (128, c * h * w)), ("fc1.bias", (128,)), ("fc2.weight", (64, 128)),
            ("fc2.bias", (64,)), ("fc3.weight", (classes, 64)), ("fc3.bias", (classes,))]


def torch_mlp(c, h, w, classes):
    import torch.nn.functional as F
    from torch import nn

    class MLP(nn.Module):
        """As the study's users write it."""

        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(c * h * w, 128)
            self.fc2 = nn.Linear(128, 64)
            self.fc3 = nn.Linear(64, classes)

        def forward(self, x):
            x = x.view(x.size(0), -1)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    return MLP().double()


def check_with_torch(directory):
    import torch
    from torch import nn
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(os.path.join(directory, "io.safetensors"), framework="pt") as f:
        meta = f.metadata()
    c, h, w, classes = sizes(meta)
    io = load_file(os.path.join(directory, "io.safetensors"))
    if meta.get("model") == "mlp":
        model = torch_mlp(c, h, w, classes)
        model.load_state_dict(load_file(os.path.join(directory, "model.safetensors")), strict=True)
        model.eval()
        with torch.no_grad():
            out = model(io["input"])
        diff = (out - io["output"]).abs().max().item()
        assert diff <= TOL, f"PyTorch and learnloss MLP outputs differ by {diff}"
        print(f"OK: PyTorch loaded the MLP checkpoint strictly into fc1/fc2/fc3; outputs agree to {diff:.3g}")
        return

    class Clamp(nn.Module):
        def forward(self, x):
            return x.clamp(FLOOR, 1 - FLOOR)

    model = nn.Sequential(
        nn.Conv2d(c, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(),
        nn.Flatten(), nn.Linear(128 * (h // 4) * (w // 4), 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, classes), nn.Softmax(dim=1), Clamp(),
    ).double()
    model.load_state_dict(load_file(os.path.join(directory, "model.safetensors")), strict=True)
    model.eval()
    with torch.no_grad():
        out = model(io["input"])
    diff = (out - io["output"]).abs().max().item()
    assert diff <= TOL, f"PyTorch and learnloss outputs differ by {diff}"
    print(f"OK: PyTorch loaded the checkpoint strictly; outputs agree to {diff:.3g}")


def check_with_numpy(directory):
    import numpy as np
    from safetensors import safe_open
    from safetensors.numpy import load_file

    with safe_open(os.path.join(directory, "io.safetensors"), framework="numpy") as f:
        meta = f.metadata()
    c, h, w, classes = sizes(meta)
    io = load_file(os.path.join(directory, "io.safetensors"))
    sd = load_file(os.path.join(directory, "model.safetensors"))

    if meta.get("model") == "mlp":
        expected = mlp_shapes(c, h, w, classes)
        assert sorted(sd) == sorted(n for n, _ in expected), f"names differ: {sorted(sd)}"
        for name, shape in expected:
            assert sd[name].shape == shape, f"{name}: shape {sd[name].shape}, PyTorch expects {shape}"
            assert sd[name].dtype == np.float64, f"{name}: dtype {sd[name].dtype}, PyTorch expects float64"
        x = io["input"].reshape(io["input"].shape[0], -1)
        x = np.maximum(x @ sd["fc1.weight"].T + sd["fc1.bias"], 0)
        x = np.maximum(x @ sd["fc2.weight"].T + sd["fc2.bias"], 0)
        out = x @ sd["fc3.weight"].T + sd["fc3.bias"]
        diff = float(np.abs(out - io["output"]).max())
        assert diff <= TOL, f"numpy and learnloss MLP outputs differ by {diff}"
        print(f"OK (without PyTorch): the MLP's names, shapes and dtypes match PyTorch's state_dict; "
              f"a numpy forward pass agrees to {diff:.3g}")
        return

    expected = expected_shapes(c, h, w, classes)
    assert sorted(sd) == sorted(n for n, _ in expected), f"names differ: {sorted(sd)}"
    for name, shape in expected:
        dtype = np.int64 if name.endswith("num_batches_tracked") else np.float64
        assert sd[name].shape == shape, f"{name}: shape {sd[name].shape}, PyTorch expects {shape}"
        assert sd[name].dtype == dtype, f"{name}: dtype {sd[name].dtype}, PyTorch expects {dtype}"

    def conv(x, i):
        xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
        win = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))
        return np.einsum("nchwij,ocij->nohw", win, sd[f"{i}.weight"]) + sd[f"{i}.bias"][:, None, None]

    def bn(x, i):
        p = lambda n: sd[f"{i}.{n}"][:, None, None]
        return (x - p("running_mean")) / np.sqrt(p("running_var") + 1e-5) * p("weight") + p("bias")

    def pool(x):
        n, ch, hh, ww = x.shape
        return x.reshape(n, ch, hh // 2, 2, ww // 2, 2).max(axis=(3, 5))

    x = io["input"]
    for i, pooled in ((0, True), (4, True), (8, False)):
        x = np.maximum(bn(conv(x, i), i + 1), 0)
        if pooled:
            x = pool(x)
    x = x.reshape(x.shape[0], -1)
    x = np.maximum(x @ sd["12.weight"].T + sd["12.bias"], 0)
    x = x @ sd["15.weight"].T + sd["15.bias"]
    e = np.exp(x - x.max(axis=1, keepdims=True))
    out = np.clip(e / e.sum(axis=1, keepdims=True), FLOOR, 1 - FLOOR)
    diff = float(np.abs(out - io["output"]).max())
    assert diff <= TOL, f"numpy and learnloss outputs differ by {diff}"
    print(f"OK (without PyTorch): names, shapes and dtypes match PyTorch's state_dict; "
          f"a numpy forward pass agrees to {diff:.3g}")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    directory = sys.argv[1]
    try:
        import torch  # noqa: F401
        import safetensors.torch  # noqa: F401
    except ImportError as e:
        torch_missing = str(e)
    else:
        check_with_torch(directory)
        return
    if os.environ.get("LEARNLOSS_REQUIRE_TORCH") == "1":
        skip(f"PyTorch is not importable ({torch_missing})")
    try:
        import numpy  # noqa: F401
        import safetensors.numpy  # noqa: F401
    except ImportError as e:
        skip(f"neither PyTorch ({torch_missing}) nor safetensors+numpy ({e}) is importable")
    print(f"PyTorch is not importable ({torch_missing}); checking with numpy")
    check_with_numpy(directory)


if __name__ == "__main__":
    main()
