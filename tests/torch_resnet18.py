"""Checks the full-width multi-label ResNet-18 of learnloss against torchvision's.

Usage: python3 tests/torch_resnet18.py DIR

DIR holds what tests/torch_resnet18.rs wrote: `model.safetensors` (the seed's multi-label
classifier, float64, state dict under its names: convolutions.<i>..., dense.*, after one
training-mode pass so the running statistics and num_batches_tracked have moved) and
`io.safetensors` (an input batch, learnloss's eval-mode outputs, and the sizes as metadata).

With PyTorch and torchvision: builds the seed's `NeuralNetwork` around
`torchvision.models.resnet18()`, loads the file with `load_state_dict(strict=True)` and compares
eval-mode outputs (float64, to 1e-10); then maps the backbone's names back to torchvision's
(convolutions.4.0.conv1.weight -> layer1.0.conv1.weight) and loads them into a bare
`resnet18()`, where only fc.weight and fc.bias may be missing. Without them, prints why and
exits 0, unless LEARNLOSS_REQUIRE_TORCH=1, which makes their absence a failure.
"""

import os
import sys

TOL = 1e-10
CHILDREN = ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool"]


def skip(reason):
    if os.environ.get("LEARNLOSS_REQUIRE_TORCH") == "1":
        print(f"FAIL: {reason} (LEARNLOSS_REQUIRE_TORCH=1)")
        sys.exit(1)
    print(f"SKIP: {reason}")
    sys.exit(0)


def main(directory):
    try:
        import torch
        import torchvision
        from safetensors import safe_open
        from safetensors.torch import load_file
        from torch import nn
    except ImportError as e:
        skip(f"PyTorch, torchvision or safetensors is not installed ({e})")

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

    with safe_open(os.path.join(directory, "io.safetensors"), framework="pt") as f:
        meta = f.metadata()
    io = load_file(os.path.join(directory, "io.safetensors"))
    state = load_file(os.path.join(directory, "model.safetensors"))
    model = NeuralNetwork(int(meta["labels"]), 0.1).double()
    model.load_state_dict(state, strict=True)
    model.eval()
    with torch.no_grad():
        out = model(io["input"])
    diff = (out - io["output"]).abs().max().item()
    assert diff <= TOL, f"PyTorch and learnloss outputs differ by {diff}"

    backbone = {}
    for name, t in state.items():
        if name.startswith("convolutions."):
            index, rest = name[len("convolutions."):].split(".", 1)
            backbone[f"{CHILDREN[int(index)]}.{rest}"] = t
    bare = torchvision.models.resnet18().double()
    result = bare.load_state_dict(backbone, strict=False)
    assert sorted(result.missing_keys) == ["fc.bias", "fc.weight"], result.missing_keys
    assert not result.unexpected_keys, result.unexpected_keys
    print(f"OK: torchvision's ResNet-18 loaded the checkpoint strictly; outputs agree to {diff:.3g}")


if __name__ == "__main__":
    main(sys.argv[1])
