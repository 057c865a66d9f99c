//! Primitive costs on the CPU: matmul at 256/512/1024 (f32), conv2d forward plus both
//! backward directions at the seed classifier's shapes (batch 1024, 3×3, padding 1), and its
//! three 2×2 max-pools, forward (values and indices) and backward, at the training batch (128).
//! PyTorch runs the same workloads in `benches/torch_ops.py`; results go to benches/RESULTS.md.
//!
//! `LEARNLOSS_BENCH_DEVICE=cuda` (or `cuda:N`, `wgpu`) runs them on that device instead, ids
//! prefixed by the device and each iteration waited for (see `bench_device`).

mod bench_device;

use bench_device::bench_device;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use learnloss::{Conv2dParams, DType, Generator, Pool2dParams, Tensor};

fn matmul(c: &mut Criterion) {
    // As the trainer runs (see learnloss::tune_cpu_process).
    learnloss::tune_cpu_process();
    let dev = bench_device();
    let mut gen = Generator::new(0);
    let mut group = dev.group(c, "matmul_f32");
    group.sample_size(20);
    for n in [256usize, 512, 1024] {
        let a = Tensor::randn(&[n, n], DType::F32, &dev.device, &mut gen);
        let b = Tensor::randn(&[n, n], DType::F32, &dev.device, &mut gen);
        group.throughput(Throughput::Elements((2 * n * n * n) as u64));
        group.bench(format!("{n}x{n}x{n}"), || a.matmul(&b));
    }
    group.finish();
}

/// The seed classifier's three convolutions at batch 1024: (C_in, C_out, H = W).
const CONV_LAYERS: [(usize, usize, usize); 3] = [(1, 32, 28), (32, 64, 14), (64, 128, 7)];

fn conv2d(c: &mut Criterion) {
    learnloss::tune_cpu_process();
    let dev = bench_device();
    let mut gen = Generator::new(1);
    let params = Conv2dParams {
        padding: [1, 1],
        ..Default::default()
    };
    let batch = 1024;
    let mut group = dev.group(c, "conv2d_f32_b1024");
    group.sample_size(10);
    for (cin, cout, hw) in CONV_LAYERS {
        let x = Tensor::randn(&[batch, cin, hw, hw], DType::F32, &dev.device, &mut gen);
        let w = Tensor::randn(&[cout, cin, 3, 3], DType::F32, &dev.device, &mut gen);
        let gy = Tensor::randn(&[batch, cout, hw, hw], DType::F32, &dev.device, &mut gen);
        let name = format!("{cin}to{cout}_{hw}x{hw}");
        group.throughput(Throughput::Elements((2 * batch * cout * hw * hw * cin * 9) as u64));
        group.bench(format!("forward/{name}"), || x.conv2d(&w, &params));
        group.bench(format!("input_grad/{name}"), || {
            gy.conv2d_input_grad(&w, &params, [hw, hw])
        });
        group.bench(format!("weight_grad/{name}"), || {
            x.conv2d_weight_grad(&gy, &params, [3, 3])
        });
    }
    group.finish();
}

/// The seed classifier's three 2×2 max-pools at the training batch (128): (channels, H = W).
const POOL_LAYERS: [(usize, usize); 3] = [(32, 28), (64, 14), (128, 7)];

fn max_pool2d(c: &mut Criterion) {
    learnloss::tune_cpu_process();
    let dev = bench_device();
    let mut gen = Generator::new(2);
    let params = Pool2dParams::square(2);
    let batch = 128;
    let mut group = dev.group(c, "max_pool2d_f32_b128");
    group.sample_size(20);
    for (channels, hw) in POOL_LAYERS {
        let x = Tensor::randn(&[batch, channels, hw, hw], DType::F32, &dev.device, &mut gen);
        let (out, indices) = x.max_pool2d(&params);
        let gy = Tensor::randn(out.shape(), DType::F32, &dev.device, &mut gen);
        let name = format!("{channels}x{hw}x{hw}");
        group.throughput(Throughput::Elements((batch * channels * hw * hw) as u64));
        group.bench(format!("forward/{name}"), || x.max_pool2d(&params));
        group.bench(format!("backward/{name}"), || {
            gy.max_pool2d_backward(&indices, x.shape())
        });
    }
    group.finish();
}

criterion_group!(benches, matmul, conv2d, max_pool2d);
criterion_main!(benches);
