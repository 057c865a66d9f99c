//! Second-order costs on the CPU, f32, batch 1024, C ∈ {10, 37, 100}, for the seed preset (ReLU,
//! training-mode BatchNorm, the seed's trace) and the meaningful preset (Softplus, no BatchNorm,
//! per-sample trace), every exact trace method that applies:
//! - `trace/…`: the energy, its gradient in p and the differentiable trace;
//! - `penalty_step/…`: the three penalties and the backward pass into the loss network and p;
//! - `learnable_step/…`: the whole learnable-loss training step on 1×28×28, C = 10 (classifier
//!   forward, objective, backward, one Adam step per network);
//! - `baseline_step`: the seed's baseline CNN step at batch 128 (cross-entropy, Adam).
//!
//! `benches/torch_reference.py` times the same workloads in PyTorch; figures in RESULTS.md.
//! `cargo bench --bench second_order -- penalty_step/meaningful` runs a subset.

mod workloads;

use criterion::{criterion_group, criterion_main, Criterion};
use learnloss::learnable::Preset;
use std::hint::black_box;
use workloads::{methods_for, PenaltyBatch, BATCH, CLASS_COUNTS};

fn trace_and_penalty_step(c: &mut Criterion) {
    for preset in [Preset::Seed, Preset::Meaningful] {
        for classes in CLASS_COUNTS {
            let batch = PenaltyBatch::new(preset, classes, BATCH);
            for method in methods_for(preset) {
                let mut group = c.benchmark_group(format!("trace/{preset}/C{classes}"));
                group.sample_size(10);
                group.bench_function(method.to_string(), |b| b.iter(|| black_box(batch.trace(method))));
                group.finish();
                let mut group = c.benchmark_group(format!("penalty_step/{preset}/C{classes}"));
                group.sample_size(10);
                group.bench_function(method.to_string(), |b| b.iter(|| black_box(batch.penalty_step(method))));
                group.finish();
            }
        }
    }
}

criterion_group!(benches, trace_and_penalty_step);
criterion_main!(benches);
