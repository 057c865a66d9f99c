//! Float64 on a wgpu adapter: where the adapter offers SHADER_F64 (lavapipe's Vulkan), every way
//! of putting an f64 tensor on it works; where it does not (Mesa's GL, Apple's Metal, many
//! drivers), every way refuses with one error naming the adapter and what it lacks: the `try_`
//! forms return it, the short forms panic with it, and `learnloss train --dtype f64 --device
//! wgpu` prints it in one line. int64 and bool tensors live on every adapter (word pairs and
//! words in the shaders). Skipped with a printed reason without an adapter, unless
//! `LEARNLOSS_REQUIRE_WGPU=1`.

#[path = "common/wgpu_device.rs"]
mod wgpu_device;

use learnloss::{DType, Device, Generator, Tensor};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::Command;
use wgpu_device::wgpu_or_skip;

/// Every fallible way of making or moving an f64 tensor onto `dev`.
fn fallible_ways(dev: &Device) -> Vec<(&'static str, learnloss::Result<Tensor>)> {
    let host = Tensor::from_slice(&[1.5f64, -2.0], &[2], &Device::Cpu);
    let on_device_f32 = Tensor::from_slice(&[1.5f32, -2.0], &[2], dev);
    vec![
        ("try_from_vec", Tensor::try_from_vec(vec![1.5f64, -2.0], &[2], dev)),
        ("try_from_slice", Tensor::try_from_slice(&[1.5f64, -2.0], &[2], dev)),
        (
            "try_from_f64s",
            Tensor::try_from_f64s(&[1.5, -2.0], &[2], DType::F64, dev),
        ),
        ("try_full", Tensor::try_full(&[2], 1.5, DType::F64, dev)),
        ("try_to_device", host.try_to_device(dev)),
        ("try_to_dtype", on_device_f32.try_to_dtype(DType::F64)),
    ]
}

type Way = (&'static str, Box<dyn Fn(&Device) -> Tensor>);

/// Every infallible way (they panic with the same error when the device refuses).
fn panicking_ways() -> Vec<Way> {
    let f64 = DType::F64;
    let gen = || Generator::new(1);
    vec![
        ("from_vec", Box::new(|d| Tensor::from_vec(vec![1.5f64, -2.0], &[2], d))),
        ("from_slice", Box::new(|d| Tensor::from_slice(&[1.5f64], &[1], d))),
        ("from_f64s", Box::new(move |d| Tensor::from_f64s(&[1.5], &[1], f64, d))),
        ("scalar", Box::new(move |d| Tensor::scalar(1.5, f64, d))),
        ("full", Box::new(move |d| Tensor::full(&[2], 1.5, f64, d))),
        ("zeros", Box::new(move |d| Tensor::zeros(&[2], f64, d))),
        ("ones", Box::new(move |d| Tensor::ones(&[2], f64, d))),
        ("arange", Box::new(move |d| Tensor::arange(0.0, 3.0, 1.0, f64, d))),
        ("eye", Box::new(move |d| Tensor::eye(2, f64, d))),
        ("rand", Box::new(move |d| Tensor::rand(&[2], f64, d, &mut gen()))),
        ("randn", Box::new(move |d| Tensor::randn(&[2], f64, d, &mut gen()))),
        (
            "uniform",
            Box::new(move |d| Tensor::uniform(&[2], -1.0, 1.0, f64, d, &mut gen())),
        ),
        (
            "rand_philox",
            Box::new(move |d| Tensor::rand_philox(&[2], f64, d, &mut gen())),
        ),
        (
            "to_device",
            Box::new(|d| Tensor::from_slice(&[1.5f64], &[1], &Device::Cpu).to_device(d)),
        ),
        (
            "to_dtype",
            Box::new(move |d| Tensor::from_slice(&[1.5f32], &[1], d).to_dtype(f64)),
        ),
    ]
}

fn panic_text(f: impl FnOnce() -> Tensor) -> Option<String> {
    let payload = catch_unwind(AssertUnwindSafe(f)).err()?;
    Some(
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default(),
    )
}

#[test]
fn every_way_onto_the_adapter_holds_float64_or_refuses_it_clearly() {
    let Some(dev) = wgpu_or_skip("the wgpu float64 test") else {
        return;
    };
    let Device::Wgpu(adapter) = &dev else { unreachable!() };
    // int64 and bool live on every adapter.
    for dtype in [DType::F32, DType::I64, DType::Bool] {
        assert!(dev.supports(dtype), "{dtype} on {}", dev.describe());
    }
    let labels = Tensor::from_slice(&[3i64, -(1 << 40), 7], &[3], &dev);
    assert_eq!(labels.to_vec::<i64>(), vec![3, -(1 << 40), 7]);
    assert_eq!(labels.argmax(0, false).to_vec::<i64>(), vec![2]);

    if adapter.supports_f64() {
        eprintln!("{} offers f64: checking that every way works", dev.describe());
        assert!(dev.supports(DType::F64));
        for (way, result) in fallible_ways(&dev) {
            let t = result.unwrap_or_else(|e| panic!("{way}: {e}"));
            assert_eq!((t.dtype(), t.device()), (DType::F64, &dev), "{way}");
        }
        for (way, make) in panicking_ways() {
            let t = make(&dev);
            assert_eq!((t.dtype(), t.device()), (DType::F64, &dev), "{way}");
        }
        return;
    }

    eprintln!("{} has no f64: checking that every way refuses", dev.describe());
    let refusal = dev.check_dtype(DType::F64).expect_err("no SHADER_F64").to_string();
    assert!(!dev.supports(DType::F64));
    for needle in ["SHADER_F64", "float64", "use float32 or the CPU"] {
        assert!(refusal.contains(needle), "{needle:?} missing from {refusal:?}");
    }
    for (way, result) in fallible_ways(&dev) {
        let err = result.err().unwrap_or_else(|| panic!("{way} put float64 on {dev}"));
        assert_eq!(err.to_string(), refusal, "{way}");
    }
    for (way, make) in panicking_ways() {
        let text = panic_text(|| make(&dev)).unwrap_or_else(|| panic!("{way} put float64 on {dev}"));
        assert!(text.ends_with(&refusal), "{way}: {text:?}");
    }
    // The device still works after the refusals.
    let x = Tensor::from_slice(&[1.0f32, 2.0], &[2], &dev);
    assert_eq!(x.add(&x).to_vec::<f32>(), vec![2.0, 4.0]);

    // The trainer checks before any work, and says so in one line.
    let dir = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_learnloss"))
        .args([
            "train", "--dtype", "f64", "--device", "wgpu", "--epochs", "1", "--runs", "1",
        ])
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.starts_with("error: ")
            && stderr.contains("--dtype float64 cannot be used on --device wgpu")
            && stderr.contains(&refusal),
        "{stderr}"
    );
}

/// Adam's state on the device (whatever it offers) goes through a checkpoint file and back
/// into a fresh optimiser, which then steps exactly as the one that was never saved: the step
/// count is a host scalar, so this works without float64 on the device.
#[test]
fn optimiser_state_round_trips_through_a_checkpoint_on_the_adapter() {
    use learnloss::nn::{Linear, Module, Spec};
    use learnloss::optim::{Adam, AdamConfig, Optimizer};
    let Some(dev) = wgpu_or_skip("the wgpu optimiser-state test") else {
        return;
    };
    let make = || {
        let net = Linear::new(5, 3, true, &Spec::new(DType::F32, dev.clone()), &mut Generator::new(7));
        let adam = Adam::new(net.named_parameters(), AdamConfig::default()).unwrap();
        (net, adam)
    };
    let x = Tensor::randn(&[4, 5], DType::F32, &Device::Cpu, &mut Generator::new(8)).to_device(&dev);
    let step = |net: &Linear, adam: &mut Adam| {
        net.forward(&x).tanh().sum_all().backward();
        adam.step();
        adam.zero_grad();
    };
    let (net, mut adam) = make();
    step(&net, &mut adam);
    let state = adam.state_dict();
    assert!(state
        .iter()
        .any(|(name, t)| name.ends_with(".step") && t.dtype() == DType::F64));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("adam.safetensors");
    learnloss::checkpoint::save_tensors(&file, &state, &Default::default()).unwrap();
    let (loaded, _) = learnloss::checkpoint::load_tensors(&file).unwrap();

    let (copy, mut resumed) = make();
    for ((_, p), (_, q)) in copy.named_parameters().iter().zip(net.named_parameters()) {
        p.assign(&q);
    }
    resumed.load_state_dict(&loaded).unwrap();
    step(&net, &mut adam);
    step(&copy, &mut resumed);
    for ((name, p), (_, q)) in net.named_parameters().iter().zip(copy.named_parameters()) {
        assert_eq!(p.device(), &dev);
        assert_eq!(p.to_vec::<f32>(), q.to_vec::<f32>(), "{name}");
    }
}
