//! Task losses: gradcheck and gradgradcheck under every reduction, with class weights,
//! pos_weight, label smoothing, ignore_index and soft targets, with respect to every float input
//! (targets included where they are differentiable, and the weights, which we differentiate
//! although PyTorch does not). Inputs stay away from the kinks (hinges, clamps, |0|) where a
//! central difference is not a derivative, except where the loss is smooth through one: BCE on
//! logits at exactly 0.

use super::{check_both, dev, randn, uniform};
use learnloss::loss::{
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, cross_entropy_plus_l1, kl_div, l1_loss,
    l1_penalty, margin_ranking_loss, mse_loss, multi_margin_loss, multilabel_soft_margin_loss, nll_loss,
    weighted_cross_entropy_over_batch, CrossEntropyOptions, KlReduction, Reduction,
};
use learnloss::Tensor;

const REDUCTIONS: [Reduction; 3] = [Reduction::None, Reduction::Mean, Reduction::Sum];

/// Runs both checks of `f` under each reduction.
fn check_reductions(name: &str, f: impl Fn(&[Tensor], Reduction) -> Tensor, inputs: &[Tensor]) {
    for r in REDUCTIONS {
        check_both(&format!("{name} ({r:?})"), |x| f(x, r), inputs);
    }
}

fn classes(v: &[i64], shape: &[usize]) -> Tensor {
    Tensor::from_slice(v, shape, &dev())
}

#[test]
fn bce_on_probabilities() {
    let p = uniform(&[2, 3], 0.05, 0.95, 200);
    let y = uniform(&[2, 3], 0.0, 1.0, 201);
    check_reductions(
        "bce",
        |x, r| binary_cross_entropy(&x[0], &x[1], None, r),
        &[p.clone(), y.clone()],
    );
    let w = uniform(&[3], 0.5, 2.0, 202);
    check_reductions(
        "bce weighted",
        |x, r| binary_cross_entropy(&x[0], &x[1], Some(&x[2]), r),
        &[p, y, w],
    );
}

#[test]
fn bce_with_logits_plain_weighted_and_pos_weighted() {
    // Includes 0 (smooth there, and our composition is too) and large |x|.
    let x = Tensor::from_vec(vec![-25.0, -2.0, 0.0, 0.4, 3.0, 25.0], &[2, 3], &dev()).requires_grad_(true);
    let y = uniform(&[2, 3], 0.0, 1.0, 203);
    check_reductions(
        "bce_with_logits",
        |a, r| binary_cross_entropy_with_logits(&a[0], &a[1], None, None, r),
        &[x.clone(), y.clone()],
    );
    let w = uniform(&[2, 3], 0.5, 2.0, 204);
    let pw = uniform(&[3], 0.5, 3.0, 205);
    check_reductions(
        "bce_with_logits weight + pos_weight",
        |a, r| binary_cross_entropy_with_logits(&a[0], &a[1], Some(&a[2]), Some(&a[3]), r),
        &[x, y, w, pw],
    );
}

#[test]
fn multilabel_soft_margin() {
    let x = randn(&[3, 4], 206);
    let y = Tensor::from_vec(
        vec![1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        &[3, 4],
        &dev(),
    );
    check_reductions(
        "multilabel_soft_margin",
        |a, r| multilabel_soft_margin_loss(&a[0], &y, None, r),
        std::slice::from_ref(&x),
    );
    let soft = uniform(&[3, 4], 0.0, 1.0, 207);
    let w = uniform(&[4], 0.5, 2.0, 208);
    check_reductions(
        "multilabel_soft_margin weighted, soft target",
        |a, r| multilabel_soft_margin_loss(&a[0], &a[1], Some(&a[2]), r),
        &[x, soft, w],
    );
}

#[test]
fn cross_entropy_class_indices() {
    let logits = randn(&[4, 5], 210);
    let target = classes(&[3, -100, 1, 0], &[4]);
    check_reductions(
        "cross_entropy ignore_index",
        |a, r| {
            let opts = CrossEntropyOptions {
                reduction: r,
                ..Default::default()
            };
            cross_entropy(&a[0], &target, &opts)
        },
        std::slice::from_ref(&logits),
    );
    let w = uniform(&[5], 0.2, 2.0, 211);
    for ls in [0.0, 0.2] {
        check_reductions(
            &format!("cross_entropy weighted, ignore_index, label_smoothing {ls}"),
            |a, r| {
                let opts = CrossEntropyOptions {
                    weight: Some(a[1].clone()),
                    reduction: r,
                    label_smoothing: ls,
                    ..Default::default()
                };
                cross_entropy(&a[0], &target, &opts)
            },
            &[logits.clone(), w.clone()],
        );
    }
}

#[test]
fn cross_entropy_spatial_and_unbatched() {
    let logits = randn(&[2, 3, 2], 212);
    let target = classes(&[2, 0, 1, 1], &[2, 2]);
    let w = uniform(&[3], 0.2, 2.0, 213);
    check_reductions(
        "cross_entropy [N, C, d] weighted + smoothing",
        |a, r| {
            let opts = CrossEntropyOptions {
                weight: Some(a[1].clone()),
                reduction: r,
                label_smoothing: 0.1,
                ..Default::default()
            };
            cross_entropy(&a[0], &target, &opts)
        },
        &[logits, w],
    );
    let single = randn(&[4], 214);
    let label = classes(&[2], &[]);
    check_reductions(
        "cross_entropy unbatched",
        |a, r| {
            let opts = CrossEntropyOptions {
                reduction: r,
                label_smoothing: 0.3,
                ..Default::default()
            };
            cross_entropy(&a[0], &label, &opts)
        },
        &[single],
    );
}

#[test]
fn cross_entropy_probability_targets() {
    let logits = randn(&[3, 4], 215);
    let probs = uniform(&[3, 4], 0.0, 1.0, 216);
    let w = uniform(&[4], 0.2, 2.0, 217);
    for ls in [0.0, 0.25] {
        check_reductions(
            &format!("cross_entropy soft targets, weighted, label_smoothing {ls}"),
            |a, r| {
                let opts = CrossEntropyOptions {
                    weight: Some(a[2].clone()),
                    reduction: r,
                    label_smoothing: ls,
                    ..Default::default()
                };
                cross_entropy(&a[0], &a[1], &opts)
            },
            &[logits.clone(), probs.clone(), w.clone()],
        );
    }
}

#[test]
fn nll_loss_weighted_with_ignore_index() {
    let log_probs = randn(&[4, 3], 218);
    let target = classes(&[0, 2, 1, 2], &[4]);
    let w = uniform(&[3], 0.2, 2.0, 219);
    check_reductions(
        "nll_loss",
        |a, r| nll_loss(&a[0], &target, None, -100, r),
        std::slice::from_ref(&log_probs),
    );
    // Class 1 is ignored: the weighted mean's denominator leaves it out.
    check_reductions(
        "nll_loss weighted, ignore_index 1",
        |a, r| nll_loss(&a[0], &target, Some(&a[1]), 1, r),
        &[log_probs, w],
    );
}

#[test]
fn kl_div_every_reduction() {
    let input = randn(&[2, 3], 220);
    let with_zeros = Tensor::from_vec(vec![0.0, 0.7, 0.3, 0.2, 0.0, 0.8], &[2, 3], &dev());
    let positive = uniform(&[2, 3], 0.1, 1.0, 221);
    let log_target = randn(&[2, 3], 222);
    for r in [
        KlReduction::None,
        KlReduction::BatchMean,
        KlReduction::Mean,
        KlReduction::Sum,
    ] {
        check_both(
            &format!("kl_div zero targets ({r:?})"),
            |a| kl_div(&a[0], &with_zeros, r, false),
            std::slice::from_ref(&input),
        );
        check_both(
            &format!("kl_div ({r:?})"),
            |a| kl_div(&a[0], &a[1], r, false),
            &[input.clone(), positive.clone()],
        );
        check_both(
            &format!("kl_div log_target ({r:?})"),
            |a| kl_div(&a[0], &a[1], r, true),
            &[input.clone(), log_target.clone()],
        );
    }
}

#[test]
fn multi_margin_p1_and_p2() {
    let x = randn(&[3, 4], 223);
    let target = classes(&[2, 0, 3], &[3]);
    let w = uniform(&[4], 0.5, 2.0, 224);
    for p in [1, 2] {
        check_reductions(
            &format!("multi_margin p={p}"),
            |a, r| multi_margin_loss(&a[0], &target, p, 1.0, None, r),
            std::slice::from_ref(&x),
        );
        check_reductions(
            &format!("multi_margin p={p} weighted, margin 0.6"),
            |a, r| multi_margin_loss(&a[0], &target, p, 0.6, Some(&a[1]), r),
            &[x.clone(), w.clone()],
        );
    }
}

#[test]
fn margin_ranking() {
    let x1 = randn(&[5], 225);
    let x2 = randn(&[5], 226);
    let y = Tensor::from_vec(vec![1.0, -1.0, 1.0, -1.0, 1.0], &[5], &dev()).requires_grad_(true);
    check_reductions(
        "margin_ranking",
        |a, r| margin_ranking_loss(&a[0], &a[1], &a[2], 0.5, r),
        &[x1, x2, y],
    );
}

#[test]
fn mse_l1_and_l1_penalty() {
    let a = randn(&[2, 3], 227);
    let b = randn(&[2, 3], 228);
    check_reductions("mse", |x, r| mse_loss(&x[0], &x[1], r), &[a.clone(), b.clone()]);
    check_reductions("l1", |x, r| l1_loss(&x[0], &x[1], r), &[a.clone(), b.clone()]);
    let c = randn(&[4], 229);
    // The penalty is piecewise linear; squared so that gradgradcheck sees non-zero curvature.
    check_both(
        "l1_penalty",
        |x| l1_penalty(&[x[0].clone(), x[1].clone(), x[2].clone()]).square(),
        &[a, b, c],
    );
}

/// The loss-comparison study's weighted cross-entropy (divided by the batch size), in the
/// logits and the class weights.
#[test]
fn weighted_cross_entropy_over_batch_in_logits_and_weights() {
    let x = randn(&[4, 3], 230);
    let w = uniform(&[3], 0.5, 2.0, 231);
    let t = classes(&[2, 0, 1, 0], &[4]);
    check_both(
        "weighted_cross_entropy_over_batch",
        |a| weighted_cross_entropy_over_batch(&a[0], &t, &a[1]),
        &[x, w],
    );
}

/// The study's combined loss: cross-entropy of a linear model plus α·L1 of its parameters,
/// in the input and in both parameters (kept away from |0|; squared, like `l1_penalty`, so
/// that the piecewise-linear term has curvature for gradgradcheck).
#[test]
fn cross_entropy_plus_l1_in_input_and_parameters() {
    let x = randn(&[4, 3], 232);
    let w = uniform(&[3, 5], 0.1, 0.9, 233);
    let b = uniform(&[5], -0.9, -0.1, 234);
    let t = classes(&[4, 0, 1, 3], &[4]);
    check_both(
        "cross_entropy_plus_l1",
        |a| {
            let logits = a[0].matmul(&a[1]).add(&a[2]);
            cross_entropy_plus_l1(&logits, &t, &[a[1].clone(), a[2].clone()], 0.3).square()
        },
        &[x, w, b],
    );
}
