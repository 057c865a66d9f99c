//! Backend conformance: one set of test bodies, run on the CPU (the reference) and on every other
//! device present, compared value by value: f32 to 1e-5 relative, f64 to 1e-12, int64 and bool
//! exactly. Bodies cover each primitive forward, backward through autograd, non-contiguous
//! (permuted, sliced) and broadcast inputs, and odd sizes.
//!
//! A device that is absent is skipped with a printed reason, unless `LEARNLOSS_REQUIRE_WGPU=1` /
//! `LEARNLOSS_REQUIRE_CUDA=1`, which make its absence a failure (CI sets the first; a GPU
//! machine the second).

use learnloss::learnable::{
    energy_terms, Activation, BnMode, LossNetwork, LossNetworkConfig, Penalties, TraceDefinition, TraceMethod,
};
use learnloss::nn::{BatchNorm, BatchNormConfig, Module, Spec};
use learnloss::{grad, Conv2dParams, DType, Device, Generator, GeneratorState, Pool2dParams, Tensor};

fn required(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "1")
}

/// The devices to check against the CPU: CUDA device 0 when there is one, wgpu when an
/// adapter exists.
fn devices() -> Vec<Device> {
    let mut found = Vec::new();
    for (name, var, open) in [
        (
            "cuda",
            "LEARNLOSS_REQUIRE_CUDA",
            (|| Device::cuda(0)) as fn() -> learnloss::Result<Device>,
        ),
        ("wgpu", "LEARNLOSS_REQUIRE_WGPU", Device::wgpu),
    ] {
        match open() {
            Ok(d) => found.push(d),
            Err(e) if required(var) => panic!("{var}=1 but {name} is unavailable: {e}"),
            Err(e) => eprintln!("skipping {name} conformance: {e}"),
        }
    }
    found
}

fn supports(device: &Device, dtype: DType) -> bool {
    match (device, dtype) {
        (Device::Wgpu(d), DType::F64) => d.supports_f64(),
        _ => true,
    }
}

fn tolerance(dtype: DType) -> f64 {
    match dtype {
        DType::F32 => 1e-5,
        DType::F64 => 1e-12,
        _ => 0.0,
    }
}

fn assert_same(name: &str, device: &Device, dtype: DType, k: usize, got: &Tensor, want: &Tensor) {
    let what = format!("{name} [{dtype}] output {k} on {device}");
    assert_eq!(got.shape(), want.shape(), "{what}: shapes differ");
    assert_eq!(got.dtype(), want.dtype(), "{what}: dtypes differ");
    assert_eq!(got.device(), device, "{what}: result left the device");
    let tol = tolerance(got.dtype());
    let (g, w) = (got.to_f64_vec(), want.to_f64_vec());
    for (i, (&a, &e)) in g.iter().zip(&w).enumerate() {
        let ok = if e.is_nan() {
            a.is_nan()
        } else if e.is_infinite() {
            a == e
        } else {
            (a - e).abs() <= tol * e.abs().max(1.0)
        };
        assert!(ok, "{what}: element {i} is {a}, the CPU gives {e} (tolerance {tol})");
    }
}

/// Runs `body` on the CPU and on each device, in f32 and f64, and compares every output.
fn conform(name: &str, body: fn(&Device, DType) -> Vec<Tensor>) {
    conform_on(name, body, |_| true);
}

/// As [`conform`], on the devices `keep` accepts.
fn conform_on(name: &str, body: fn(&Device, DType) -> Vec<Tensor>, keep: fn(&Device) -> bool) {
    for device in devices().into_iter().filter(keep) {
        for dtype in [DType::F32, DType::F64] {
            if !supports(&device, dtype) {
                eprintln!("{name}: {device} has no {dtype}; skipped");
                continue;
            }
            let want = body(&Device::Cpu, dtype);
            let got = body(&device, dtype);
            assert_eq!(got.len(), want.len());
            for (k, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_same(name, &device, dtype, k, g, w);
            }
        }
    }
}

/// Each GPU device names itself; `available()` lists CUDA devices, then a wgpu adapter that is
/// a real GPU, then the CPU, then a software wgpu adapter (lavapipe, llvmpipe: slower than the
/// CPU backend), and `best()` picks the first; tensors still default to the CPU; moving between
/// devices keeps values.
#[test]
fn gpu_devices_are_listed_and_best() {
    let all = Device::available();
    assert!(all.contains(&Device::Cpu), "{all:?}");
    assert_eq!(Device::best(), all[0]);
    let rank = |d: &Device| match d {
        Device::Cuda(_) => 0,
        Device::Wgpu(w) if !w.is_software() => 1,
        Device::Cpu => 2,
        Device::Wgpu(_) => 3,
    };
    assert!(all.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])), "{all:?}");
    for device in devices() {
        let text = device.describe();
        let name = match &device {
            Device::Cuda(d) => format!("cuda:{}", d.ordinal()),
            _ => "wgpu".to_string(),
        };
        assert!(
            text.starts_with(&format!("{name}: ")) && text.len() > name.len() + 2,
            "{text}"
        );
        assert_eq!(device.to_string(), name);
        if let Device::Wgpu(w) = &device {
            // The adapter's backend and what it lacks are said.
            let lacks_f64 = text.contains("no f64");
            assert_eq!(lacks_f64, !w.supports_f64(), "{text}");
            assert_eq!(text.contains("no int64"), !w.supports_int64(), "{text}");
            assert_eq!(text.contains("software"), w.is_software(), "{text}");
            assert!(
                ["Vulkan", "Gl", "Metal", "Dx12"].iter().any(|b| text.contains(b)),
                "{text}"
            );
        }
        assert!(all.contains(&device), "{device} missing from {all:?}");
        let x = Tensor::from_slice(&[1.5f32, -2.0, 3.25], &[3], &Device::Cpu);
        assert_eq!(x.device(), &Device::Cpu);
        let y = x.to_device(&device);
        assert_eq!(y.device(), &device);
        assert_eq!(y.to_device(&Device::Cpu).to_vec::<f32>(), vec![1.5, -2.0, 3.25]);
        device.synchronize().unwrap();
    }
}

/// Without CUDA, asking for a CUDA device is an error that says what is missing (the driver
/// library, NVRTC, the device, or the feature), not a panic; with CUDA, an ordinal past the
/// last device is such an error.
#[test]
fn cuda_open_errors_say_what_is_missing() {
    let missing = |e: learnloss::Error| {
        let msg = e.to_string();
        let named = [
            "driver library",
            "NVRTC",
            "ordinal",
            "no CUDA backend",
            "no usable device",
        ]
        .iter()
        .any(|what| msg.contains(what));
        assert!(
            msg.contains("cuda") && named,
            "the error should say what is missing: {msg}"
        );
        msg
    };
    match Device::cuda(0) {
        Ok(device) => {
            assert!(matches!(device, Device::Cuda(_)));
            let msg = missing(Device::cuda(4096).expect_err("no machine has 4097 GPUs"));
            assert!(msg.contains("4096"), "{msg}");
        }
        Err(e) => {
            let first = missing(e);
            // The failure is remembered: asking again answers the same, without probing again.
            assert_eq!(Device::cuda(0).unwrap_err().to_string(), first);
            assert!(!Device::available().iter().any(|d| matches!(d, Device::Cuda(_))));
        }
    }
}

/// In-place assignment (the optimisers' update) into strided views of device storage, from
/// the same device and from the host.
#[test]
fn assign_into_device_views() {
    for device in devices() {
        let base = Tensor::zeros(&[3, 4], DType::F32, &device);
        let src = Tensor::from_slice(&[1.0f32, 2.0, 3.0], &[3], &device);
        base.transpose(0, 1).select(0, 2).assign(&src);
        base.narrow(1, 3, 1)
            .assign(&Tensor::from_slice(&[7.0f32, 8.0, 9.0], &[3, 1], &Device::Cpu));
        let want = [0.0, 0.0, 1.0, 7.0, 0.0, 0.0, 2.0, 8.0, 0.0, 0.0, 3.0, 9.0];
        assert_eq!(base.to_vec::<f32>(), want.map(|v| v as f32).to_vec());
    }
}

/// A generator whose Philox stream has key `seed` and next counter block `offset`.
fn philox_generator(seed: u64, offset: u64) -> Generator {
    Generator::from_state(&GeneratorState {
        philox_seed: seed,
        philox_offset: offset,
        ..Generator::new(0).state()
    })
}

/// The random primitive draws on the device bit for bit what the CPU draws: odd sizes, a key
/// with both words set, a counter whose low word carries into the high one, and the 64-bit
/// counter's wrap to zero (seed 0 at offset 0 is Random123's first known answer).
#[test]
fn philox_draws_are_bit_identical() {
    for device in devices() {
        for dtype in [DType::F32, DType::F64] {
            if !supports(&device, dtype) {
                eprintln!("philox: {device} has no {dtype}; skipped");
                continue;
            }
            let streams = [(0, 0), (0xfedc_ba98_7654_3210, (1 << 32) - 5), (u64::MAX, u64::MAX - 2)];
            for (seed, offset) in streams {
                for n in [0, 1, 7, 1023, 65537] {
                    let draw = |dev: &Device| {
                        let mut gen = philox_generator(seed, offset);
                        let first = Tensor::rand_philox(&[n], dtype, dev, &mut gen);
                        let second = Tensor::rand_philox(&[3, n], dtype, dev, &mut gen);
                        (first, second)
                    };
                    let (want, got) = (draw(&Device::Cpu), draw(&device));
                    for (k, (g, w)) in [(&got.0, &want.0), (&got.1, &want.1)].into_iter().enumerate() {
                        let what = format!("philox {dtype} seed {seed:#x} offset {offset:#x} n {n} draw {k}");
                        assert_eq!(g.device(), &device, "{what}: result left the device");
                        assert_eq!(g.shape(), w.shape(), "{what}");
                        let (gv, wv) = (g.to_f64_vec(), w.to_f64_vec());
                        if let Some(i) = (0..gv.len()).find(|&i| gv[i].to_bits() != wv[i].to_bits()) {
                            panic!("{what}: element {i} is {}, the CPU draws {}", gv[i], wv[i]);
                        }
                    }
                }
            }
        }
    }
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                conform(stringify!($name), bodies::$name);
            }
        )*
    };
}

conformance!(
    upload_download,
    to_dtype,
    contiguous_of_views,
    unary_ops,
    binary_broadcast,
    compare_and_where,
    reductions,
    arg_reductions,
    matmul_batched_strided,
    cat_and_pad,
    gather_scatter_index_select,
    conv2d_and_adjoints,
    max_pool,
    odd_sizes,
    backward_composed,
    backward_conv_pool,
    third_order,
    int_and_bool_ops,
    int_and_bool_scatter_add,
    dropout_and_its_gradient,
    learnable_loss_terms,
    square,
    channel_affine,
    channel_dot,
    batch_norm_2d_train,
    backward_every_primitive,
    batch_norm_fused,
    matmul_tile_paths,
    conv_tile_paths,
    max_pool_ties_and_overlaps,
);

/// torchvision's ResNet-18 structure (a narrow one: 2 channels after the stem) under the
/// multi-label head, one training step's forward, BCE and gradients, and the eval-mode
/// forward: the stem's 7×7/2 convolution, the padded 3×3/2 max-pool, the residual adds, the
/// downsample path and the average pool on each device. Twenty layers deep, with training-mode
/// BatchNorm over 3 values per channel in layer 4 (which divides by a small spread), so f32
/// rounding grows: f32 gets 1e-3 of the output's largest magnitude, f64 1e-10 (the
/// per-primitive tests hold every op to 1e-5 and 1e-12).
#[test]
fn resnet18_multilabel_step() {
    for device in devices() {
        for dtype in [DType::F64, DType::F32] {
            if !supports(&device, dtype) {
                eprintln!("resnet18_multilabel_step: {device} has no {dtype}; skipped");
                continue;
            }
            let want = bodies::resnet18_multilabel_step(&Device::Cpu, dtype);
            let got = bodies::resnet18_multilabel_step(&device, dtype);
            let tol = if dtype == DType::F32 { 1e-3 } else { 1e-10 };
            for (k, (g, w)) in got.iter().zip(&want).enumerate() {
                let (a, e) = (g.to_f64_vec(), w.to_f64_vec());
                assert_eq!(g.shape(), w.shape(), "output {k} on {device}");
                let scale = e.iter().fold(1e-3f64, |m, v| m.max(v.abs()));
                for (i, (x, y)) in a.iter().zip(&e).enumerate() {
                    assert!(
                        (x - y).abs() <= tol * scale,
                        "resnet18 [{dtype}] output {k} on {device}: element {i} is {x}, the CPU gives {y}"
                    );
                }
            }
        }
    }
}

/// A NaN in a max-pool window wins (PyTorch's rule, kept by every backend; on wgpu the NaN test
/// reads the bits, since lavapipe folds `v != v` away).
#[test]
fn max_pool_nan() {
    conform("max_pool_nan", bodies::max_pool_nan);
}

mod bodies {
    use super::*;

    fn randn(shape: &[usize], dtype: DType, dev: &Device, seed: u64) -> Tensor {
        Tensor::randn(shape, dtype, dev, &mut Generator::new(seed))
    }

    fn index(values: &[i64], shape: &[usize], dev: &Device) -> Tensor {
        Tensor::from_slice(values, shape, dev)
    }

    pub fn upload_download(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let x = randn(&[3, 5], dtype, dev, 1);
        let i = index(&[-3, 0, 7, i64::MAX, i64::MIN], &[5], dev);
        let b = Tensor::from_f64s(&[0.0, 1.0, 1.0, 0.0], &[4], DType::Bool, dev);
        vec![x, i, b, Tensor::scalar(2.5, dtype, dev)]
    }

    pub fn to_dtype(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let x = randn(&[4, 6], dtype, dev, 2).mul_scalar(3.0);
        // f32 -> f64 only where every device has f64 (both runs must produce the same list).
        let other = if dtype == DType::F64 {
            DType::F32
        } else if devices().iter().all(|d| supports(d, DType::F64)) {
            DType::F64
        } else {
            DType::F32
        };
        let i = index(&[-3, 0, 7, 123456789], &[4], dev);
        // Beyond 32 bits, both signs: int64 is a word pair on the device.
        let big = index(&[-5_000_000_000, 1 << 40, -(1 << 31) - 256, (1 << 53) + 1], &[4], dev);
        let big_f = Tensor::from_f64s(&[-5e9, 1.5e12, -2147483904.0, -0.5, 2.5e15], &[5], dtype, dev);
        vec![
            big.to_dtype(dtype),
            big.to_dtype(DType::Bool),
            big_f.to_dtype(DType::I64),
            big.lt(&i),
            big.sum_all(),
            big.max(&[0], false),
            big.argmin(0, false),
            x.to_dtype(other),
            x.to_dtype(DType::I64),
            x.to_dtype(DType::Bool),
            x.transpose(0, 1).to_dtype(DType::I64).to_dtype(dtype),
            i.to_dtype(dtype),
            i.to_dtype(DType::Bool),
            x.gt_scalar(0.0).to_dtype(dtype),
            x.gt_scalar(0.0).to_dtype(DType::I64),
        ]
    }

    pub fn contiguous_of_views(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let x = randn(&[3, 4, 5], dtype, dev, 3);
        vec![
            x.permute(&[2, 0, 1]).contiguous(),
            x.narrow(1, 1, 2).contiguous(),
            x.narrow(2, 3, 2).permute(&[1, 2, 0]).contiguous(),
            x.select(0, 1).contiguous(),
            randn(&[1, 5], dtype, dev, 4).expand(&[4, 5]).contiguous(),
        ]
    }

    pub fn unary_ops(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let x = randn(&[7, 9], dtype, dev, 5).mul_scalar(2.0);
        let v = x.transpose(0, 1);
        let pos = x.abs().add_scalar(1e-3);
        let tiny = Tensor::from_f64s(&[1e-9, -1e-7, 1e-4, 0.3, -0.05, 0.0, 50.0], &[7], dtype, dev);
        vec![
            v.neg(),
            v.recip(),
            v.exp(),
            pos.log(),
            pos.log1p(),
            x.affine(1.0, 0.0).mul_scalar(0.4).log1p(),
            tiny.log1p(),
            pos.sqrt(),
            v.tanh(),
            tiny.tanh(),
            v.sigmoid(),
            v.relu(),
            v.abs(),
            v.sign(),
            v.sin(),
            v.cos(),
        ]
    }

    pub fn binary_broadcast(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let a = randn(&[4, 1, 5], dtype, dev, 6);
        let b = randn(&[3, 1], dtype, dev, 7);
        let pos = a.abs().add_scalar(0.5);
        let ints = Tensor::from_f64s(&[-2.0, -1.5, 0.0, 2.0, 3.0], &[5], dtype, dev);
        let exps = Tensor::from_f64s(&[3.0, 2.0, 0.0, 0.5, -1.0], &[5], dtype, dev);
        vec![
            a.add(&b),
            a.sub(&b),
            a.mul(&b),
            a.div(&b.abs().add_scalar(0.1)),
            pos.pow(&b),
            ints.pow(&exps),
            a.maximum(&b),
            a.minimum(&b),
            a.transpose(0, 2).mul(&a.transpose(0, 2)),
        ]
    }

    pub fn compare_and_where(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let a = randn(&[3, 4], dtype, dev, 8);
        let b = randn(&[4], dtype, dev, 9);
        let i = index(&[1, 5, -2, 5], &[4], dev);
        let j = index(&[1, 4, -2, 6], &[4], dev);
        let mask = a.gt(&b);
        vec![
            a.eq(&a),
            a.ne(&b),
            a.lt(&b),
            a.le(&b),
            mask.clone(),
            a.ge(&b),
            i.eq(&j),
            i.lt(&j),
            mask.eq(&a.lt(&b)),
            Tensor::where_cond(&mask, &a, &b.expand(&[3, 4])),
            Tensor::where_cond(
                &mask.transpose(0, 1),
                &a.transpose(0, 1),
                &Tensor::scalar(-1.0, dtype, dev).expand(&[4, 3]),
            ),
            Tensor::where_cond(&i.gt(&j), &i, &j),
        ]
    }

    pub fn reductions(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let x = randn(&[5, 6, 7], dtype, dev, 10);
        let p = x.permute(&[2, 0, 1]);
        vec![
            x.sum(&[1], false),
            x.sum(&[0, 2], true),
            x.sum_all(),
            p.sum(&[0], false),
            x.max(&[2], false),
            x.min(&[0, 1], false),
            p.max(&[1, 2], true),
            x.mean(&[1], false),
            x.narrow(1, 2, 3).sum(&[1], false),
            randn(&[2, 1000], dtype, dev, 11).sum(&[1], false),
        ]
    }

    pub fn arg_reductions(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let x = randn(&[6, 9], dtype, dev, 12);
        let ties = Tensor::from_f64s(&[1.0, 3.0, 3.0, 0.0, 0.0, 0.0], &[2, 3], dtype, dev);
        vec![
            x.argmax(1, false),
            x.argmin(0, true),
            x.transpose(0, 1).argmax(0, false),
            ties.argmax(1, false),
            ties.argmin(1, false),
        ]
    }

    pub fn matmul_batched_strided(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let a = randn(&[3, 17, 33], dtype, dev, 13);
        let b = randn(&[3, 33, 5], dtype, dev, 14);
        let m = randn(&[40, 20], dtype, dev, 15);
        let v = randn(&[20], dtype, dev, 16);
        vec![
            a.matmul(&b),
            m.matmul(&m.transpose(0, 1)),
            m.transpose(0, 1).matmul(&m),
            m.matmul(&v),
            randn(&[1, 1], dtype, dev, 17).matmul(&randn(&[1, 1], dtype, dev, 18)),
        ]
    }

    pub fn cat_and_pad(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let a = randn(&[2, 3], dtype, dev, 19);
        let b = randn(&[2, 4], dtype, dev, 20);
        let i = index(&[1, 2, 3], &[3], dev);
        vec![
            Tensor::cat(&[a.clone(), b.clone()], 1),
            Tensor::cat(&[a.transpose(0, 1), b.transpose(0, 1)], 0),
            Tensor::cat(&[i.clone(), i.clone()], 0),
            a.pad(&[(1, 2), (0, 3)], 0.5),
            a.transpose(0, 1).pad(&[(0, 1), (2, 0)], -1.0),
            i.pad(&[(2, 1)], 7.0),
            Tensor::stack(&[a.clone(), a], 0),
        ]
    }

    pub fn gather_scatter_index_select(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let x = randn(&[4, 5], dtype, dev, 21);
        let idx = index(&[0, 4, 4, 1, 2, 2, 3, 0], &[4, 2], dev);
        let src = randn(&[4, 2], dtype, dev, 22);
        let rows = index(&[3, 0, 3], &[3], dev);
        let labels = index(&[2, 0, 1], &[3], dev);
        vec![
            x.gather(1, &idx),
            x.transpose(0, 1).gather(0, &idx.transpose(0, 1)),
            x.scatter_add(1, &idx, &src),
            x.zeros_like().scatter_add(
                0,
                &index(&[3, 3, 0, 1, 3], &[1, 5], dev),
                &randn(&[1, 5], dtype, dev, 23),
            ),
            x.index_select(0, &rows),
            x.index_select(1, &rows),
            x.transpose(0, 1).index_select(1, &rows),
            labels.index_select(0, &index(&[2, 2, 0], &[3], dev)),
        ]
    }

    /// Thin shapes (3 → 4 channels, the direct kernels) and wide ones (17 → 20, the blocked
    /// implicit products: every product has ≥ 16 rows and ≥ 64 columns).
    pub fn conv2d_and_adjoints(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let mut out = Vec::new();
        for (cin, cout, seed) in [(3, 4, 24), (17, 20, 29)] {
            out.extend(conv_case(dev, dtype, cin, cout, seed));
        }
        out
    }

    fn conv_case(dev: &Device, dtype: DType, cin: usize, cout: usize, seed: u64) -> Vec<Tensor> {
        let x = randn(&[2, cin, 9, 8], dtype, dev, seed);
        let w = randn(&[cout, cin, 3, 2], dtype, dev, seed + 1);
        let mut out = Vec::new();
        for p in [
            Conv2dParams::default(),
            Conv2dParams {
                stride: [2, 1],
                padding: [1, 2],
                dilation: [1, 2],
            },
        ] {
            let y = x.conv2d(&w, &p);
            let g = randn(y.shape(), dtype, dev, seed + 2);
            out.push(g.conv2d_input_grad(&w, &p, [9, 8]));
            out.push(x.conv2d_weight_grad(&g, &p, [3, 2]));
            out.push(x.permute(&[0, 1, 3, 2]).conv2d(&w.permute(&[0, 1, 3, 2]), &p));
            out.push(y);
        }
        out
    }

    pub fn max_pool(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let x = randn(&[2, 3, 7, 6], dtype, dev, 27);
        let mut out = Vec::new();
        for p in [
            Pool2dParams::square(2),
            Pool2dParams {
                kernel: [3, 3],
                stride: [2, 1],
                padding: [1, 1],
                dilation: [1, 1],
            },
        ] {
            let (v, i) = x.max_pool2d(&p);
            let g = randn(v.shape(), dtype, dev, 28);
            out.push(g.max_pool2d_backward(&i, x.shape()));
            out.push(v);
            out.push(i);
        }
        let (v, i) = x.transpose(2, 3).max_pool2d(&Pool2dParams::square(2));
        out.push(v);
        out.push(i);
        out
    }

    /// Matmul paths the small bodies miss: K split into chunks added in order (few output tiles,
    /// long K) and 128 × 128 tiles (a large product), with transposed operands.
    pub fn matmul_tile_paths(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let k = 2000;
        let a = randn(&[2, 5, k], dtype, dev, 300).mul_scalar(1.0 / (k as f64).sqrt());
        let b = randn(&[2, k, 3], dtype, dev, 301);
        let big_a = randn(&[2048, 128], dtype, dev, 302).mul_scalar(1.0 / 128f64.sqrt());
        let big_b = randn(&[2048, 128], dtype, dev, 303);
        vec![
            a.matmul(&b),
            b.transpose(1, 2).matmul(&a.transpose(1, 2)),
            big_a.matmul(&big_b.transpose(0, 1)),
        ]
    }

    /// Convolutions with a long weight-gradient sum (split K), a 7 × 7 kernel with unequal
    /// strides (a sparse input gradient) and a 1 × 1 kernel.
    pub fn conv_tile_paths(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let x = randn(&[16, 8, 12, 12], dtype, dev, 310);
        let mut out = Vec::new();
        for (k, p, seed) in [
            (
                3,
                Conv2dParams {
                    stride: [1, 1],
                    padding: [1, 1],
                    dilation: [1, 1],
                },
                311,
            ),
            (
                7,
                Conv2dParams {
                    stride: [2, 3],
                    padding: [3, 2],
                    dilation: [1, 1],
                },
                314,
            ),
            (1, Conv2dParams::default(), 317),
        ] {
            let w = randn(&[6, 8, k, k], dtype, dev, seed).mul_scalar(1.0 / ((8 * k * k) as f64).sqrt());
            let y = x.conv2d(&w, &p);
            let s = y.shape();
            let g = randn(s, dtype, dev, seed + 1).mul_scalar(1.0 / ((s[0] * s[2] * s[3]) as f64).sqrt());
            out.push(g.conv2d_input_grad(&w, &p, [12, 12]));
            out.push(x.conv2d_weight_grad(&g, &p, [k, k]));
            out.push(y);
        }
        out
    }

    /// Max-pool of data full of ties with overlapping windows (several outputs pick one
    /// input, so the adjoint adds several gradients there).
    pub fn max_pool_ties_and_overlaps(dev: &Device, dtype: DType) -> Vec<Tensor> {
        pool_ties_case(dev, dtype, &[])
    }

    /// As `max_pool_ties_and_overlaps` with NaNs in the data: a NaN wins its window.
    pub fn max_pool_nan(dev: &Device, dtype: DType) -> Vec<Tensor> {
        pool_ties_case(dev, dtype, &[17, 100, 101])
    }

    /// `[2, 3, 9, 8]` of the values 0..5 (many ties), NaN at `nans`, pooled with overlapping
    /// windows: values, indices and the adjoint of each.
    fn pool_ties_case(dev: &Device, dtype: DType, nans: &[usize]) -> Vec<Tensor> {
        let n = 2 * 3 * 9 * 8;
        let mut v: Vec<f64> = (0..n).map(|i| ((i * 7919) % 5) as f64).collect();
        for &at in nans {
            v[at] = f64::NAN;
        }
        let x = Tensor::from_f64s(&v, &[2, 3, 9, 8], dtype, dev);
        let mut out = Vec::new();
        for (p, seed) in [
            (
                Pool2dParams {
                    kernel: [3, 3],
                    stride: [1, 1],
                    padding: [1, 1],
                    dilation: [1, 1],
                },
                320,
            ),
            (
                Pool2dParams {
                    kernel: [3, 2],
                    stride: [2, 1],
                    padding: [0, 1],
                    dilation: [2, 1],
                },
                321,
            ),
        ] {
            let (values, indices) = x.max_pool2d(&p);
            let g = randn(values.shape(), dtype, dev, seed);
            out.push(g.max_pool2d_backward(&indices, x.shape()));
            out.push(values);
            out.push(indices);
        }
        out
    }

    pub fn odd_sizes(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let mut out = Vec::new();
        for (n, seed) in [(1usize, 30u64), (7, 31), (1023, 32), (65537, 33)] {
            let x = randn(&[n], dtype, dev, seed);
            out.push(x.exp().mul(&x).add_scalar(1.0));
            out.push(x.sum_all());
            out.push(x.max_all());
            out.push(x.argmax(0, false));
            out.push(x.reshape(&[n, 1]).matmul(&x.reshape(&[1, n]).narrow(1, 0, n.min(3))));
        }
        out
    }

    /// Gradients of a composed expression (softmax, log, broadcasting, matmul, reductions).
    pub fn backward_composed(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let w = randn(&[5, 3], dtype, dev, 40).requires_grad_(true);
        let x = randn(&[4, 5], dtype, dev, 41).requires_grad_(true);
        let b = randn(&[3], dtype, dev, 42).requires_grad_(true);
        let y = x.matmul(&w).add(&b).tanh();
        let p = y.softmax(1);
        let labels = index(&[0, 2, 1, 2], &[4, 1], dev);
        let loss = p
            .gather(1, &labels)
            .log()
            .neg()
            .mean_all()
            .add(&y.square().sum_all().mul_scalar(0.1));
        let g = grad(std::slice::from_ref(&loss), &[w, x, b], None, false);
        let mut out = vec![loss];
        out.extend(g);
        out
    }

    pub fn backward_conv_pool(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let x = randn(&[2, 2, 8, 8], dtype, dev, 43).requires_grad_(true);
        let w = randn(&[3, 2, 3, 3], dtype, dev, 44).requires_grad_(true);
        let p = Conv2dParams {
            stride: [1, 1],
            padding: [1, 1],
            dilation: [1, 1],
        };
        let (v, _) = x.conv2d(&w, &p).relu().max_pool2d(&Pool2dParams::square(2));
        let loss = v.square().sum_all();
        let g = grad(std::slice::from_ref(&loss), &[x, w], None, false);
        let mut out = vec![loss];
        out.extend(g);
        out
    }

    /// Third derivative through a smooth network: d/dw of the Hessian trace-like quantity.
    pub fn third_order(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let w = randn(&[3, 3], dtype, dev, 45).requires_grad_(true);
        let x = randn(&[2, 3], dtype, dev, 46).requires_grad_(true);
        let e = x.matmul(&w).softplus().sum_all();
        let g = grad(&[e], std::slice::from_ref(&x), None, true).remove(0);
        let h = grad(&[g.sum_all()], &[x], None, true).remove(0);
        let t = grad(&[h.square().sum_all()], &[w], None, false);
        vec![g, h, t[0].clone()]
    }

    /// Int64 and bool tensors: sums, extremes and argmax of int64, bool masks through where.
    pub fn int_and_bool_ops(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let i = index(&[5, -3, 9, 9, 0, -7], &[2, 3], dev);
        let mask = randn(&[2, 3], dtype, dev, 50).gt_scalar(0.0);
        vec![
            i.sum(&[1], false),
            i.sum_all(),
            i.max(&[0], false),
            i.min(&[1], true),
            i.argmax(1, false),
            i.transpose(0, 1).argmin(1, false),
            mask.to_dtype(DType::I64).sum_all(),
            Tensor::where_cond(&mask, &mask.eq(&mask), &mask),
            mask.ne(&i.gt_scalar(0.0)),
        ]
    }

    /// Scatter-add into int64 (word pairs on wgpu: values beyond 32 bits, both signs, carries
    /// between the words, wrapping at 2^63) and bool (adding is logical or), with strided
    /// indices and sources.
    pub fn int_and_bool_scatter_add(dev: &Device, _dtype: DType) -> Vec<Tensor> {
        let base = index(&[1 << 40, -1, 7, u32::MAX as i64, i64::MAX, -(1 << 35)], &[2, 3], dev);
        let src = index(
            &[1, 1, -(1 << 33), 5_000_000_000, 1, -2, 3, i64::MIN, 9, 4],
            &[2, 5],
            dev,
        );
        let idx = index(&[0, 1, 2, 2, 0, 1, 1, 0, 2, 2], &[2, 5], dev);
        let bools = Tensor::from_f64s(&[0.0, 1.0, 0.0, 0.0, 0.0, 1.0], &[2, 3], DType::Bool, dev);
        let bsrc = Tensor::from_f64s(
            &[1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0],
            &[2, 5],
            DType::Bool,
            dev,
        );
        vec![
            base.scatter_add(1, &idx.narrow(1, 0, 3), &src.narrow(1, 0, 3)),
            base.scatter_add(1, &idx.narrow(1, 1, 4).contiguous(), &src.narrow(1, 1, 4)),
            base.transpose(0, 1).scatter_add(
                0,
                &idx.narrow(1, 0, 3).transpose(0, 1),
                &src.narrow(1, 2, 3).transpose(0, 1),
            ),
            base.scatter_add(
                0,
                &index(&[1, 0, 1], &[1, 3], dev),
                &src.narrow(1, 0, 3).narrow(0, 1, 1),
            ),
            bools.scatter_add(1, &idx.narrow(1, 0, 3), &bsrc.narrow(1, 0, 3)),
            bools.scatter_add(1, &idx.narrow(1, 2, 3), &bsrc.narrow(1, 2, 3)),
            bools.transpose(0, 1).scatter_add(
                0,
                &idx.narrow(1, 0, 3).transpose(0, 1),
                &bsrc.narrow(1, 1, 3).transpose(0, 1),
            ),
        ]
    }

    /// Dropout draws its mask on the device from the Philox stream: the same mask as the CPU
    /// (so the same values), and gradients through it, at odd sizes and a carrying offset.
    pub fn dropout_and_its_gradient(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let x = randn(&[7, 13], dtype, dev, 60).requires_grad_(true);
        let mut gen = philox_generator(5, (1 << 32) - 7);
        let y = learnloss::nn::functional::dropout(&x, 0.3, true, &mut gen);
        let z = learnloss::nn::functional::dropout(&x.transpose(0, 1), 0.5, true, &mut gen);
        let loss = y.square().sum_all().add(&z.sum_all());
        let g = grad(std::slice::from_ref(&loss), std::slice::from_ref(&x), None, false);
        vec![y, z, loss, g[0].clone()]
    }

    /// The learnable loss's energy, gradient, trace (each definition and method), penalties and
    /// the penalties' gradients in the logits and every loss-network parameter (third order).
    pub fn learnable_loss_terms(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let cases = [
            (
                Activation::Softplus,
                BnMode::None,
                TraceDefinition::PerSample,
                TraceMethod::ForwardLaplacian,
            ),
            (
                Activation::Softplus,
                BnMode::Eval,
                TraceDefinition::PerSample,
                TraceMethod::Loop,
            ),
            (
                Activation::Tanh,
                BnMode::Train,
                TraceDefinition::Seed,
                TraceMethod::Loop,
            ),
            (
                Activation::Relu,
                BnMode::Train,
                TraceDefinition::Seed,
                TraceMethod::Batched,
            ),
        ];
        let mut out = Vec::new();
        for (k, (activation, bn, definition, method)) in cases.into_iter().enumerate() {
            let config = LossNetworkConfig {
                classes: 4,
                hidden: vec![16, 8],
                bn_after: vec![0],
                bn,
                activation,
            };
            let net = LossNetwork::new(
                config,
                &Spec::new(dtype, dev.clone()),
                &mut Generator::new(60 + k as u64),
            );
            let logits = randn(&[6, 4], dtype, dev, 70 + k as u64).requires_grad_(true);
            let labels = index(&[0, 3, 1, 2, 2, 0], &[6, 1], dev);
            let classes = Tensor::arange(0.0, 4.0, 1.0, DType::I64, dev).reshape(&[1, 4]);
            let y = labels.eq(&classes).to_dtype(dtype);
            let p = logits.softmax(1);
            let terms = energy_terms(&net, &p, &y, definition, method).expect("a valid configuration");
            let pen = Penalties::new(&terms);
            let mut wrt = vec![logits];
            wrt.extend(net.parameters());
            let grads = grad(&[pen.sum()], &wrt, None, false);
            out.extend([terms.energy, terms.grad, terms.trace, pen.nonneg, pen.convex, pen.lips]);
            out.extend(grads);
        }
        out
    }

    pub fn square(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let x = randn(&[7, 9], dtype, dev, 80).mul_scalar(3.0);
        let special = Tensor::from_f64s(&[0.0, -0.0, 1e-20, -1e15, 2.5], &[5], dtype, dev);
        vec![
            x.square(),
            x.transpose(0, 1).square(),
            x.narrow(1, 2, 5).square(),
            randn(&[1, 9], dtype, dev, 81).expand(&[4, 9]).square(),
            randn(&[1023], dtype, dev, 82).square(),
            special.square(),
        ]
    }

    /// `[N, C, *]` operands of `shape` in several layouts: contiguous, built permuted (channel
    /// dim not innermost-but-one in storage), and with the trailing dims transposed.
    fn channel_inputs(shape: &[usize], dtype: DType, dev: &Device, seed: u64) -> Vec<Tensor> {
        let mut out = vec![randn(shape, dtype, dev, seed)];
        // Storage order [C, N, *], viewed as [N, C, *].
        let mut stored = shape.to_vec();
        stored.swap(0, 1);
        out.push(randn(&stored, dtype, dev, seed + 1).transpose(0, 1));
        if shape.len() >= 4 {
            let r = shape.len();
            let mut t = shape.to_vec();
            t.swap(r - 2, r - 1);
            out.push(randn(&t, dtype, dev, seed + 2).transpose(r - 2, r - 1));
            // A channel slice of a wider tensor.
            let mut wide = shape.to_vec();
            wide[1] += 3;
            out.push(randn(&wide, dtype, dev, seed + 3).narrow(1, 2, shape[1]));
        }
        out
    }

    /// Per-channel `[C]` vectors: contiguous, a strided column, and a broadcast scalar.
    fn per_channel(c: usize, dtype: DType, dev: &Device, seed: u64) -> [Tensor; 3] {
        [
            randn(&[c], dtype, dev, seed),
            randn(&[c, 3], dtype, dev, seed + 1).select(1, 2),
            randn(&[1], dtype, dev, seed + 2).expand(&[c]),
        ]
    }

    pub fn channel_affine(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let mut out = Vec::new();
        for (shape, seed) in [
            (vec![5, 7], 90u64),
            (vec![2, 7, 5, 6], 100),
            (vec![3, 7, 1023], 110),
            (vec![1, 1, 1, 1], 120),
        ] {
            let c = shape[1];
            let xs = channel_inputs(&shape, dtype, dev, seed);
            let [m, m_col, m_bc] = per_channel(c, dtype, dev, seed + 10);
            let [s, s_col, _] = per_channel(c, dtype, dev, seed + 20);
            let [t, t_col, t_bc] = per_channel(c, dtype, dev, seed + 30);
            for (k, x) in xs.iter().enumerate() {
                let y = &xs[(k + 1) % xs.len()];
                out.push(Tensor::channel_affine(&[(x, Some(&m), &s)], None));
                out.push(Tensor::channel_affine(&[(x, Some(&m_col), &s)], Some(&t)));
                out.push(Tensor::channel_affine(&[(x, None, &s_col)], Some(&t_bc)));
                out.push(Tensor::channel_affine(
                    &[(x, Some(&m), &s), (y, Some(&m_bc), &s_col)],
                    None,
                ));
                out.push(Tensor::channel_affine(
                    &[(x, Some(&m_col), &s_col), (y, None, &s)],
                    Some(&t_col),
                ));
                // One tensor in both terms.
                out.push(Tensor::channel_affine(
                    &[(x, Some(&m), &s), (x, Some(&t), &s_col)],
                    Some(&t),
                ));
            }
        }
        out
    }

    pub fn channel_dot(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let mut out = Vec::new();
        for (shape, seed) in [
            (vec![5, 7], 130u64),
            (vec![2, 7, 5, 6], 140),
            (vec![3, 7, 1023], 150),
            (vec![300, 3], 160),
            (vec![1, 1, 1, 1], 170),
        ] {
            let c = shape[1];
            let xs = channel_inputs(&shape, dtype, dev, seed);
            let [m, m_col, m_bc] = per_channel(c, dtype, dev, seed + 10);
            let zero = Tensor::zeros(&[c], dtype, dev);
            for (k, x) in xs.iter().enumerate() {
                let y = &xs[(k + 1) % xs.len()];
                out.push(x.channel_dot(y, &m, &m_col));
                out.push(x.channel_dot(x, &m, &m));
                out.push(x.channel_dot(y, &zero, &m_bc));
            }
        }
        // A broadcast operand (stride 0 over N and a spatial dim), and an empty plane.
        let b = randn(&[1, 7, 1, 5], dtype, dev, 180).expand(&[3, 7, 4, 5]);
        let a = randn(&[3, 7, 4, 5], dtype, dev, 181);
        let m = randn(&[7], dtype, dev, 182);
        out.push(a.channel_dot(&b, &m, &m));
        out.push(b.channel_dot(&b, &m.zeros_like(), &m));
        let empty = Tensor::zeros(&[2, 4, 0], dtype, dev);
        out.push(empty.channel_dot(&empty, &m.narrow(0, 0, 4), &m.narrow(0, 0, 4)));
        out
    }

    /// `BatchNorm2d` in training mode (the fused op on `channel_affine` / `channel_dot`):
    /// output, running statistics, gradients in the input, weight and bias, and a second
    /// derivative through the input gradient; a permuted input as well.
    pub fn resnet18_multilabel_step(dev: &Device, dtype: DType) -> Vec<Tensor> {
        use learnloss::loss::{binary_cross_entropy, Reduction};
        use learnloss::models::{multilabel_resnet18, MultiLabelConfig};
        let mut config = MultiLabelConfig::new([2, 21, 19], 3);
        config.width = 2;
        config.dropout = 0.0;
        let spec = Spec::new(dtype, dev.clone());
        let mut net = multilabel_resnet18(
            &config,
            &spec,
            &mut Generator::new(400),
            learnloss::nn::shared_generator(401),
        );
        let x = randn(&[3, 2, 21, 19], dtype, dev, 402).requires_grad_(true);
        let y = Tensor::rand(&[3, 3], dtype, dev, &mut Generator::new(403))
            .lt_scalar(0.5)
            .mask_to(dtype);
        let p = net.forward(&x);
        let loss = binary_cross_entropy(&p, &y, None, Reduction::Mean);
        let params = net.named_parameters();
        let pick = |name: &str| params.iter().find(|(n, _)| n == name).unwrap().1.clone();
        let grads = grad(
            std::slice::from_ref(&loss),
            &[
                x.clone(),
                pick("convolutions.0.weight"),
                pick("convolutions.5.0.downsample.0.weight"),
                pick("dense.weight"),
            ],
            None,
            false,
        );
        net.eval();
        let eval = net.forward(&x.detach());
        let mut out = vec![p.detach(), loss.detach(), eval];
        out.extend(grads);
        out
    }

    pub fn batch_norm_2d_train(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let spec = Spec::new(dtype, dev.clone());
        let mut out = Vec::new();
        for (k, permuted) in [false, true].into_iter().enumerate() {
            let seed = 190 + 10 * k as u64;
            let mut bn = BatchNorm::new_2d(7, BatchNormConfig::default(), &spec);
            let w = randn(&[7], dtype, dev, seed).requires_grad_(true);
            let b = randn(&[7], dtype, dev, seed + 1).requires_grad_(true);
            bn.weight = Some(w.clone());
            bn.bias = Some(b.clone());
            let x = if permuted {
                randn(&[7, 4, 6, 5], dtype, dev, seed + 2).permute(&[1, 0, 3, 2])
            } else {
                randn(&[4, 7, 5, 6], dtype, dev, seed + 2)
            }
            .mul_scalar(2.0)
            .add_scalar(0.5)
            .requires_grad_(true);
            let y = bn.forward(&x);
            let g = randn(y.shape(), dtype, dev, seed + 3);
            let loss = y.mul(&g).sum_all();
            let grads = grad(
                std::slice::from_ref(&loss),
                &[x.clone(), w.clone(), b.clone()],
                None,
                true,
            );
            let second = grad(&[grads[0].square().sum_all()], &[x, w], None, false);
            out.extend([y, loss]);
            out.extend(grads);
            out.extend(second);
            out.extend([bn.running_mean.clone().unwrap(), bn.running_var.clone().unwrap()]);
        }
        out
    }

    /// Gradients through every other differentiable primitive at once: views (permute, narrow,
    /// broadcast), cat, pad, index-select, scatter-add, gather, where, max/min reductions, the
    /// unary and binary functions, variance. Second order too (create_graph), so the gradient
    /// rules' own primitives run on the device.
    pub fn backward_every_primitive(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let a = randn(&[3, 4], dtype, dev, 80).requires_grad_(true);
        let b = randn(&[4], dtype, dev, 81).requires_grad_(true);
        let c = randn(&[2, 4], dtype, dev, 82).requires_grad_(true);
        let rows = index(&[2, 0, 2], &[3], dev);
        let cols = index(&[1, 3, 0, 3, 2, 2, 1, 0, 0, 1, 3, 2], &[3, 4], dev);
        let x = a.permute(&[1, 0]).narrow(0, 1, 3).permute(&[1, 0]); // [3, 3], strided
        let y = Tensor::cat(&[a.clone(), c.clone()], 0); // [5, 4]
        let z = y.pad(&[(1, 0), (0, 2)], 0.25).index_select(0, &rows); // [3, 6]
        let s = a.zeros_like().scatter_add(1, &cols, &a.mul(&b)); // [3, 4]
        let w = Tensor::where_cond(&a.gt(&b), &a.sigmoid(), &b.expand(&[3, 4]).sin());
        let terms = [
            x.exp().sum_all(),
            z.square().sum_all(),
            s.pow(&Tensor::scalar(2.0, dtype, dev)).sum_all(),
            w.cos().mean_all(),
            a.max(&[1], false).sum_all(),
            c.min(&[0], false).abs().sum_all(),
            a.abs().add_scalar(0.5).sqrt().log1p().sum_all(),
            a.maximum(&b)
                .minimum(&b.mul_scalar(0.5))
                .div(&b.abs().add_scalar(1.0))
                .sum_all(),
            a.gather(1, &cols.narrow(1, 0, 2)).tanh().sum_all(),
            y.var(&[0], 1, false).sum_all(),
        ];
        let loss = terms.iter().skip(1).fold(terms[0].clone(), |acc, t| acc.add(t));
        let g = grad(
            std::slice::from_ref(&loss),
            &[a.clone(), b.clone(), c.clone()],
            None,
            true,
        );
        let gg = grad(&[g[0].square().sum_all().add(&g[1].sum_all())], &[a, b, c], None, false);
        let mut out = vec![loss];
        out.extend(g);
        out.extend(gg);
        out
    }

    /// Batch normalisation's fused primitives (channel_affine with one and two terms,
    /// channel_dot) on strided inputs, the functional batch norm in both modes, and its first
    /// and second derivatives; `square`.
    pub fn batch_norm_fused(dev: &Device, dtype: DType) -> Vec<Tensor> {
        let x = randn(&[4, 3, 5, 2], dtype, dev, 90).requires_grad_(true);
        let y = randn(&[4, 2, 5, 3], dtype, dev, 91).permute(&[0, 3, 2, 1]); // strided [4, 3, 5, 2]
        let (c1, s1, c2, s2, sh) = (
            randn(&[3], dtype, dev, 92),
            randn(&[3], dtype, dev, 93),
            randn(&[3], dtype, dev, 94),
            randn(&[3], dtype, dev, 95),
            randn(&[3], dtype, dev, 96),
        );
        let w = randn(&[3], dtype, dev, 97).requires_grad_(true);
        let b = randn(&[3], dtype, dev, 98).requires_grad_(true);
        let train = learnloss::nn::functional::batch_norm(&x, None, Some(&w), Some(&b), true, 1e-5);
        let eval_stats = (
            randn(&[3], dtype, dev, 99),
            randn(&[3], dtype, dev, 100).abs().add_scalar(0.5),
        );
        let loss = train.square().mul(&y).sum_all();
        let g = grad(
            std::slice::from_ref(&loss),
            &[x.clone(), w.clone(), b.clone()],
            None,
            true,
        );
        let gg = grad(&[g[0].square().sum_all()], &[x.clone(), w], None, false);
        let mut out = vec![
            Tensor::channel_affine(&[(&x.detach(), Some(&c1), &s1)], None),
            Tensor::channel_affine(&[(&x.detach(), Some(&c1), &s1), (&y, Some(&c2), &s2)], Some(&sh)),
            Tensor::channel_affine(&[(&y, None, &s2)], Some(&sh)),
            x.detach().channel_dot(&y, &c1, &c2),
            y.square(),
            train,
            learnloss::nn::functional::batch_norm(&y, None, None, None, true, 1e-5),
            x.detach()
                .sub(&eval_stats.0.reshape(&[1, 3, 1, 1]))
                .div(&eval_stats.1.reshape(&[1, 3, 1, 1])),
            loss,
        ];
        out.extend(g);
        out.extend(gg);
        out
    }
}
