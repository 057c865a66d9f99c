//! `learnloss::optim`: Adam and SGD trajectories in f64 against the update formulas written out
//! with plain f64 arithmetic, parameters without gradients, configuration errors, and state
//! dicts (round trip and load errors).

mod common;

use common::assert_close;
use learnloss::optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use learnloss::{backward, DType, Device, Error, Tensor};

const P0: [f64; 4] = [0.5, -1.25, 2.0, 0.0];
const GRADS: [[f64; 4]; 2] = [[0.3, -0.7, 1.5, 1e-4], [-0.2, -0.4, 2.5, -3.0]];

fn param(values: &[f64]) -> Tensor {
    Tensor::from_slice(values, &[values.len()], &Device::Cpu).requires_grad_(true)
}

/// Makes `p.grad()` exactly `g` (backward through `p·1` seeded with `g`).
fn set_grad(p: &Tensor, g: &[f64]) {
    p.zero_grad();
    let seed = Tensor::from_slice(g, p.shape(), &Device::Cpu);
    backward(&p.mul_scalar(1.0), Some(&seed), false);
}

/// Runs `opt` over the gradients in `GRADS` and returns the parameter after each step.
fn trajectory(opt: &mut dyn Optimizer) -> Vec<Vec<f64>> {
    let p = opt.named_parameters()[0].1.clone();
    GRADS
        .iter()
        .map(|g| {
            set_grad(&p, g);
            opt.step();
            p.to_vec::<f64>()
        })
        .collect()
}

/// Adam written out elementwise: L2 decay, moments, bias corrections.
fn adam_reference(c: &AdamConfig) -> Vec<Vec<f64>> {
    let (b1, b2) = c.betas;
    let mut p = P0.to_vec();
    let (mut m, mut v) = (vec![0.0; 4], vec![0.0; 4]);
    let mut out = Vec::new();
    for (t, grads) in GRADS.iter().enumerate() {
        let t = (t + 1) as f64;
        for i in 0..4 {
            let g = grads[i] + c.weight_decay * p[i];
            m[i] = b1 * m[i] + (1.0 - b1) * g;
            v[i] = b2 * v[i] + (1.0 - b2) * g * g;
            let bc1 = 1.0 - b1.powf(t);
            let bc2 = 1.0 - b2.powf(t);
            p[i] -= c.lr / bc1 * m[i] / (v[i].sqrt() / bc2.sqrt() + c.eps);
        }
        out.push(p.clone());
    }
    out
}

/// SGD written out elementwise: L2 decay, momentum buffer (the first one undamped), Nesterov.
fn sgd_reference(c: &SgdConfig) -> Vec<Vec<f64>> {
    let mut p = P0.to_vec();
    let mut buf: Option<Vec<f64>> = None;
    let mut out = Vec::new();
    for grads in GRADS {
        let g: Vec<f64> = (0..4).map(|i| grads[i] + c.weight_decay * p[i]).collect();
        let step: Vec<f64> = if c.momentum != 0.0 {
            let b: Vec<f64> = match &buf {
                None => g.clone(),
                Some(b) => (0..4).map(|i| c.momentum * b[i] + (1.0 - c.dampening) * g[i]).collect(),
            };
            let d = if c.nesterov {
                (0..4).map(|i| g[i] + c.momentum * b[i]).collect()
            } else {
                b.clone()
            };
            buf = Some(b);
            d
        } else {
            g
        };
        for i in 0..4 {
            p[i] -= c.lr * step[i];
        }
        out.push(p.clone());
    }
    out
}

fn check_trajectory(actual: &[Vec<f64>], expected: &[Vec<f64>]) {
    for (a, e) in actual.iter().zip(expected) {
        assert_close(a, e, 1e-12);
    }
}

fn adam_over(c: &AdamConfig) -> Adam {
    Adam::new(vec![("w".to_string(), param(&P0))], c.clone()).unwrap()
}

fn sgd_over(c: &SgdConfig) -> Sgd {
    Sgd::new(vec![("w".to_string(), param(&P0))], c.clone()).unwrap()
}

#[test]
fn adam_default_two_steps_match_the_formula() {
    let c = AdamConfig::default();
    check_trajectory(&trajectory(&mut adam_over(&c)), &adam_reference(&c));
}

#[test]
fn adam_custom_betas_and_large_eps_match_the_formula() {
    let c = AdamConfig {
        lr: 0.1,
        betas: (0.8, 0.95),
        eps: 1e-3,
        weight_decay: 0.0,
    };
    check_trajectory(&trajectory(&mut adam_over(&c)), &adam_reference(&c));
}

#[test]
fn adam_with_l2_weight_decay_matches_the_formula() {
    let c = AdamConfig {
        lr: 0.05,
        weight_decay: 0.1,
        ..AdamConfig::default()
    };
    check_trajectory(&trajectory(&mut adam_over(&c)), &adam_reference(&c));
}

#[test]
fn sgd_variants_match_the_formula() {
    let configs = [
        SgdConfig::lr(0.1),
        SgdConfig {
            momentum: 0.9,
            ..SgdConfig::lr(0.1)
        },
        SgdConfig {
            momentum: 0.9,
            dampening: 0.3,
            ..SgdConfig::lr(0.1)
        },
        SgdConfig {
            momentum: 0.8,
            nesterov: true,
            ..SgdConfig::lr(0.05)
        },
        SgdConfig {
            weight_decay: 0.01,
            ..SgdConfig::lr(0.1)
        },
        SgdConfig {
            momentum: 0.5,
            weight_decay: 0.2,
            nesterov: true,
            ..SgdConfig::lr(0.1)
        },
    ];
    for c in configs {
        check_trajectory(&trajectory(&mut sgd_over(&c)), &sgd_reference(&c));
    }
}

#[test]
fn parameters_without_a_gradient_are_untouched_and_get_no_state() {
    let a = param(&[1.0, 2.0]);
    let b = param(&[3.0]);
    let named = vec![("a".to_string(), a.clone()), ("b".to_string(), b.clone())];
    let mut adam = Adam::new(named.clone(), AdamConfig::default()).unwrap();
    let momentum = SgdConfig {
        momentum: 0.9,
        ..SgdConfig::lr(0.1)
    };
    let mut sgd = Sgd::new(named, momentum).unwrap();
    set_grad(&a, &[0.5, -0.5]);
    adam.step();
    sgd.step();
    assert_eq!(b.to_vec::<f64>(), [3.0]);
    assert_ne!(a.to_vec::<f64>(), [1.0, 2.0]);
    assert_eq!(adam.step_count("a"), Some(1));
    assert_eq!(adam.step_count("b"), Some(0));
    let names: Vec<String> = adam.state_dict().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["a.step", "a.exp_avg", "a.exp_avg_sq"]);
    let names: Vec<String> = sgd.state_dict().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["a.momentum_buffer"]);
    adam.zero_grad();
    assert!(a.grad().is_none());
}

#[test]
fn set_lr_changes_the_next_step() {
    let c = SgdConfig::lr(0.1);
    let mut sgd = sgd_over(&c);
    sgd.set_lr(0.5);
    assert_eq!(sgd.lr(), 0.5);
    let out = trajectory(&mut sgd);
    check_trajectory(&out, &sgd_reference(&SgdConfig::lr(0.5)));
}

#[test]
fn bad_configurations_are_errors() {
    let nesterov_without_momentum = SgdConfig {
        nesterov: true,
        ..SgdConfig::lr(0.1)
    };
    let nesterov_with_dampening = SgdConfig {
        nesterov: true,
        momentum: 0.9,
        dampening: 0.1,
        ..SgdConfig::lr(0.1)
    };
    for c in [nesterov_without_momentum, nesterov_with_dampening] {
        let e = Sgd::new(vec![], c).err().expect("nesterov config must be rejected");
        assert!(matches!(e, Error::Config(ref m) if m.contains("Nesterov")), "{e}");
    }
    let bad_beta = AdamConfig {
        betas: (1.0, 0.999),
        ..AdamConfig::default()
    };
    let e = Adam::new(vec![], bad_beta).err().unwrap();
    assert!(e.to_string().contains("beta parameter at index 0"), "{e}");
    let twice = vec![("w".to_string(), param(&[1.0])), ("w".to_string(), param(&[2.0]))];
    let e = Adam::new(twice, AdamConfig::default()).err().unwrap();
    assert!(e.to_string().contains("w appears twice"), "{e}");
    let ints = vec![("i".to_string(), Tensor::zeros(&[2], DType::I64, &Device::Cpu))];
    assert!(Sgd::new(ints, SgdConfig::default()).is_err());
}

#[test]
fn state_dict_round_trip_continues_bit_exactly() {
    let c = AdamConfig {
        lr: 0.1,
        ..AdamConfig::default()
    };
    let mut first = adam_over(&c);
    trajectory(&mut first);
    let p = first.named_parameters()[0].1.clone();
    let fresh = param(&p.to_vec::<f64>());
    let mut second = Adam::new(vec![("w".to_string(), fresh.clone())], c).unwrap();
    second.load_state_dict(&first.state_dict()).unwrap();
    assert_eq!(second.step_count("w"), Some(2));
    for (opt, p) in [(&mut first, &p), (&mut second, &fresh)] {
        set_grad(p, &[0.1, 0.2, 0.3, 0.4]);
        opt.step();
    }
    let bits = |t: &Tensor| t.to_vec::<f64>().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&p), bits(&fresh));
}

#[test]
fn load_state_dict_reports_the_first_mismatch_and_changes_nothing() {
    let mut adam = adam_over(&AdamConfig::default());
    trajectory(&mut adam);
    let good = adam.state_dict();
    let dev = Device::Cpu;

    let mut wrong_shape = good.clone();
    wrong_shape[1].1 = Tensor::zeros(&[2, 2], DType::F64, &dev);
    let e = adam.load_state_dict(&wrong_shape).unwrap_err().to_string();
    assert!(
        e.contains("w.exp_avg has shape [2, 2], the optimizer expects [4]"),
        "{e}"
    );

    let mut wrong_dtype = good.clone();
    wrong_dtype[2].1 = Tensor::zeros(&[4], DType::F32, &dev);
    let e = adam.load_state_dict(&wrong_dtype).unwrap_err().to_string();
    assert!(e.contains("w.exp_avg_sq has dtype float32"), "{e}");

    let mut unexpected = good.clone();
    unexpected.push(("v.exp_avg".to_string(), Tensor::zeros(&[4], DType::F64, &dev)));
    let e = adam.load_state_dict(&unexpected).unwrap_err().to_string();
    assert!(e.contains("unexpected entry v.exp_avg"), "{e}");

    let e = adam.load_state_dict(&good[..2]).unwrap_err().to_string();
    assert!(e.contains("lacks entry w.exp_avg_sq"), "{e}");

    let mut fractional = good.clone();
    fractional[0].1 = Tensor::scalar(1.5, DType::F64, &dev);
    assert!(adam.load_state_dict(&fractional).is_err());

    assert_eq!(adam.step_count("w"), Some(2));
    adam.load_state_dict(&[]).unwrap();
    assert_eq!(adam.step_count("w"), Some(0));
}
