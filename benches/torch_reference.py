#!/usr/bin/env python3
"""PyTorch reference timings of the second-order workloads in benches/second_order.rs.

Same networks, shapes, dtype (f32), inputs and algorithms as learnloss's bench
(benches/workloads/mod.rs) and `src/learnable/trace/*`, written in PyTorch ops, and the same
workload names, for benches/RESULTS.md.

    python3 benches/torch_reference.py                        # everything but memory, CPU, 2 threads
    python3 benches/torch_reference.py --json results.json    # the same, results also as JSON
    python3 benches/torch_reference.py --only trace --classes 10,37 --presets meaningful
    python3 benches/torch_reference.py --only verify          # the f64 agreement check alone
    python3 benches/torch_reference.py --only memory          # peak memory of the penalty step, C = 100
    OMP_WAIT_POLICY=PASSIVE python3 benches/torch_reference.py   # when another process holds a core
    python3 benches/torch_reference.py --device cuda --threads 16

Flags: --device cpu|cuda, --threads N (default 2), --classes 10,37,100, --only a,b,... (of verify,
trace, penalty_step, learnable_step, baseline_step, memory; default all but memory),
--presets seed,meaningful,coupled-bn2-tanh, --methods loop,is-grads-batched,batched,
forward-laplacian, --reps N (default 10), --batch B (default 1024), --json PATH, --memory (adds
the memory measurement to the selection).

The loss network E(p, y) (DESIGN §4) is an MLP on x = cat(p, y_onehot):
Linear(2C,64)+BN1d+act -> Linear(64,32)+BN1d+act -> Linear(32,16)+act -> Linear(16,1), squeezed
to [B]. Three variants, as benches/workloads `Variant`:
  - seed:             act = ReLU, BatchNorm1d in training mode (batch statistics) after the
                      first two hidden layers, the seed's batch-coupled trace
                      trace[b] = sum_i d(sum_b' grad_E[b', i]) / dp[b, i]
                      (identically zero: the first BatchNorm removes batch-wide shifts);
  - meaningful:       act = Softplus (beta 1, threshold 20), no BatchNorm, the per-sample trace
                      trace[b] = sum_i d^2 E_b / dp_{b,i}^2;
  - coupled-bn2-tanh: act = Tanh, training-mode BatchNorm after the second hidden layer only,
                      the seed's trace (coupled samples, and a trace that is not zero).
BatchNorm is COMPOSED from elementwise ops (batch mean, biased variance,
(x - mean) * 1/sqrt(var + eps) * w + b) on every device: PyTorch's native batch_norm raises
"batch_norm does not support 3rd+ order derivatives" and the penalty step is third order
(the convexity penalty holds a second derivative in p, then backward). The running statistics
are updated once per energy evaluation, as learnloss does.

Trace methods (all exact, all differentiable; `applies` says which variant takes which):
  - loop:              the seed's C double-backward passes (src/learnable/trace/loop_passes.rs);
  - is-grads-batched:  one torch.autograd.grad(grad_E, p, grad_outputs=V, is_grads_batched=True)
                       with V[i, :, i] = 1, the trace being the diagonal sum_i H_i[:, i]
                       (PyTorch only: learnloss has no vmap);
  - batched:           src/learnable/trace/batched.rs: the hidden stack replayed on the first
                       pre-activation z1 copied C times along a leading dimension (BatchNorm
                       statistics per copy), one backward gives G = dE/dz1 per copy, one more of
                       sum_i <G_i, u_i> (u_i = W1[:, i] in every row) gives every HVP, contracted
                       with u_i again;
  - forward-laplacian: src/learnable/trace/forward_laplacian.rs (meaningful only: it needs
                       independent samples): value, Jacobian wrt p and Laplacian carried forward,
                       no double backward; the first layer's Jacobian W1[:, :C]^T is shared by all
                       samples; grad_E is the final J.

Workloads (f32, B = 1024 unless said), named as in the Rust bench:
  - trace/<variant>/C<classes>/<method>: energy, grad_E and the trace (forward + the
    differentiable trace computation);
  - penalty_step/<variant>/C<classes>/<method>: the trace workload, then L_nonneg =
    mean(relu(-E)^2), L_convex = mean(relu(-trace)^2), L_lips = mean((||grad_E||_2 - 1)^2), their
    sum, and torch.autograd.grad of it wrt every loss-network parameter and p (p a leaf: softmax
    of 2*randn logits clamped to [1e-7, 1 - 1e-7]; labels (i * 7919) mod C);
  - learnable_step/C10_b1024_1x28x28/<seed|meaningful>: the seed's learnable classifier
    (nn.BatchNorm2d, train mode, dropout) -> softmax -> clamp, total = BCE(p, y_onehot) +
    0.1 * penalties with the preset's default method (seed: batched, meaningful:
    forward-laplacian), total.backward(), one Adam(lr 1e-3) step per network, zero_grad;
    uniform [0, 1) images, labels i mod 10;
  - baseline_step/C10_b128_1x28x28: the seed's baseline CNN, zero_grad, cross-entropy, backward,
    Adam(lr 1e-3, eps 1e-7) step;
  - verify (not timed): f64, B = 16: every method against loop (energy, grad_E, trace, and the
    penalty's gradients wrt parameters and p), max absolute deviation, must be below 1e-10; also
    max |trace| and on how many samples the convexity penalty is active;
  - memory (not timed): peak memory of one penalty step at C = 100 for every variant and method,
    each in a fresh subprocess, "cold" (as benches/penalty_memory.rs) and "warm" (see
    memory_child).

When another process holds a core (a training run, cargo), run with OMP_WAIT_POLICY=PASSIVE:
PyTorch's OpenMP threads spin-wait by default, and with 2 threads on 2 shared cores a step can
become 40x slower (the seed trace by loop at C = 10: 4.5 s instead of 33 ms). The policy in
effect is printed and stored in the JSON.

Timing (as benches/torch_ops.py): warm-up runs, then the median of --reps runs (default 10),
torch.cuda.synchronize() around each run on CUDA. The first warm-up run is timed (on CUDA the
second, the first paying one-time initialisation): if it exceeds 0.5 s there is no further
warm-up run and reps drop to min(reps, 3); if it is under 10 ms, reps rise to max(reps, 20).
On CUDA the TF32 settings in effect are printed and stored (PyTorch's defaults: matmul in full
f32, cuDNN convolutions allowed TF32).
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = ("seed", "meaningful", "coupled-bn2-tanh")
METHODS = ("loop", "is-grads-batched", "batched", "forward-laplacian")
DEFAULT_METHOD = {"seed": "batched", "meaningful": "forward-laplacian"}  # learnloss's Auto
WORKLOADS = ("verify", "trace", "penalty_step", "learnable_step", "baseline_step", "memory")
LAMBDA = 0.1
FLOOR = 1e-7


def applies(preset, method):
    """The forward Laplacian needs independent samples (no training-mode BatchNorm)."""
    return method != "forward-laplacian" or preset == "meaningful"


# ---------------------------------------------------------------------------------------------
# The loss network, with composed BatchNorm
# ---------------------------------------------------------------------------------------------


def normalise(bn, z, batch_dim, update_running=False):
    """BatchNorm over `batch_dim` of a [..., B, H] tensor from elementwise ops (loss_network.rs
    `normalise`): batch statistics in training mode, running statistics otherwise. With
    update_running (only in `energy`, batch_dim 0) the running statistics move once, as
    nn.BatchNorm1d's (momentum, unbiased variance)."""
    if bn.training:
        mean = z.mean(batch_dim, keepdim=True)
        var = (z - mean).square().mean(batch_dim, keepdim=True)
        if update_running and bn.track_running_stats:
            with torch.no_grad():
                n = z.shape[batch_dim]
                m = bn.momentum
                bn.running_mean.mul_(1 - m).add_(mean.reshape(-1), alpha=m)
                bn.running_var.mul_(1 - m).add_(var.reshape(-1) * (n / max(n - 1, 1)), alpha=m)
                bn.num_batches_tracked.add_(1)
    else:
        mean, var = bn.running_mean, bn.running_var
    y = (z - mean) * (var + bn.eps).sqrt().reciprocal()
    if bn.affine:
        y = y * bn.weight + bn.bias
    return y


def eval_scale(bn):
    """The per-feature factor of an eval-mode BatchNorm a*z + c: weight / sqrt(running_var + eps)."""
    scale = (bn.running_var + bn.eps).sqrt().reciprocal()
    return scale * bn.weight if bn.affine else scale


class LossNetwork(nn.Module):
    """E(p, y) on cat(p, y_onehot): 2C -> 64 -> 32 -> 16 -> 1 (loss_network.rs)."""

    def __init__(self, classes, preset, hidden=(64, 32, 16), bn_after=(0, 1)):
        super().__init__()
        self.classes = classes
        if preset == "coupled-bn2-tanh":
            bn_after = (1,)
        self.activation = {"seed": "relu", "meaningful": "softplus", "coupled-bn2-tanh": "tanh"}[preset]
        use_bn = preset in ("seed", "coupled-bn2-tanh")
        self.linears = nn.ModuleList()
        self.bns = nn.ModuleList()
        width = 2 * classes
        for i, h in enumerate(hidden):
            self.linears.append(nn.Linear(width, h))
            # nn.BatchNorm1d only holds the parameters and running statistics; its forward is
            # never called (see normalise).
            self.bns.append(nn.BatchNorm1d(h) if use_bn and i in bn_after else nn.Identity())
            width = h
        self.output = nn.Linear(width, 1)

    def bn(self, i):
        bn = self.bns[i]
        return None if isinstance(bn, nn.Identity) else bn

    def couples_samples(self):
        return any(self.bn(i) is not None and self.bn(i).training for i in range(len(self.linears)))

    def act(self, z):
        return {"relu": torch.relu, "softplus": F.softplus, "tanh": torch.tanh}[self.activation](z)

    def derivatives(self, z):
        """(sigma'(z), sigma''(z)) as activation.rs (Softplus linear above threshold 20)."""
        if self.activation == "relu":
            return (z > 0).to(z.dtype), torch.zeros_like(z)
        if self.activation == "tanh":
            t = torch.tanh(z)
            d1 = 1 - t.square()
            return d1, -2 * t * d1
        linear = z > 20.0
        s = torch.sigmoid(z)
        d1 = torch.where(linear, torch.ones_like(z), s)
        d2 = torch.where(linear, torch.zeros_like(z), s * (1 - s))
        return d1, d2

    def energy(self, p, y):
        """E = net(cat(p, y_onehot)) as [B]; training-mode BatchNorm updates running stats once."""
        z = torch.cat([p, y], 1)
        for i, lin in enumerate(self.linears):
            z = lin(z)
            bn = self.bn(i)
            if bn is not None:
                z = normalise(bn, z, 0, update_running=True)
            z = self.act(z)
        return self.output(z).squeeze(1)

    def forward_from_first_preactivation(self, z1, batch_dim):
        """The hidden stack from z1 ([..., B, H1], batch along batch_dim) to [..., B, 1], without
        touching running statistics."""
        z = z1
        for i, lin in enumerate(self.linears):
            if i > 0:
                z = F.linear(z, lin.weight, lin.bias)
            bn = self.bn(i)
            if bn is not None:
                z = normalise(bn, z, batch_dim)
            z = self.act(z)
        return F.linear(z, self.output.weight, self.output.bias)


# ---------------------------------------------------------------------------------------------
# Trace methods: each returns (energy [B], grad_E [B, C], trace [B]), all graphs
# ---------------------------------------------------------------------------------------------


def grad_or_zeros(scalar, wrt):
    """d(scalar)/d(wrt) as a graph, zeros when the scalar does not depend on wrt."""
    if not scalar.requires_grad:
        return torch.zeros_like(wrt)
    (g,) = torch.autograd.grad(scalar, wrt, create_graph=True, allow_unused=True)
    return torch.zeros_like(wrt) if g is None else g


def energy_gradient(energy, p):
    return grad_or_zeros(energy.sum(), p)


def trace_loop(net, p, y):
    energy = net.energy(p, y)
    grad = energy_gradient(energy, p)
    trace = None
    for i in range(net.classes):
        term = grad_or_zeros(grad[:, i].sum(), p)[:, i]
        trace = term if trace is None else trace + term
    return energy, grad, trace


def trace_is_grads_batched(net, p, y):
    energy = net.energy(p, y)
    grad = energy_gradient(energy, p)
    b, c = p.shape
    # V[i, :, i] = 1: direction i is "class i for the whole batch", the seed's sum over b'.
    v = torch.eye(c, dtype=p.dtype, device=p.device).unsqueeze(1).expand(c, b, c)
    (h,) = torch.autograd.grad(grad, p, grad_outputs=v, is_grads_batched=True, create_graph=True)
    trace = h.diagonal(dim1=0, dim2=2).sum(-1)  # sum_i h[i][:, i]
    return energy, grad, trace


def trace_batched(net, p, y):
    energy = net.energy(p, y)
    grad = energy_gradient(energy, p)
    b, c = p.shape
    first = net.linears[0]
    z1 = F.linear(torch.cat([p, y], 1), first.weight, first.bias)
    h1 = z1.shape[1]
    copies = z1.unsqueeze(0).expand(c, b, h1)
    replayed = net.forward_from_first_preactivation(copies, 1)
    g = grad_or_zeros(replayed.sum(), copies)
    u = first.weight[:, :c].t().unsqueeze(1)  # [C, 1, H1]: the weight column of class i
    hvp = grad_or_zeros((g * u).sum(), copies)
    trace = (hvp * u).sum((0, 2))
    return energy, grad, trace


def trace_forward_laplacian(net, p, y):
    assert not net.couples_samples(), "forward Laplacian: training-mode BatchNorm couples samples"
    c = p.shape[1]
    first = net.linears[0]
    z = F.linear(torch.cat([p, y], 1), first.weight, first.bias)
    jac = first.weight[:, :c].t().unsqueeze(0)  # [1, C, H]: shared by every sample
    lap = None  # zero until the first curvature appears
    for i, lin in enumerate(net.linears):
        if i > 0:
            w = lin.weight
            z = F.linear(z, w, lin.bias)
            jac = jac.matmul(w.t())
            lap = None if lap is None else lap.matmul(w.t())
        bn = net.bn(i)
        if bn is not None:
            scale = eval_scale(bn)
            z = normalise(bn, z, 0)
            jac = jac * scale
            lap = None if lap is None else lap * scale
        d1, d2 = net.derivatives(z)
        curvature = d2 * jac.square().sum(1)
        lap = curvature if lap is None else d1 * lap + curvature
        jac = jac * d1.unsqueeze(1)
        z = net.act(z)
    w = net.output.weight
    energy = F.linear(z, w, net.output.bias).squeeze(1)
    grad = jac.matmul(w.t()).squeeze(2)
    trace = lap.matmul(w.t()).squeeze(1)
    return energy, grad, trace


TRACE = {
    "loop": trace_loop,
    "is-grads-batched": trace_is_grads_batched,
    "batched": trace_batched,
    "forward-laplacian": trace_forward_laplacian,
}


def penalties(energy, grad, trace):
    nonneg = torch.relu(-energy).square().mean()
    convex = torch.relu(-trace).square().mean()
    lips = (torch.linalg.vector_norm(grad, dim=1) - 1).square().mean()
    return nonneg + convex + lips


# ---------------------------------------------------------------------------------------------
# The classifiers
# ---------------------------------------------------------------------------------------------


def learnable_classifier(c_in=1, hw=28, classes=10):
    layers = []
    for cin, cout, pool in ((c_in, 32, True), (32, 64, True), (64, 128, False)):
        layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]
        if pool:
            layers.append(nn.MaxPool2d(2))
    flat = 128 * (hw // 4) * (hw // 4)
    layers += [nn.Flatten(), nn.Linear(flat, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, classes)]
    return nn.Sequential(*layers)


def classifier_probabilities(clf, x):
    return clf(x).softmax(1).clamp(FLOOR, 1 - FLOOR)


def baseline_cnn(c_in=1, hw=28, classes=10):
    return nn.Sequential(
        nn.Conv2d(c_in, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * (hw // 4) * (hw // 4), 64), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(64, classes),
    )


# ---------------------------------------------------------------------------------------------
# Inputs and steps
# ---------------------------------------------------------------------------------------------


def loss_inputs(batch, classes, device, dtype=torch.float32):
    """As benches/workloads PenaltyBatch: p a leaf requiring grad (clamped softmax of 2*randn
    logits), y_onehot of the labels (i * 7919) mod C."""
    logits = torch.randn(batch, classes, device=device, dtype=dtype) * 2.0
    p = logits.softmax(1).clamp(FLOOR, 1 - FLOOR).detach().requires_grad_(True)
    labels = (torch.arange(batch, device=device) * 7919) % classes
    y = F.one_hot(labels, classes).to(dtype)
    return p, y


def image_batch(batch, device, classes=10):
    """As benches/workloads image_batch: uniform [0, 1) images, labels i mod 10."""
    images = torch.rand(batch, 1, 28, 28, device=device)
    return images, torch.arange(batch, device=device) % classes


def make_trace_fn(net, p, y, method):
    fn = TRACE[method]

    def run():
        return fn(net, p, y)

    return run


def make_penalty_step(net, p, y, method):
    """The penalties and their gradients in every loss-network parameter and in p (returned, as
    PenaltyBatch::penalty_step; no .grad accumulation)."""
    fn = TRACE[method]
    wrt = list(net.parameters()) + [p]

    def step():
        total = penalties(*fn(net, p, y))
        return torch.autograd.grad(total, wrt, allow_unused=True)

    return step


def make_learnable_step(preset, method, batch, device, classes=10):
    clf = learnable_classifier(classes=classes).to(device).train()
    net = LossNetwork(classes, preset).to(device).train()
    opt_c = torch.optim.Adam(clf.parameters(), lr=1e-3)
    opt_l = torch.optim.Adam(net.parameters(), lr=1e-3)
    x, labels = image_batch(batch, device, classes)
    y = F.one_hot(labels, classes).float()
    fn = TRACE[method]

    def step():
        p = classifier_probabilities(clf, x)
        task = F.binary_cross_entropy(p, y)
        total = task + LAMBDA * penalties(*fn(net, p, y))
        total.backward()
        opt_c.step()
        opt_l.step()
        opt_c.zero_grad()
        opt_l.zero_grad()

    return step


def make_baseline_step(batch, device, classes=10):
    model = baseline_cnn(classes=classes).to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    x, labels = image_batch(batch, device, classes)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        opt.step()

    return step


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------


def sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def timed(fn, device):
    sync(device)
    t0 = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - t0


def timeit(fn, device, reps=10):
    """Warm-up then median; returns (median seconds, list of seconds).

    On CUDA the first run also pays one-time costs (cuBLAS/cuDNN handles, lazy kernel loading,
    the caching allocator growing: often over 0.5 s), so there a second warm-up run always
    follows and it, not the first, decides the number of reps."""
    first = timed(fn, device)
    if device == "cuda":
        first = timed(fn, device)
    if first > 0.5:
        reps = min(reps, 3)
    else:
        if first < 0.01:
            reps = max(reps, 20)
        timed(fn, device)  # second warm-up run
    times = [timed(fn, device) for _ in range(reps)]
    return statistics.median(times), times


# ---------------------------------------------------------------------------------------------
# Verification (f64)
# ---------------------------------------------------------------------------------------------


def verify(args, device):
    """Every method against loop, f64, small batch: values and penalty-step gradients.

    The seed preset's trace is identically zero (DESIGN §4), so its check says nothing about the
    trace's derivatives; coupled-bn2-tanh (training-mode BatchNorm after the second hidden layer
    only, Tanh, the seed's trace definition) has a non-zero batch-coupled trace and checks
    loop / is-grads-batched / batched on it."""
    batch = 16
    worst = 0.0
    report = []
    for preset in args.presets:
        for c in args.classes:
            torch.manual_seed(7)
            net = LossNetwork(c, preset).to(device).double().train()
            p, y = loss_inputs(batch, c, device, torch.float64)
            state = {k: v.clone() for k, v in net.state_dict().items()}
            ref = None
            for method in METHODS:
                if not applies(preset, method):
                    continue
                net.load_state_dict(state)  # the same running statistics for every method
                params = list(net.parameters())
                e, g, t = TRACE[method](net, p, y)
                grads = torch.autograd.grad(penalties(e, g, t), params + [p], allow_unused=True)
                grads = [torch.zeros_like(w) if d is None else d for w, d in zip(params + [p], grads)]
                out = {"energy": e.detach(), "grad_E": g.detach(), "trace": t.detach(),
                       "param_grads": torch.cat([x.reshape(-1) for x in grads[:-1]]).detach(),
                       "p_grad": grads[-1].detach()}
                if ref is None:
                    ref = out
                    max_trace = t.abs().max().item()
                    negative = int((t < 0).sum())
                    print(f"verify/{preset}/C{c}/loop: max |trace| (loop) = {max_trace:.3e}, "
                          f"trace < 0 (convexity penalty active) on {negative}/{batch} samples")
                    continue
                devs = {k: (out[k] - ref[k]).abs().max().item() for k in ref}
                dev = max(devs.values())
                worst = max(worst, dev)
                detail = ", ".join(f"{k} {v:.1e}" for k, v in devs.items())
                ok = "ok" if dev < 1e-10 else "FAIL"
                print(f"verify/{preset}/C{c}/{method} vs loop: max deviation {dev:.3e} [{ok}] ({detail})")
                report.append({"preset": preset, "method": method, "classes": c, "batch": batch,
                               "max_abs_deviation": dev, "deviations": devs, "max_abs_trace_loop": max_trace})
    print(f"verify: worst deviation over all methods {worst:.3e} ({'ok' if worst < 1e-10 else 'FAIL'}, tolerance 1e-10)")
    return {"worst": worst, "tolerance": 1e-10, "cases": report}


# ---------------------------------------------------------------------------------------------
# Memory
# ---------------------------------------------------------------------------------------------


def proc_status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def reset_peak_rss():
    """Sets VmHWM to the current VmRSS (Linux >= 4.0); False where not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def memory_child(preset, method, classes, batch, device, scheme):
    """One penalty step's peak memory above the loaded process, in this fresh process.

    CUDA: torch.cuda.max_memory_allocated after reset_peak_memory_stats, minus the memory
    allocated before the step (network and inputs; after one warm-up step for "warm").

    CPU (Linux, /proc/self/status), two schemes, each path in its own process:
    - "cold", as benches/penalty_memory.rs: set up the network and inputs, read VmRSS, run one
      step, read VmHWM, report VmHWM - VmRSS. Default glibc malloc. The figure includes
      PyTorch's one-time allocations on the first step (OpenMP/MKL/oneDNN scratch, lazy init).
    - "warm": set up, run one warm-up penalty step at a small batch (B = 8, same C and method:
      thread pools and kernel initialisation, without growing the heap to the measured step's
      size), then read VmRSS, run the full step, read VmHWM, report the difference. The parent
      starts this process with MALLOC_MMAP_THRESHOLD_=65536 and MALLOC_TRIM_THRESHOLD_=0, so
      glibc maps blocks of 64 KiB and more separately and returns freed memory at once instead
      of keeping heap that would hide part of the step from VmHWM.
    In both, the high-water mark is first reset to the current RSS by writing 5 to
    /proc/self/clear_refs (Linux >= 4.0), so a transient peak while importing torch or during
    the warm-up is not counted; where that is refused the result's "scheme" says so. PyTorch's
    CPU allocator does not cache, so RSS follows the live tensors (and the graph they hold).

    The two differ by up to 2x, and the difference is glibc, not PyTorch's one-time work: a cold
    step with the warm scheme's malloc settings is within ~5 % of the warm figure (seed, C = 100:
    batched 836 vs 826 MiB, loop 510 vs 484 MiB), while default malloc's heap retention makes
    the cold figure vary between runs (batched 1592-1767 MiB). "warm" is close to the peak of
    live tensors; "cold" is what a default-malloc process reaches."""
    torch.manual_seed(42)
    net = LossNetwork(classes, preset).to(device).train()
    p, y = loss_inputs(batch, classes, device)
    step = make_penalty_step(net, p, y, method)
    if device == "cuda":
        if scheme == "warm":
            step()
        torch.cuda.synchronize()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        grads = step()
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated()
        del grads
        return {"peak_bytes": peak - base, "scheme": f"{scheme}: cuda max_memory_allocated - allocated before"}
    if scheme == "warm":
        torch.manual_seed(43)
        small_net = LossNetwork(classes, preset).to(device).train()
        small_p, small_y = loss_inputs(8, classes, device)
        make_penalty_step(small_net, small_p, small_y, method)()
        what = "warm: warm-up step at B=8, malloc returns freed memory"
    else:
        what = "cold: first step, as penalty_memory.rs"
    reset = reset_peak_rss()
    base = proc_status_kib("VmRSS")
    grads = step()
    hwm = proc_status_kib("VmHWM")
    del grads
    what += "; VmHWM - VmRSS" + ("" if reset else " (VmHWM not resettable: may include setup peaks)")
    return {"peak_bytes": (hwm - base) * 1024, "baseline_rss_bytes": base * 1024, "scheme": what}


def memory(args, device):
    results = []
    classes = 100
    envs = {"cold": dict(os.environ),
            "warm": dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536", MALLOC_TRIM_THRESHOLD_="0")}
    for preset in args.presets:
        for method in args.methods:
            if not applies(preset, method):
                continue
            name = f"memory/penalty_step/{preset}/C{classes}/{method}"
            row = {"name": name, "preset": preset, "method": method, "classes": classes, "batch": args.batch}
            for scheme, env in envs.items():
                cmd = [sys.executable, os.path.abspath(__file__), "--_memory-child",
                       f"{preset}:{method}:{scheme}", "--device", device, "--threads", str(args.threads),
                       "--batch", str(args.batch)]
                out = subprocess.run(cmd, env=env, capture_output=True, text=True)
                if out.returncode != 0:
                    print(f"{name} ({scheme}): child failed:\n{out.stderr}")
                    continue
                res = json.loads(out.stdout.strip().splitlines()[-1])
                row[scheme] = res
            if "cold" in row and "warm" in row:
                print(f"{name}: peak {row['cold']['peak_bytes'] / 2**20:.0f} MiB cold (first step), "
                      f"{row['warm']['peak_bytes'] / 2**20:.0f} MiB warm", flush=True)
            results.append(row)
    return results


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def csv(s):
    return [x.strip() for x in s.split(",") if x.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--classes", default="10,37,100")
    ap.add_argument("--only", default=",".join(w for w in WORKLOADS if w != "memory"),
                    help="comma list of " + ",".join(WORKLOADS))
    ap.add_argument("--presets", default=",".join(PRESETS))
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--json", default=None)
    ap.add_argument("--memory", action="store_true", help="add the memory measurement")
    ap.add_argument("--_memory-child", dest="memory_child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.classes = [int(c) for c in csv(args.classes)]
    args.presets = csv(args.presets)
    args.methods = [m.replace("_", "-") for m in csv(args.methods)]
    only = csv(args.only) + (["memory"] if args.memory else [])
    for w in only:
        if w not in WORKLOADS:
            ap.error(f"unknown workload {w!r} (expected {', '.join(WORKLOADS)})")
    for m in args.methods:
        if m not in METHODS:
            ap.error(f"unknown method {m!r}")
    for p in args.presets:
        if p not in PRESETS:
            ap.error(f"unknown preset {p!r}")
    torch.set_num_threads(args.threads)
    dev = args.device
    if dev == "cuda" and not torch.cuda.is_available():
        ap.error(f"--device cuda: torch {torch.__version__} sees no CUDA device")

    if args.memory_child:
        preset, method, scheme = args.memory_child.split(":")
        print(json.dumps(memory_child(preset, method, 100, args.batch, dev, scheme)))
        return

    started = datetime.datetime.now(datetime.timezone.utc)
    load = os.getloadavg()
    wait_policy = os.environ.get("OMP_WAIT_POLICY", "default")
    print(f"torch {torch.__version__}, device {dev}, threads {torch.get_num_threads()}, "
          f"OMP_WAIT_POLICY {wait_policy}, {started:%Y-%m-%d %H:%M:%S} UTC, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"note: BatchNorm in the loss network is composed from elementwise ops on {dev}: PyTorch's "
          f"native batch_norm raises 'batch_norm does not support 3rd+ order derivatives', and the "
          f"penalty step is third order")

    out = {"meta": {"torch": torch.__version__, "device": dev, "threads": torch.get_num_threads(),
                    "omp_wait_policy": wait_policy, "started_utc": started.isoformat(), "loadavg_start": load,
                    "machine": platform.processor() or platform.machine(), "batch": args.batch},
           "results": []}
    if dev == "cuda":
        out["meta"]["gpu"] = torch.cuda.get_device_name()
        out["meta"]["cuda"] = torch.version.cuda
        # What PyTorch may use for f32 (TF32 is faster and less precise than learnloss's f32).
        out["meta"]["float32_matmul_precision"] = torch.get_float32_matmul_precision()
        out["meta"]["cudnn_allow_tf32"] = bool(torch.backends.cudnn.allow_tf32)
        print(f"gpu {out['meta']['gpu']}, CUDA {torch.version.cuda}, float32 matmul precision "
              f"{out['meta']['float32_matmul_precision']}, cuDNN TF32 allowed {out['meta']['cudnn_allow_tf32']}")

    if "verify" in only:
        out["verification"] = verify(args, dev)

    def record(workload, name, fn, **meta):
        t, times = timeit(fn, dev, args.reps)
        load1 = os.getloadavg()[0]  # 1-minute load average when this workload finished
        print(f"{name}: {t * 1e3:.2f} ms (median of {len(times)}, min {min(times) * 1e3:.2f}, "
              f"load {load1:.2f})", flush=True)
        out["results"].append({"name": name, "workload": workload, "median_ms": t * 1e3,
                               "times_ms": [x * 1e3 for x in times], "loadavg_1min": load1, **meta})

    for workload in ("trace", "penalty_step"):
        if workload not in only:
            continue
        for preset in args.presets:
            for c in args.classes:
                for method in args.methods:
                    if not applies(preset, method):
                        continue
                    torch.manual_seed(42)
                    net = LossNetwork(c, preset).to(dev).train()
                    p, y = loss_inputs(args.batch, c, dev)
                    fn = (make_trace_fn if workload == "trace" else make_penalty_step)(net, p, y, method)
                    record(workload, f"{workload}/{preset}/C{c}/{method}", fn, preset=preset,
                           method=method, classes=c, batch=args.batch)

    if "learnable_step" in only:
        for preset in [p for p in args.presets if p in DEFAULT_METHOD]:
            method = DEFAULT_METHOD[preset]
            torch.manual_seed(42)
            fn = make_learnable_step(preset, method, args.batch, dev)
            record("learnable_step", f"learnable_step/C10_b{args.batch}_1x28x28/{preset}", fn, preset=preset,
                   method=method, classes=10, batch=args.batch)

    if "baseline_step" in only:
        torch.manual_seed(42)
        record("baseline_step", "baseline_step/C10_b128_1x28x28", make_baseline_step(128, dev),
               classes=10, batch=128)

    if "memory" in only:
        out["memory"] = memory(args, dev)

    finished = datetime.datetime.now(datetime.timezone.utc)
    out["meta"]["finished_utc"] = finished.isoformat()
    out["meta"]["loadavg_end"] = os.getloadavg()
    print(f"done in {(finished - started).total_seconds():.0f} s, load average {os.getloadavg()[0]:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
