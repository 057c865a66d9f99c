//! Primitive costs on the CPU: matmul at 256/512/1024 (f32) and conv2d forward plus both
//! backward directions at the seed classifier's shapes (batch 1024, 3×3, padding 1).
//! PyTorch runs the same workloads in `benches/torch_ops.py`; results go to benches/RESULTS.md.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use learnloss::{Conv2dParams, DType, Device, Generator, Tensor};
use std::hint::black_box;

fn matmul(c: &mut Criterion) {
    let dev = Device::Cpu;
    let mut gen = Generator::new(0);
    let mut group = c.benchmark_group("matmul_f32");
    group.sample_size(20);
    for n in [256usize, 512, 1024] {
        let a = Tensor::randn(&[n, n], DType::F32, &dev, &mut gen);
        let b = Tensor::randn(&[n, n], DType::F32, &dev, &mut gen);
        group.throughput(Throughput::Elements((2 * n * n * n) as u64));
        group.bench_function(format!("{n}x{n}x{n}"), |bench| bench.iter(|| black_box(a.matmul(&b))));
    }
    group.finish();
}

/// The seed classifier's three convolutions at batch 1024: (C_in, C_out, H = W).
const CONV_LAYERS: [(usize, usize, usize); 3] = [(1, 32, 28), (32, 64, 14), (64, 128, 7)];

fn conv2d(c: &mut Criterion) {
    let dev = Device::Cpu;
    let mut gen = Generator::new(1);
    let params = Conv2dParams {
        padding: [1, 1],
        ..Default::default()
    };
    let batch = 1024;
    let mut group = c.benchmark_group("conv2d_f32_b1024");
    group.sample_size(10);
    for (cin, cout, hw) in CONV_LAYERS {
        let x = Tensor::randn(&[batch, cin, hw, hw], DType::F32, &dev, &mut gen);
        let w = Tensor::randn(&[cout, cin, 3, 3], DType::F32, &dev, &mut gen);
        let gy = Tensor::randn(&[batch, cout, hw, hw], DType::F32, &dev, &mut gen);
        let name = format!("{cin}to{cout}_{hw}x{hw}");
        group.throughput(Throughput::Elements((2 * batch * cout * hw * hw * cin * 9) as u64));
        group.bench_function(format!("forward/{name}"), |b| {
            b.iter(|| black_box(x.conv2d(&w, &params)))
        });
        group.bench_function(format!("input_grad/{name}"), |b| {
            b.iter(|| black_box(gy.conv2d_input_grad(&w, &params, [hw, hw])))
        });
        group.bench_function(format!("weight_grad/{name}"), |b| {
            b.iter(|| black_box(x.conv2d_weight_grad(&gy, &params, [3, 3])))
        });
    }
    group.finish();
}

criterion_group!(benches, matmul, conv2d);
criterion_main!(benches);
