//! Adam and SGD trajectories against torch.optim itself: writes learnloss's parameter after each
//! of several steps for a range of hyperparameters and runs `python3 tests/torch_optim.py FILE`,
//! which replays them with PyTorch (skipping, with the reason, without python3 or PyTorch unless
//! LEARNLOSS_REQUIRE_TORCH=1).

use learnloss::checkpoint::save_tensors;
use learnloss::optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use learnloss::{backward, DType, Device, Generator, Tensor};
use std::collections::BTreeMap;
use std::process::Command;

const DEV: Device = Device::Cpu;
const N: usize = 37;
const STEPS: usize = 4;

/// Runs `opt` (over one parameter, initially `p0`) on seeded gradients; returns `p0`, the
/// gradients and the parameter after each step, as [N], [STEPS, N] and [STEPS, N] tensors.
fn record(opt: &mut dyn Optimizer, p0: &Tensor, gen: &mut Generator) -> [Tensor; 3] {
    let p = opt.named_parameters()[0].1.clone();
    let (mut grads, mut traj) = (Vec::new(), Vec::new());
    for _ in 0..STEPS {
        let g = Tensor::randn(&[N], DType::F64, &DEV, gen);
        p.zero_grad();
        backward(&p.mul_scalar(1.0), Some(&g), false);
        opt.step();
        grads.extend(g.to_vec::<f64>());
        traj.extend(p.to_vec::<f64>());
    }
    [
        p0.clone(),
        Tensor::from_vec(grads, &[STEPS, N], &DEV),
        Tensor::from_vec(traj, &[STEPS, N], &DEV),
    ]
}

#[test]
fn adam_and_sgd_follow_torch_optim() {
    let mut gen = Generator::new(8);
    let adams = [
        AdamConfig::default(),
        AdamConfig {
            lr: 0.1,
            betas: (0.8, 0.95),
            eps: 1e-3,
            weight_decay: 0.0,
        },
        AdamConfig {
            lr: 0.05,
            weight_decay: 0.1,
            ..AdamConfig::default()
        },
    ];
    let sgds = [
        SgdConfig::lr(0.1),
        SgdConfig {
            momentum: 0.9,
            dampening: 0.3,
            ..SgdConfig::lr(0.1)
        },
        SgdConfig {
            momentum: 0.5,
            weight_decay: 0.2,
            nesterov: true,
            ..SgdConfig::lr(0.1)
        },
    ];
    let mut tensors = Vec::new();
    let mut meta = BTreeMap::new();
    let mut add = |case: String, spec: String, recorded: [Tensor; 3]| {
        for (suffix, t) in ["p0", "grads", "trajectory"].into_iter().zip(recorded) {
            tensors.push((format!("{case}.{suffix}"), t));
        }
        meta.insert(case, spec);
    };
    for (i, c) in adams.iter().enumerate() {
        let p0 = Tensor::randn(&[N], DType::F64, &DEV, &mut gen);
        let initial = Tensor::from_vec(p0.to_vec::<f64>(), &[N], &DEV);
        let mut opt = Adam::new(vec![("p".into(), p0.requires_grad_(true))], c.clone()).unwrap();
        let spec = format!(
            "adam lr={} beta1={} beta2={} eps={} weight_decay={}",
            c.lr, c.betas.0, c.betas.1, c.eps, c.weight_decay
        );
        add(format!("adam{i}"), spec, record(&mut opt, &initial, &mut gen));
    }
    for (i, c) in sgds.iter().enumerate() {
        let p0 = Tensor::randn(&[N], DType::F64, &DEV, &mut gen);
        let initial = Tensor::from_vec(p0.to_vec::<f64>(), &[N], &DEV);
        let mut opt = Sgd::new(vec![("p".into(), p0.requires_grad_(true))], c.clone()).unwrap();
        let spec = format!(
            "sgd lr={} momentum={} dampening={} weight_decay={} nesterov={}",
            c.lr,
            c.momentum,
            c.dampening,
            c.weight_decay,
            u8::from(c.nesterov)
        );
        add(format!("sgd{i}"), spec, record(&mut opt, &initial, &mut gen));
    }

    let path = std::env::temp_dir().join(format!("learnloss-torch-optim-{}.safetensors", std::process::id()));
    save_tensors(&path, &tensors, &meta).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/torch_optim.py");
    let out = match Command::new("python3").arg(script).arg(&path).output() {
        Ok(out) => out,
        Err(e) => {
            let required = std::env::var("LEARNLOSS_REQUIRE_TORCH").as_deref() == Ok("1");
            assert!(!required, "LEARNLOSS_REQUIRE_TORCH=1 but python3 cannot run: {e}");
            println!("skipped: python3 cannot run ({e})");
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "torch_optim.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_file(&path);
}
