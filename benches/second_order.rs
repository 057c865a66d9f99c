//! Second-order costs on the CPU (or another device, see below), f32, batch 1024,
//! C ∈ {10, 37, 100}, for the seed preset (ReLU, training-mode BatchNorm, the seed's trace) and
//! the meaningful preset (Softplus, no BatchNorm, per-sample trace), and the seed's network with training-mode BatchNorm on its second layer
//! only and Tanh (`coupled-bn2-tanh`: coupled samples, a trace that is not zero by construction),
//! every exact trace method that applies:
//! - `trace/…`: the energy, its gradient in p and the differentiable trace;
//! - `penalty_step/…`: the three penalties and the backward pass into the loss network and p;
//! - `learnable_step/…`: the whole learnable-loss training step on 1×28×28, C = 10 (classifier
//!   forward, objective, backward, one Adam step per network), both presets;
//! - `baseline_step`: the seed's baseline CNN step at batch 128 (cross-entropy, Adam).
//!
//! `benches/torch_reference.py` times the same workloads in PyTorch; figures in RESULTS.md.
//! `cargo bench --bench second_order -- penalty_step/meaningful` runs a subset.
//!
//! `LEARNLOSS_BENCH_DEVICE=cuda` (or `cuda:N`, `wgpu`) runs every workload on that device
//! instead, with ids prefixed by the device (`cuda/penalty_step/…`) and each iteration waited
//! for; a workload the device cannot run is skipped with the reason (see `bench_device`).

mod bench_device;
mod workloads;

use bench_device::bench_device;
use criterion::{criterion_group, criterion_main, Criterion};
use learnloss::learnable::{Preset, TraceMethod};
use workloads::{BaselineStep, LearnableStep, PenaltyBatch, Variant, BATCH, CLASS_COUNTS};

fn trace_and_penalty_step(c: &mut Criterion) {
    // As the trainer runs (see learnloss::tune_cpu_process).
    learnloss::tune_cpu_process();
    let dev = bench_device();
    for variant in Variant::ALL {
        let name = variant.name();
        for classes in CLASS_COUNTS {
            let what = format!("{name}/C{classes}");
            let Some(batch) = dev.build(&what, || PenaltyBatch::new(variant, classes, BATCH, &dev.device)) else {
                continue;
            };
            for method in variant.methods() {
                let mut group = dev.group(c, &format!("trace/{name}/C{classes}"));
                group.sample_size(10);
                group.bench(method.to_string(), || batch.trace(method));
                group.finish();
                let mut group = dev.group(c, &format!("penalty_step/{name}/C{classes}"));
                group.sample_size(10);
                group.bench(method.to_string(), || batch.penalty_step(method));
                group.finish();
            }
        }
    }
}

fn learnable_step(c: &mut Criterion) {
    learnloss::tune_cpu_process();
    let dev = bench_device();
    let mut group = dev.group(c, "learnable_step/C10_b1024_1x28x28");
    group.sample_size(10);
    for preset in [Preset::Seed, Preset::Meaningful] {
        let what = format!("learnable_step/{preset}");
        let Some(mut step) = dev.build(&what, || LearnableStep::new(preset, TraceMethod::Auto, &dev.device)) else {
            continue;
        };
        group.bench(preset.to_string(), || step.run());
    }
    group.finish();
}

fn baseline_step(c: &mut Criterion) {
    learnloss::tune_cpu_process();
    let dev = bench_device();
    let Some(mut step) = dev.build("baseline_step", || BaselineStep::new(&dev.device)) else {
        return;
    };
    let mut group = dev.group(c, "baseline_step");
    group.sample_size(10);
    group.bench("C10_b128_1x28x28", || step.run());
    group.finish();
}

criterion_group!(benches, trace_and_penalty_step, learnable_step, baseline_step);
criterion_main!(benches);
