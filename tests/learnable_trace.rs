//! The loss network's Hessian trace: every exact method agrees with the seed's loop (values,
//! penalties and the gradients of the penalties in both networks' parameters and p), the
//! per-sample trace equals the trace of the Hessian built element by element, the seed's trace
//! with a batch-normalised first layer is zero, and the penalties' gradients (third order) pass
//! gradcheck through every method; the full objective (task + λ·penalties) and the presets.

mod common;

use common::panic_message;
use learnloss::check::gradcheck;
use learnloss::learnable::{
    energy_terms, learnable_objective, vacuity_warning, vacuous_reason, Activation, BnMode, EnergyTerms, LossNetwork,
    LossNetworkConfig, ObjectiveConfig, Penalties, Preset, TraceDefinition, TraceMethod,
};
use learnloss::nn::{Module, Spec};
use learnloss::{grad, DType, Device, Error, Generator, Tensor};

const ACTIVATIONS: [Activation; 3] = [Activation::Relu, Activation::Tanh, Activation::Softplus];

fn config(
    classes: usize,
    activation: Activation,
    bn: BnMode,
    hidden: &[usize],
    bn_after: &[usize],
) -> LossNetworkConfig {
    LossNetworkConfig {
        classes,
        hidden: hidden.to_vec(),
        bn_after: bn_after.to_vec(),
        bn,
        activation,
    }
}

/// A loss network with non-trivial BatchNorm affine parameters and running statistics.
fn network(config: LossNetworkConfig, seed: u64) -> LossNetwork {
    let mut gen = Generator::new(seed);
    let net = LossNetwork::new(config, &Spec::f64(), &mut gen);
    let state = net.state_dict();
    let dev = Device::Cpu;
    for (name, t) in &state {
        let Some(prefix) = name.strip_suffix(".running_mean") else {
            continue;
        };
        let n = t.numel();
        let find = |suffix: &str| {
            &state
                .iter()
                .find(|(m, _)| m == &format!("{prefix}.{suffix}"))
                .unwrap()
                .1
        };
        t.assign(&Tensor::randn(&[n], DType::F64, &dev, &mut gen).mul_scalar(0.3));
        find("running_var").assign(&Tensor::uniform(&[n], 0.5, 2.0, DType::F64, &dev, &mut gen));
        find("weight").assign(&Tensor::uniform(&[n], 0.5, 1.5, DType::F64, &dev, &mut gen));
        find("bias").assign(&Tensor::randn(&[n], DType::F64, &dev, &mut gen).mul_scalar(0.2));
    }
    net
}

/// Classifier-like probabilities from leaf logits, and one-hot labels.
fn batch(b: usize, c: usize, seed: u64) -> (Tensor, Tensor) {
    let mut gen = Generator::new(seed);
    let logits = Tensor::randn(&[b, c], DType::F64, &Device::Cpu, &mut gen).requires_grad_(true);
    let labels: Vec<f64> = (0..b).map(|i| ((i * 7 + 3) % c) as f64).collect();
    let classes = Tensor::arange(0.0, c as f64, 1.0, DType::F64, &Device::Cpu).reshape(&[1, c]);
    let onehot = Tensor::from_vec(labels, &[b, 1], &Device::Cpu)
        .eq(&classes)
        .mask_to(DType::F64);
    (logits, onehot)
}

/// Everything one method produces, flattened: energy, grad, trace, the three penalties, and the
/// gradients of their sum in the logits and every loss-network parameter.
fn outputs(net: &LossNetwork, logits: &Tensor, y: &Tensor, def: TraceDefinition, method: TraceMethod) -> Vec<Vec<f64>> {
    let p = logits.softmax(1);
    let terms: EnergyTerms = energy_terms(net, &p, y, def, method).expect("valid configuration");
    assert_eq!(method == TraceMethod::Auto, terms.method != method);
    let pen = Penalties::new(&terms);
    let mut wrt = vec![logits.clone()];
    wrt.extend(net.parameters());
    let grads = grad(&[pen.sum()], &wrt, None, false);
    let mut out = vec![
        terms.energy.to_f64_vec(),
        terms.grad.to_f64_vec(),
        terms.trace.to_f64_vec(),
        vec![pen.nonneg.item(), pen.convex.item(), pen.lips.item()],
    ];
    out.extend(grads.iter().map(Tensor::to_f64_vec));
    out
}

/// Each block agrees to `tol` relative to the largest magnitude in it (at least 1e-3, so that a
/// block that is zero in exact arithmetic compares its round-off absolutely).
fn assert_agree(what: &str, a: &[Vec<f64>], b: &[Vec<f64>], tol: f64) {
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        let scale = x.iter().chain(y).fold(1e-3f64, |m, v| m.max(v.abs()));
        for (i, (u, v)) in x.iter().zip(y).enumerate() {
            assert!(
                (u - v).abs() <= tol * scale,
                "{what}: block {k} element {i}: {u} vs {v} (scale {scale})"
            );
        }
    }
}

#[test]
fn every_method_agrees_with_the_loop() {
    for activation in ACTIVATIONS {
        for bn in [BnMode::Train, BnMode::Eval, BnMode::None] {
            for c in [2, 3, 10] {
                // BatchNorm after the second layer only, so that even a coupled trace is not zero.
                for bn_after in [&[0, 1][..], &[1][..]] {
                    let net = network(config(c, activation, bn, &[64, 32, 16], bn_after), 7 + c as u64);
                    let (logits, y) = batch(6, c, 11);
                    let what = format!("{activation} bn={bn} after {bn_after:?} C={c}");
                    let reference = outputs(&net, &logits, &y, TraceDefinition::Seed, TraceMethod::Loop);
                    let batched = outputs(&net, &logits, &y, TraceDefinition::Seed, TraceMethod::Batched);
                    assert_agree(&format!("{what} batched"), &batched, &reference, 1e-10);
                    let auto = outputs(&net, &logits, &y, TraceDefinition::Seed, TraceMethod::Auto);
                    assert_agree(&format!("{what} auto"), &auto, &reference, 1e-10);
                    if bn != BnMode::Train {
                        for method in [TraceMethod::ForwardLaplacian, TraceMethod::Loop] {
                            let per_sample = outputs(&net, &logits, &y, TraceDefinition::PerSample, method);
                            assert_agree(&format!("{what} per-sample {method}"), &per_sample, &reference, 1e-10);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn batched_agrees_with_the_loop_when_classes_outnumber_the_hidden_units() {
    // C = 7 directions through widths 6, 3, 2: the batched trace's first per-sample scale folds
    // into the next weight (as the forward Laplacian's), and tangents wider than the layers flow
    // through training-mode BatchNorm's backward.
    let c = 7;
    for activation in ACTIVATIONS {
        for bn in [BnMode::Train, BnMode::Eval, BnMode::None] {
            for bn_after in [&[0, 1][..], &[1][..], &[2][..]] {
                let net = network(config(c, activation, bn, &[6, 3, 2], bn_after), 41);
                let (logits, y) = batch(5, c, 43);
                let what = format!("{activation} bn={bn} after {bn_after:?} C={c}");
                let reference = outputs(&net, &logits, &y, TraceDefinition::Seed, TraceMethod::Loop);
                let batched = outputs(&net, &logits, &y, TraceDefinition::Seed, TraceMethod::Batched);
                assert_agree(&format!("{what} batched"), &batched, &reference, 1e-10);
            }
        }
    }
}

#[test]
fn per_sample_trace_equals_the_trace_of_the_elementwise_hessian() {
    let c = 4;
    let net = network(config(c, Activation::Tanh, BnMode::None, &[8, 6, 5], &[]), 3);
    let (logits, y) = batch(3, c, 5);
    let p = logits.softmax(1).detach().requires_grad_(true);
    let terms = energy_terms(&net, &p, &y, TraceDefinition::PerSample, TraceMethod::ForwardLaplacian).unwrap();
    let energy = net.energy(&p, &y);
    for b in 0..3 {
        let g = grad(&[energy.select(0, b)], std::slice::from_ref(&p), None, true).remove(0);
        let mut hessian = vec![vec![0.0; c]; c];
        for (i, row) in hessian.iter_mut().enumerate() {
            let gi = grad(&[g.select(0, b).select(0, i)], std::slice::from_ref(&p), None, false).remove(0);
            let gi = gi.to_f64_vec();
            // Other samples do not enter E_b.
            for (k, v) in gi.iter().enumerate() {
                if k / c != b {
                    assert!(v.abs() < 1e-14, "sample {b} depends on sample {}", k / c);
                }
            }
            row.copy_from_slice(&gi[b * c..(b + 1) * c]);
        }
        let symmetric = (0..c).all(|i| (0..c).all(|j| (hessian[i][j] - hessian[j][i]).abs() < 1e-12));
        assert!(symmetric, "Hessian not symmetric: {hessian:?}");
        let trace: f64 = (0..c).map(|i| hessian[i][i]).sum();
        let fast = terms.trace.to_f64_vec()[b];
        assert!(
            (trace - fast).abs() < 1e-12 * trace.abs().max(1.0),
            "sample {b}: {trace} vs {fast}"
        );
        assert!(trace.abs() > 1e-4, "a Tanh network has curvature");
    }
}

#[test]
fn seed_trace_with_batch_normalised_first_layer_is_zero() {
    // Training-mode BatchNorm right after the first Linear removes any shift of an input feature
    // applied to the whole batch. Σ_b' ∂E/∂p[b', i] is the derivative of ΣE along such a shift,
    // so it is identically zero, and so is its derivative in p: the seed's trace vanishes
    // whatever the activation (DESIGN §4).
    for activation in ACTIVATIONS {
        let net = network(
            LossNetworkConfig {
                activation,
                ..LossNetworkConfig::seed(5)
            },
            9,
        );
        let (logits, y) = batch(8, 5, 13);
        let p = logits.softmax(1);
        for method in [TraceMethod::Loop, TraceMethod::Batched] {
            let terms = energy_terms(&net, &p, &y, TraceDefinition::Seed, method).unwrap();
            let column_sums = terms.grad.sum(&[0], false).to_f64_vec();
            let scale = terms.grad.abs().max_all().item();
            assert!(
                column_sums.iter().all(|s| s.abs() < 1e-13 * scale.max(1.0)),
                "{column_sums:?}"
            );
            let trace = terms.trace.to_f64_vec();
            assert!(
                trace.iter().all(|t| t.abs() < 1e-12),
                "{activation} {method}: {trace:?}"
            );
        }
        assert!(vacuous_reason(&net, TraceDefinition::Seed).is_some());
    }
}

#[test]
fn undefined_combinations_are_configuration_errors() {
    let net = network(LossNetworkConfig::seed(3), 1);
    let (logits, y) = batch(4, 3, 2);
    let p = logits.softmax(1);
    let err = energy_terms(&net, &p, &y, TraceDefinition::PerSample, TraceMethod::Auto)
        .err()
        .expect("coupled");
    assert!(
        matches!(err, Error::Config(_)) && err.to_string().contains("independent samples"),
        "{err}"
    );
    let err = energy_terms(&net, &p, &y, TraceDefinition::Seed, TraceMethod::ForwardLaplacian)
        .err()
        .expect("coupled");
    assert!(err.to_string().contains("forward Laplacian"), "{err}");
    let msg = panic_message(|| {
        net.energy(&p, &p.narrow(1, 0, 2));
    });
    assert!(msg.contains("[4, 3]") && msg.contains("[4, 2]"), "{msg}");
}

#[test]
fn vacuous_configurations_are_named() {
    let seed = network(LossNetworkConfig::seed(3), 1);
    let why = vacuous_reason(&seed, TraceDefinition::Seed).expect("the seed preset is vacuous");
    assert!(why.contains("batch-normalised"), "{why}");
    let relu_plain = network(config(3, Activation::Relu, BnMode::None, &[8, 4], &[]), 1);
    let why = vacuous_reason(&relu_plain, TraceDefinition::PerSample).expect("piecewise linear");
    assert!(why.contains("piecewise linear"), "{why}");
    let meaningful = network(config(3, Activation::Softplus, BnMode::None, &[64, 32, 16], &[]), 1);
    assert!(vacuous_reason(&meaningful, TraceDefinition::PerSample).is_none());
    let coupled_later = network(config(3, Activation::Tanh, BnMode::Train, &[8, 4], &[1]), 1);
    assert!(vacuous_reason(&coupled_later, TraceDefinition::Seed).is_none());
}

#[test]
fn penalty_gradients_pass_gradcheck_through_every_method() {
    // d(L_nonneg + L_convex + L_lips)/d(θ, logits): third order in the loss network.
    let cases = [
        (Activation::Tanh, BnMode::Train, &[1][..], TraceDefinition::Seed),
        (
            Activation::Softplus,
            BnMode::Eval,
            &[0, 1][..],
            TraceDefinition::PerSample,
        ),
        (Activation::Tanh, BnMode::None, &[][..], TraceDefinition::PerSample),
    ];
    for (activation, bn, bn_after, def) in cases {
        let cfg = config(3, activation, bn, &[5, 4, 3], bn_after);
        let net = network(cfg.clone(), 21);
        let (logits, y) = batch(4, 3, 22);
        let mut inputs = vec![logits];
        inputs.extend(net.parameters());
        let methods: &[TraceMethod] = if bn == BnMode::Train {
            &[TraceMethod::Loop, TraceMethod::Batched]
        } else {
            &[TraceMethod::Loop, TraceMethod::Batched, TraceMethod::ForwardLaplacian]
        };
        for &method in methods {
            let f = |a: &[Tensor]| {
                let mut net = network(cfg.clone(), 21);
                net.set_parameters(&a[1..]);
                let terms = energy_terms(&net, &a[0].softmax(1), &y, def, method).unwrap();
                Penalties::new(&terms).sum()
            };
            let value = f(&inputs).item();
            assert!(value > 0.0, "the penalties are not all zero");
            gradcheck(f, &inputs).unwrap_or_else(|e| panic!("{activation} bn={bn} {method}: {e}"));
        }
    }
}

#[test]
fn objective_is_task_plus_lambda_penalties_and_passes_gradcheck() {
    // total = BCE(p, y) + λ·(nonneg + convex + lips), differentiable in the logits (the classifier
    // side) and in every loss-network parameter, for both presets' trace definitions.
    for preset in [Preset::Seed, Preset::Meaningful] {
        let mut cfg = preset.loss_network(3);
        cfg.hidden = vec![5, 4, 3];
        if preset == Preset::Seed {
            // The seed's BatchNorm on the first layer makes the convexity term vacuous; keep one
            // coupled layer that is not the first so that every term has a gradient to check.
            cfg.bn_after = vec![1];
            cfg.activation = Activation::Tanh;
        }
        let objective = ObjectiveConfig {
            lambda: 0.3,
            ..ObjectiveConfig::for_preset(preset)
        };
        let net = network(cfg.clone(), 31);
        let (logits, y) = batch(4, 3, 32);
        let p = logits.softmax(1).clamp(Some(1e-7), Some(1.0 - 1e-7));
        let terms = learnable_objective(&net, &p, &y, &objective).unwrap();
        // The task term by hand: -mean(y·log p + (1-y)·log(1-p)).
        let (pv, yv) = (p.to_vec::<f64>(), y.to_vec::<f64>());
        let bce = -pv
            .iter()
            .zip(&yv)
            .map(|(p, y)| y * p.ln() + (1.0 - y) * (1.0 - p).ln())
            .sum::<f64>()
            / pv.len() as f64;
        assert!(
            (terms.task.item() - bce).abs() < 1e-14,
            "{preset}: task {}",
            terms.task.item()
        );
        let expected = bce + 0.3 * (terms.nonneg.item() + terms.convex.item() + terms.lips.item());
        assert!((terms.total.item() - expected).abs() < 1e-14, "{preset}: total");
        assert!(terms.convex.item() >= 0.0 && terms.lips.item() > 0.0);

        let mut inputs = vec![logits];
        inputs.extend(net.parameters());
        let f = |a: &[Tensor]| {
            let mut net = network(cfg.clone(), 31);
            net.set_parameters(&a[1..]);
            let p = a[0].softmax(1).clamp(Some(1e-7), Some(1.0 - 1e-7));
            learnable_objective(&net, &p, &y, &objective).unwrap().total
        };
        gradcheck(f, &inputs).unwrap_or_else(|e| panic!("{preset}: {e}"));
    }
}

#[test]
fn presets_are_the_seed_and_the_meaningful_penalty() {
    let seed = Preset::Seed.loss_network(10);
    assert_eq!(seed, LossNetworkConfig::seed(10));
    assert_eq!(Preset::Seed.trace_definition(), TraceDefinition::Seed);
    let meaningful = Preset::Meaningful.loss_network(10);
    assert_eq!(meaningful.activation, Activation::Softplus);
    assert_eq!(meaningful.bn, BnMode::None);
    assert_eq!(Preset::Meaningful.trace_definition(), TraceDefinition::PerSample);
    assert_eq!("Meaningful".parse::<Preset>(), Ok(Preset::Meaningful));
    assert!("loose".parse::<Preset>().unwrap_err().contains("seed or meaningful"));

    // The seed preset is vacuous and says so once; the meaningful one is not.
    let seed_net = network(seed, 1);
    let warning = vacuity_warning(&seed_net, &ObjectiveConfig::for_preset(Preset::Seed)).unwrap();
    assert!(warning.contains("identically zero"), "{warning}");
    let meaningful_net = network(meaningful, 1);
    assert!(vacuity_warning(&meaningful_net, &ObjectiveConfig::for_preset(Preset::Meaningful)).is_none());
    // And its trace is not zero: the penalty can act.
    let (logits, y) = batch(6, 10, 2);
    let terms = energy_terms(
        &meaningful_net,
        &logits.softmax(1),
        &y,
        TraceDefinition::PerSample,
        TraceMethod::Auto,
    )
    .unwrap();
    assert!(terms.trace.abs().max_all().item() > 1e-6);
    assert_eq!(terms.method, TraceMethod::ForwardLaplacian);
}
