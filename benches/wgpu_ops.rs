//! Primitive costs on the wgpu device (Mesa's lavapipe in CI, a GPU's Vulkan/Metal/DX12 driver
//! elsewhere): matmul and the three convolution directions, each iteration waited for with
//! `Device::synchronize` (ops only submit). Batch 128 rather than the CPU bench's 1024 so a
//! software driver finishes in minutes. Without an adapter it prints why and measures nothing.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use learnloss::{Conv2dParams, DType, Device, Generator, Tensor};

fn device() -> Option<Device> {
    Device::wgpu().map_err(|e| eprintln!("wgpu benches skipped: {e}")).ok()
}

fn matmul(c: &mut Criterion) {
    let Some(dev) = device() else { return };
    let mut gen = Generator::new(0);
    eprintln!("wgpu device: {}", dev.describe());
    let mut group = c.benchmark_group("wgpu_matmul_f32");
    group.sample_size(10);
    for n in [256usize, 512] {
        let a = Tensor::randn(&[n, n], DType::F32, &dev, &mut gen);
        let b = Tensor::randn(&[n, n], DType::F32, &dev, &mut gen);
        group.throughput(Throughput::Elements((2 * n * n * n) as u64));
        group.bench_function(format!("{n}x{n}x{n}"), |bench| {
            bench.iter(|| {
                let y = a.matmul(&b);
                dev.synchronize().unwrap();
                y
            })
        });
    }
    group.finish();
}

/// The seed classifier's three convolutions: (C_in, C_out, H = W).
const CONV_LAYERS: [(usize, usize, usize); 3] = [(1, 32, 28), (32, 64, 14), (64, 128, 7)];

fn conv2d(c: &mut Criterion) {
    let Some(dev) = device() else { return };
    let mut gen = Generator::new(1);
    let params = Conv2dParams {
        padding: [1, 1],
        ..Default::default()
    };
    let batch = 128;
    let mut group = c.benchmark_group(format!("wgpu_conv2d_f32_b{batch}"));
    group.sample_size(10);
    for (cin, cout, hw) in CONV_LAYERS {
        let x = Tensor::randn(&[batch, cin, hw, hw], DType::F32, &dev, &mut gen);
        let w = Tensor::randn(&[cout, cin, 3, 3], DType::F32, &dev, &mut gen);
        let gy = Tensor::randn(&[batch, cout, hw, hw], DType::F32, &dev, &mut gen);
        let name = format!("{cin}to{cout}_{hw}x{hw}");
        group.throughput(Throughput::Elements((2 * batch * cout * hw * hw * cin * 9) as u64));
        let sync = |t: Tensor| {
            dev.synchronize().unwrap();
            t
        };
        group.bench_function(format!("forward/{name}"), |b| b.iter(|| sync(x.conv2d(&w, &params))));
        group.bench_function(format!("input_grad/{name}"), |b| {
            b.iter(|| sync(gy.conv2d_input_grad(&w, &params, [hw, hw])))
        });
        group.bench_function(format!("weight_grad/{name}"), |b| {
            b.iter(|| sync(x.conv2d_weight_grad(&gy, &params, [3, 3])))
        });
    }
    group.finish();
}

criterion_group!(benches, matmul, conv2d);
criterion_main!(benches);
