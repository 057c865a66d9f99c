//! Loss values and gradients against PyTorch (float64): every loss, every reduction, class
//! weights, pos_weight, label smoothing, ignore_index, soft targets, and the edge cases (p exactly
//! 0 or 1 in BCE, huge logits, every target ignored, zero targets in KL, batchmean vs mean), plus
//! the panics that report programmer errors.
//!
//! The expected numbers were computed with PyTorch 2.15 on these inputs (the same literals as
//! below), each constant's comment giving the expression that produced it:
//!
//! ```python
//! import torch, torch.nn.functional as F
//! torch.set_default_dtype(torch.float64)
//! T = torch.tensor
//! p = T([0.0, 1.0, 0.0, 1.0, 0.3, 0.9, 1e-50, 0.5])
//! y = T([1.0, 0.0, 0.0, 1.0, 0.4, 0.2, 1.0, 0.5])
//! w8 = T([0.5, 2.0, 1.0, 1.5, 0.25, 3.0, 1.0, 0.75])
//! pi = T([0.3, 0.9, 0.05, 0.6])
//! yi = T([0.4, 0.2, 1.0, 0.0])
//! x = T([[-1000.0, -30.0, -2.5, 0.0], [0.7, 30.0, 1000.0, 15.0]])
//! xt = T([[0.0, 1.0, 0.3, 0.5], [1.0, 0.0, 0.8, 1.0]])
//! xw = T([[1.0, 0.5, 2.0, 1.5], [0.25, 1.0, 1.0, 3.0]])
//! pw = T([2.0, 0.5, 1.0, 4.0])
//! ml = T([[0.2, -1.3, 2.1, 0.0], [1.5, 0.4, -0.7, -2.2], [-0.1, 3.0, 0.9, -1.1]])
//! mt = T([[1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]])
//! mw = T([1.0, 2.0, 0.5, 1.5])
//! ce = T([[1.2, -0.3, 0.8, 2.0, -1.1], [0.1, 0.4, -2.2, 0.9, 1.7],
//!         [-0.6, 2.5, 0.3, -0.4, 0.0], [3.0, -1.0, 0.5, 0.2, -2.0]])
//! cy = torch.tensor([3, -100, 1, 0])
//! cw = T([0.2, 1.0, 2.5, 0.7, 1.3])
//! ce3 = T([[[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8]], [[2.0, 0.1], [-1.2, 0.0], [0.4, -0.6]]])
//! cy3 = torch.tensor([[2, 0], [1, -100]])
//! cu = T([0.3, -1.2, 2.2])
//! ct = T([[0.1, 0.2, 0.3, 0.4], [0.0, 1.0, 0.0, 0.0], [0.25, 0.25, 0.5, 0.0]])
//! cl = T([[0.5, -0.2, 1.1, 0.0], [2.0, -1.0, 0.3, 0.6], [-0.4, 0.9, 0.0, 1.2]])
//! ctw = T([1.0, 0.5, 2.0, 1.5])
//! lp = T([[-1.2, -0.4, -2.3, -3.0], [-0.7, -1.9, -0.9, -2.5], [-2.2, -0.1, -4.0, -1.0]])
//! ly = torch.tensor([1, 2, 3])
//! kin = T([[-1.0, -0.5, -2.0], [-0.3, -1.7, -1.2]])
//! ktg = T([[0.0, 0.7, 0.3], [0.2, 0.0, 0.8]])
//! kltg = T([[-2.0, -0.1, -1.5], [-0.4, -3.0, -0.9]])
//! mx = T([[0.3, -0.8, 1.2, 0.1], [2.0, 0.5, -0.3, 1.9], [-0.2, 0.4, 0.35, 0.0]])
//! my = torch.tensor([2, 0, 1])
//! mmw = T([1.0, 0.5, 2.0, 1.5])
//! r1 = T([0.5, -1.0, 2.0, 0.3, 0.0])
//! r2 = T([0.2, 0.4, 2.5, 0.3, -1.0])
//! ry = T([1.0, -1.0, 1.0, -1.0, 1.0])
//! a = T([[0.5, -1.5, 2.0], [0.0, 3.0, -0.25]])
//! b = T([[1.0, -1.0, 0.5], [0.0, 2.0, 1.0]])
//! R = ['none', 'mean', 'sum']
//! def g(f, *ts):  # gradients of f w.r.t. ts, concatenated
//!     ts = [t.clone().requires_grad_(True) for t in ts]
//!     return torch.cat([gr.flatten() for gr in torch.autograd.grad(f(*ts), ts)])
//! ```
// The constants are PyTorch's output pasted verbatim; some happen to equal ln 2.
#![allow(clippy::approx_constant)]

/// `torch.cat([F.binary_cross_entropy(p, y, reduction=r).flatten() for r in R])`
#[rustfmt::skip]
const BCE: &[f64] = &[
    100.0, 100.0, 0.0, -0.0, 0.6955940880936139, 1.8631401775268022, 100.0, 0.6931471805599453, 37.90648518077254,
    303.25188144618033
];
/// `torch.cat([F.binary_cross_entropy(p, y, weight=w8, reduction=r).flatten() for r in R])`
#[rustfmt::skip]
const BCE_WEIGHTED: &[f64] = &[
    50.0, 200.0, 0.0, -0.0, 0.17389852202340347, 5.589420532580407, 100.0, 0.5198603854199589, 44.53539743000297,
    356.2831794400238
];
/// `g(lambda p, y: F.binary_cross_entropy(p, y, weight=w8[:4]), pi, yi)`
#[rustfmt::skip]
const BCE_GRAD_INPUT_TARGET: &[f64] = &[
    -0.05952380952380955, 3.8888888888888893, -5.0, 0.9375, 0.10591223254840045, -1.0986122886681098,
    0.7361097447916101, -0.1520494155405616
];
/// `torch.cat([F.binary_cross_entropy_with_logits(x, xt, reduction=r).flatten() for r in R])`
#[rustfmt::skip]
const BCEL: &[f64] = &[
    0.0, 30.000000000000092, 0.8288897342925496, 0.6931471805599453, 0.4031860488854579, 30.000000000000092,
    199.99999999999994, 3.059022737137205e-07, 32.740652908705044, 261.92522326964036
];
/// `torch.cat([F.binary_cross_entropy_with_logits(x, xt, weight=xw, pos_weight=pw, reduction=r).flatten() for r in R])`
#[rustfmt::skip]
const BCEL_WEIGHTED_POS: &[f64] = &[
    0.0, 7.500000000000023, 1.6577794685850993, 2.599301927099795, 0.20159302444272895, 30.000000000000092,
    199.99999999999994, 3.6708272845646457e-06, 30.24483476136937, 241.95867809095495
];
/// `g(lambda x, t: F.binary_cross_entropy_with_logits(x, t, pos_weight=pw, reduction='sum'), x, xt)`
#[rustfmt::skip]
const BCEL_GRAD_INPUT_TARGET: &[f64] = &[
    0.0, -0.4999999999999532, -0.22414181997875643, -0.75, -0.6636244556636677, 0.9999999999999065, 0.19999999999999996,
    -1.2236089079742385e-06, 2000.0, 14.999999999999952, 2.5, 2.0794415416798357, -0.2968139511145421,
    -30.000000000000046, -1000.0, -14.99999908229318
];
/// `torch.cat([F.multilabel_soft_margin_loss(ml, mt, reduction=r).flatten() for r in R])`
#[rustfmt::skip]
const MULTILABEL: &[f64] = &[
    0.41195350673857106, 1.5056744747592148, 0.6303683028737079, 0.849332094790498, 2.547996284371494
];
/// `torch.cat([F.multilabel_soft_margin_loss(ml, mt, weight=mw, reduction=r).flatten() for r in R])`
#[rustfmt::skip]
const MULTILABEL_WEIGHTED: &[f64] = &[
    0.5444090773693429, 1.8841654467196076, 0.7732878220650612, 1.0672874487180037, 3.2018623461540114
];
/// `torch.cat([F.cross_entropy(ce, cy, reduction=r).flatten() for r in R])`
#[rustfmt::skip]
const CE: &[f64] = &[
    0.6396573820149072, 0.0, 0.2569346116499406, 0.15524891694713167, 0.35061363687065983, 1.0518409106119795
];
/// `torch.cat([F.cross_entropy(ce, cy, weight=cw, reduction=r).flatten() for r in R])`
#[rustfmt::skip]
const CE_WEIGHTED: &[f64] = &[
    0.447760167410435, 0.0, 0.2569346116499406, 0.031049783389426336, 0.3872339802367379, 0.7357445624498019
];
/// `torch.cat([F.cross_entropy(ce, cy, label_smoothing=0.15, reduction=r).flatten() for r in R])`
#[rustfmt::skip]
const CE_SMOOTH: &[f64] = &[
    0.8616573820149072, 0.0, 0.5779346116499406, 0.5842489169471317, 0.6746136368706598, 2.0238409106119795
];
/// `torch.cat([F.cross_entropy(ce, cy, weight=cw, label_smoothing=0.15, reduction=r).flatten() for r in R])`
#[rustfmt::skip]
const CE_WEIGHTED_SMOOTH: &[f64] = &[
    0.7746775546234188, 0.0, 0.6043302384945893, 0.614239880678972, 1.0490777230510422, 1.99324767379698
];
/// `g(lambda z: F.cross_entropy(z, cy, weight=cw, label_smoothing=0.15), ce)`
#[rustfmt::skip]
const CE_WEIGHTED_SMOOTH_GRAD: &[f64] = &[
    0.09239413389403514, 0.0055310657667044655, 0.024576756020122055, -0.11155557579728805, -0.010946379883573693, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.015565041712204639, -0.0475470635953746, 0.006577308529542905, 0.011815614640775905,
    0.013589098712851107, 0.061034153403519725, -0.012974987620898782, -0.02686003278196326, -0.0017082087713398775,
    -0.01949092422931775
];
/// `torch.cat([F.cross_entropy(ce3, cy3, weight=cw[:3], label_smoothing=0.2, reduction=r).flatten() for r in R])`
#[rustfmt::skip]
const CE_SPATIAL: &[f64] = &[
    4.8734304273619165, 0.5711503492202553, 3.267391698233473, 0.0, 2.3545871553555795, 8.711972474815646
];
/// `torch.cat([F.cross_entropy(cu, torch.tensor(2), label_smoothing=0.1, reduction=r).flatten() for r in R])`
#[rustfmt::skip]
const CE_UNBATCHED: &[f64] = &[0.34467112888664175, 0.34467112888664175, 0.34467112888664175];
/// `torch.stack([F.cross_entropy(ce, torch.full((4,), -100)),`
///  `F.cross_entropy(ce, torch.full((4,), -100), weight=cw, label_smoothing=0.1),`
///  `F.cross_entropy(ce, torch.full((4,), -100), reduction='sum')])`
#[rustfmt::skip]
const CE_ALL_IGNORED: &[f64] = &[f64::NAN, f64::NAN, 0.0];
/// `torch.cat([F.cross_entropy(cl, ct, reduction=r).flatten() for r in R])`
#[rustfmt::skip]
const CE_PROB: &[f64] = &[
    1.527426161902889, 3.3914118597390512, 1.8832194122332568, 2.2673524779583993, 6.802057433875198
];
/// `torch.cat([F.cross_entropy(cl, ct, weight=ctw, label_smoothing=0.3, reduction=r).flatten() for r in R])`
#[rustfmt::skip]
const CE_PROB_WEIGHTED_SMOOTH: &[f64] = &[
    1.8523624493784143, 1.858773598310812, 2.5384934638619807, 2.0832098371837358, 6.249629511551207
];
/// `g(lambda z: F.cross_entropy(z, ct, weight=ctw, label_smoothing=0.3), cl)`
#[rustfmt::skip]
const CE_PROB_GRAD_INPUT: &[f64] = &[
    0.06673409417985075, 0.021307460114797186, 0.01966652298434486, -0.10770807727899283, 0.13839122958051384,
    -0.12103189634883225, -0.020151114380922305, 0.002791781149240723, -0.04321931819812011, 0.10552355539379918,
    -0.22349025483306653, 0.1611860176373875
];
/// `torch.cat([F.nll_loss(lp, ly, weight=ctw, ignore_index=2, reduction=r).flatten() for r in R])`
#[rustfmt::skip]
const NLL: &[f64] = &[0.2, 0.0, 1.5, 0.85, 1.7];
/// `torch.cat([F.kl_div(kin, ktg, reduction=r).flatten() for r in ['none', 'batchmean', 'mean', 'sum']])`
#[rustfmt::skip]
const KL: &[f64] = &[
    0.0, 0.10032753924288729, 0.23880815870221916, -0.2618875824868201, 0.0, 0.7814851589486322, 0.42936663720345936,
    0.1431222124011531, 0.8587332744069187
];
/// `torch.cat([F.kl_div(kin, kltg, reduction=r, log_target=True).flatten()`
///  `for r in ['none', 'batchmean', 'mean', 'sum']])`
#[rustfmt::skip]
const KL_LOG_TARGET: &[f64] = &[
    -0.1353352832366127, 0.36193496721438384, 0.11156508007421491, -0.06703200460356395, -0.06472318887822313,
    0.1219708979221797, 0.1641902342461893, 0.0547300780820631, 0.3283804684923786
];
/// `g(lambda i: F.kl_div(i, ktg, reduction='batchmean'), kin)`
#[rustfmt::skip]
const KL_GRAD_INPUT: &[f64] = &[-0.0, -0.35, -0.15, -0.1, -0.0, -0.4];
/// `torch.cat([F.multi_margin_loss(mx, my, reduction=r).flatten() for r in R])`
#[rustfmt::skip]
const MULTI_MARGIN_P1: &[f64] = &[
    0.02500000000000001, 0.22499999999999998, 0.48749999999999993, 0.24583333333333332, 0.7374999999999999
];
/// `torch.cat([F.multi_margin_loss(mx, my, p=2, margin=0.7, weight=mmw, reduction=r).flatten() for r in R])`
#[rustfmt::skip]
const MULTI_MARGIN_P2_WEIGHTED: &[f64] = &[
    0.0, 0.08999999999999996, 0.06531249999999998, 0.051770833333333315, 0.15531249999999994
];
/// `g(lambda z: F.multi_margin_loss(z, my, p=2, margin=0.7, weight=mmw), mx)`
#[rustfmt::skip]
const MULTI_MARGIN_GRAD: &[f64] = &[
    0.0, 0.0, 0.0, 0.0, -0.09999999999999998, 0.0, 0.0, 0.09999999999999998, 0.008333333333333326, -0.08749999999999997,
    0.054166666666666655, 0.024999999999999994
];
/// `torch.cat([F.margin_ranking_loss(r1, r2, ry, margin=0.3, reduction=r).flatten() for r in R])`
#[rustfmt::skip]
const MARGIN_RANKING: &[f64] = &[0.0, 0.0, 0.8, 0.3, 0.0, 0.22000000000000003, 1.1];
/// `torch.cat([F.mse_loss(a, b, reduction=r).flatten() for r in R]`
///  `+ [F.l1_loss(a, b, reduction=r).flatten() for r in R])`
#[rustfmt::skip]
const MSE_L1: &[f64] = &[
    0.25, 0.25, 2.25, 0.0, 1.0, 1.5625, 0.8854166666666666, 5.3125, 0.5, 0.5, 1.5, 0.0, 1.0, 1.25, 0.7916666666666666,
    4.75
];
/// `(a.abs().sum() + b.abs().sum() + cw.abs().sum()).reshape(1)`
#[rustfmt::skip]
const L1_PENALTY: &[f64] = &[18.45];

use learnloss::loss::{
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, kl_div, l1_loss, l1_penalty,
    margin_ranking_loss, mse_loss, multi_margin_loss, multilabel_soft_margin_loss, nll_loss, one_hot,
    CrossEntropyOptions, KlReduction, Reduction,
};
use learnloss::{grad, DType, Tensor};

mod common;
use common::{assert_close, panic_message, t, values, DEV};

/// f64 round-off over a handful of ops.
const TOL: f64 = 1e-12;

const REDUCTIONS: [Reduction; 3] = [Reduction::None, Reduction::Mean, Reduction::Sum];

fn idx(v: &[i64], shape: &[usize]) -> Tensor {
    Tensor::from_slice(v, shape, &DEV)
}

/// The loss under `none`, `mean` and `sum`, concatenated (as the Python `torch.cat`).
fn all_reductions(f: impl Fn(Reduction) -> Tensor) -> Vec<f64> {
    REDUCTIONS.iter().flat_map(|&r| values(&f(r))).collect()
}

/// Gradients of the scalar `f(inputs)` with respect to every input, concatenated.
fn grads(f: impl Fn(&[Tensor]) -> Tensor, inputs: &[Tensor]) -> Vec<f64> {
    let leaves: Vec<Tensor> = inputs.iter().map(|x| x.requires_grad_(true)).collect();
    let out = f(&leaves);
    grad(&[out], &leaves, None, false).iter().flat_map(values).collect()
}

fn assert_panics_with(f: impl FnOnce(), fragments: &[&str]) {
    let msg = panic_message(f);
    for frag in fragments {
        assert!(msg.contains(frag), "panic message {msg:?} does not contain {frag:?}");
    }
}

// Inputs, the literals of the Python snippet above.
fn p() -> Tensor {
    t(&[0.0, 1.0, 0.0, 1.0, 0.3, 0.9, 1e-50, 0.5], &[8])
}
fn y() -> Tensor {
    t(&[1.0, 0.0, 0.0, 1.0, 0.4, 0.2, 1.0, 0.5], &[8])
}
fn w8() -> Tensor {
    t(&[0.5, 2.0, 1.0, 1.5, 0.25, 3.0, 1.0, 0.75], &[8])
}
fn x() -> Tensor {
    t(&[-1000.0, -30.0, -2.5, 0.0, 0.7, 30.0, 1000.0, 15.0], &[2, 4])
}
fn xt() -> Tensor {
    t(&[0.0, 1.0, 0.3, 0.5, 1.0, 0.0, 0.8, 1.0], &[2, 4])
}
fn pw() -> Tensor {
    t(&[2.0, 0.5, 1.0, 4.0], &[4])
}
fn ce() -> Tensor {
    #[rustfmt::skip]
    let v = [1.2, -0.3, 0.8, 2.0, -1.1, 0.1, 0.4, -2.2, 0.9, 1.7, -0.6, 2.5, 0.3, -0.4, 0.0, 3.0, -1.0, 0.5, 0.2, -2.0];
    t(&v, &[4, 5])
}
fn cy() -> Tensor {
    idx(&[3, -100, 1, 0], &[4])
}
fn cw() -> Tensor {
    t(&[0.2, 1.0, 2.5, 0.7, 1.3], &[5])
}
fn ct() -> Tensor {
    t(&[0.1, 0.2, 0.3, 0.4, 0.0, 1.0, 0.0, 0.0, 0.25, 0.25, 0.5, 0.0], &[3, 4])
}
fn cl() -> Tensor {
    t(
        &[0.5, -0.2, 1.1, 0.0, 2.0, -1.0, 0.3, 0.6, -0.4, 0.9, 0.0, 1.2],
        &[3, 4],
    )
}
fn ctw() -> Tensor {
    t(&[1.0, 0.5, 2.0, 1.5], &[4])
}
fn kin() -> Tensor {
    t(&[-1.0, -0.5, -2.0, -0.3, -1.7, -1.2], &[2, 3])
}
fn ktg() -> Tensor {
    t(&[0.0, 0.7, 0.3, 0.2, 0.0, 0.8], &[2, 3])
}
fn mx() -> Tensor {
    t(
        &[0.3, -0.8, 1.2, 0.1, 2.0, 0.5, -0.3, 1.9, -0.2, 0.4, 0.35, 0.0],
        &[3, 4],
    )
}
fn my() -> Tensor {
    idx(&[2, 0, 1], &[3])
}
fn mmw() -> Tensor {
    t(&[1.0, 0.5, 2.0, 1.5], &[4])
}
fn a() -> Tensor {
    t(&[0.5, -1.5, 2.0, 0.0, 3.0, -0.25], &[2, 3])
}
fn b() -> Tensor {
    t(&[1.0, -1.0, 0.5, 0.0, 2.0, 1.0], &[2, 3])
}

fn ce_opts(weight: Option<Tensor>, label_smoothing: f64, reduction: Reduction) -> CrossEntropyOptions {
    CrossEntropyOptions {
        weight,
        label_smoothing,
        reduction,
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Binary cross-entropy family
// ---------------------------------------------------------------------------------------------

#[test]
fn bce_clamps_logs_at_minus_100_for_p_0_and_1() {
    assert_close(&all_reductions(|r| binary_cross_entropy(&p(), &y(), None, r)), BCE, TOL);
    assert_close(
        &all_reductions(|r| binary_cross_entropy(&p(), &y(), Some(&w8()), r)),
        BCE_WEIGHTED,
        TOL,
    );
}

#[test]
fn bce_gradients_in_input_and_target() {
    let w = w8().narrow(0, 0, 4);
    let g = grads(
        |v| binary_cross_entropy(&v[0], &v[1], Some(&w), Reduction::Mean),
        &[t(&[0.3, 0.9, 0.05, 0.6], &[4]), t(&[0.4, 0.2, 1.0, 0.0], &[4])],
    );
    assert_close(&g, BCE_GRAD_INPUT_TARGET, TOL);
}

#[test]
fn bce_gradient_is_finite_at_p_0_and_1() {
    // The clamped branch passes no gradient, and the masked log keeps 0·∞ out.
    let g = grads(|v| binary_cross_entropy(&v[0], &y(), None, Reduction::Sum), &[p()]);
    assert!(g.iter().all(|v| v.is_finite()), "{g:?}");
}

#[test]
fn bce_with_logits_is_finite_for_huge_logits() {
    let got = all_reductions(|r| binary_cross_entropy_with_logits(&x(), &xt(), None, None, r));
    assert_close(&got, BCEL, TOL);
    let xw = t(&[1.0, 0.5, 2.0, 1.5, 0.25, 1.0, 1.0, 3.0], &[2, 4]);
    let got = all_reductions(|r| binary_cross_entropy_with_logits(&x(), &xt(), Some(&xw), Some(&pw()), r));
    assert_close(&got, BCEL_WEIGHTED_POS, TOL);
}

#[test]
fn bce_with_logits_gradients_in_input_and_target() {
    let g = grads(
        |v| binary_cross_entropy_with_logits(&v[0], &v[1], None, Some(&pw()), Reduction::Sum),
        &[x(), xt()],
    );
    assert_close(&g, BCEL_GRAD_INPUT_TARGET, TOL);
}

#[test]
fn multilabel_soft_margin_means_over_classes() {
    let ml = t(
        &[0.2, -1.3, 2.1, 0.0, 1.5, 0.4, -0.7, -2.2, -0.1, 3.0, 0.9, -1.1],
        &[3, 4],
    );
    let mt = t(&[1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], &[3, 4]);
    let mw = t(&[1.0, 2.0, 0.5, 1.5], &[4]);
    assert_close(
        &all_reductions(|r| multilabel_soft_margin_loss(&ml, &mt, None, r)),
        MULTILABEL,
        TOL,
    );
    assert_close(
        &all_reductions(|r| multilabel_soft_margin_loss(&ml, &mt, Some(&mw), r)),
        MULTILABEL_WEIGHTED,
        TOL,
    );
    // A multi-hot int64 target means the same.
    let mt_int = idx(&[1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1], &[3, 4]);
    assert_close(
        &values(&multilabel_soft_margin_loss(&ml, &mt_int, None, Reduction::Sum)),
        &MULTILABEL[4..],
        TOL,
    );
}

// ---------------------------------------------------------------------------------------------
// Cross-entropy and NLL
// ---------------------------------------------------------------------------------------------

#[test]
fn cross_entropy_class_indices_with_ignore_index() {
    let got = all_reductions(|r| cross_entropy(&ce(), &cy(), &ce_opts(None, 0.0, r)));
    assert_close(&got, CE, TOL);
    let got = all_reductions(|r| cross_entropy(&ce(), &cy(), &ce_opts(Some(cw()), 0.0, r)));
    assert_close(&got, CE_WEIGHTED, TOL);
}

#[test]
fn cross_entropy_label_smoothing_with_and_without_weights() {
    let got = all_reductions(|r| cross_entropy(&ce(), &cy(), &ce_opts(None, 0.15, r)));
    assert_close(&got, CE_SMOOTH, TOL);
    let got = all_reductions(|r| cross_entropy(&ce(), &cy(), &ce_opts(Some(cw()), 0.15, r)));
    assert_close(&got, CE_WEIGHTED_SMOOTH, TOL);
    let g = grads(
        |v| cross_entropy(&v[0], &cy(), &ce_opts(Some(cw()), 0.15, Reduction::Mean)),
        &[ce()],
    );
    assert_close(&g, CE_WEIGHTED_SMOOTH_GRAD, TOL);
}

#[test]
fn cross_entropy_spatial_and_unbatched() {
    #[rustfmt::skip]
    let ce3 = t(&[0.5, -1.0, 1.5, 0.2, -0.3, 0.8, 2.0, 0.1, -1.2, 0.0, 0.4, -0.6], &[2, 3, 2]);
    let cy3 = idx(&[2, 0, 1, -100], &[2, 2]);
    let w3 = cw().narrow(0, 0, 3);
    let none = cross_entropy(&ce3, &cy3, &ce_opts(Some(w3.clone()), 0.2, Reduction::None));
    assert_eq!(none.shape(), &[2, 2]);
    let got = all_reductions(|r| cross_entropy(&ce3, &cy3, &ce_opts(Some(w3.clone()), 0.2, r)));
    assert_close(&got, CE_SPATIAL, TOL);

    let cu = t(&[0.3, -1.2, 2.2], &[3]);
    let none = cross_entropy(&cu, &idx(&[2], &[]), &ce_opts(None, 0.1, Reduction::None));
    assert_eq!(none.shape(), &[] as &[usize]);
    let got = all_reductions(|r| cross_entropy(&cu, &idx(&[2], &[]), &ce_opts(None, 0.1, r)));
    assert_close(&got, CE_UNBATCHED, TOL);
}

#[test]
fn cross_entropy_with_every_target_ignored_is_nan_in_mean() {
    let ignored = idx(&[-100; 4], &[4]);
    let got = [
        cross_entropy(&ce(), &ignored, &ce_opts(None, 0.0, Reduction::Mean)),
        cross_entropy(&ce(), &ignored, &ce_opts(Some(cw()), 0.1, Reduction::Mean)),
        cross_entropy(&ce(), &ignored, &ce_opts(None, 0.0, Reduction::Sum)),
    ];
    assert_close(&got.iter().flat_map(values).collect::<Vec<_>>(), CE_ALL_IGNORED, TOL);
}

#[test]
fn cross_entropy_probability_targets() {
    let got = all_reductions(|r| cross_entropy(&cl(), &ct(), &ce_opts(None, 0.0, r)));
    assert_close(&got, CE_PROB, TOL);
    let got = all_reductions(|r| cross_entropy(&cl(), &ct(), &ce_opts(Some(ctw()), 0.3, r)));
    assert_close(&got, CE_PROB_WEIGHTED_SMOOTH, TOL);
    let g = grads(
        |v| cross_entropy(&v[0], &ct(), &ce_opts(Some(ctw()), 0.3, Reduction::Mean)),
        &[cl()],
    );
    assert_close(&g, CE_PROB_GRAD_INPUT, TOL);
}

#[test]
fn nll_loss_ignore_index_may_be_a_real_class() {
    let lp = t(
        &[-1.2, -0.4, -2.3, -3.0, -0.7, -1.9, -0.9, -2.5, -2.2, -0.1, -4.0, -1.0],
        &[3, 4],
    );
    let ly = idx(&[1, 2, 3], &[3]);
    let got = all_reductions(|r| nll_loss(&lp, &ly, Some(&ctw()), 2, r));
    assert_close(&got, NLL, TOL);
}

// ---------------------------------------------------------------------------------------------
// KL divergence
// ---------------------------------------------------------------------------------------------

const KL_REDUCTIONS: [KlReduction; 4] = [
    KlReduction::None,
    KlReduction::BatchMean,
    KlReduction::Mean,
    KlReduction::Sum,
];

#[test]
fn kl_div_zero_targets_and_batchmean_vs_mean() {
    let got: Vec<f64> = KL_REDUCTIONS
        .iter()
        .flat_map(|&r| values(&kl_div(&kin(), &ktg(), r, false)))
        .collect();
    assert_close(&got, KL, TOL);
    let kltg = t(&[-2.0, -0.1, -1.5, -0.4, -3.0, -0.9], &[2, 3]);
    let got: Vec<f64> = KL_REDUCTIONS
        .iter()
        .flat_map(|&r| values(&kl_div(&kin(), &kltg, r, true)))
        .collect();
    assert_close(&got, KL_LOG_TARGET, TOL);
    assert_eq!(KlReduction::default(), KlReduction::Mean);
}

#[test]
fn kl_div_gradients_at_zero_targets_are_finite() {
    let g = grads(|v| kl_div(&v[0], &ktg(), KlReduction::BatchMean, false), &[kin()]);
    assert_close(&g, KL_GRAD_INPUT, TOL);
    // With respect to the target, where it is 0 the masked xlogy gives −input / batch (PyTorch: NaN).
    let g = grads(|v| kl_div(&kin(), &v[0], KlReduction::BatchMean, false), &[ktg()]);
    let k = values(&kin());
    let tg = values(&ktg());
    let expected: Vec<f64> = k
        .iter()
        .zip(&tg)
        .map(|(&i, &t)| if t == 0.0 { -i / 2.0 } else { (t.ln() + 1.0 - i) / 2.0 })
        .collect();
    assert_close(&g, &expected, TOL);
}

// ---------------------------------------------------------------------------------------------
// Margins, regression, penalty
// ---------------------------------------------------------------------------------------------

#[test]
fn multi_margin_p1_p2_weights() {
    let got = all_reductions(|r| multi_margin_loss(&mx(), &my(), 1, 1.0, None, r));
    assert_close(&got, MULTI_MARGIN_P1, TOL);
    let got = all_reductions(|r| multi_margin_loss(&mx(), &my(), 2, 0.7, Some(&mmw()), r));
    assert_close(&got, MULTI_MARGIN_P2_WEIGHTED, TOL);
    let g = grads(
        |v| multi_margin_loss(&v[0], &my(), 2, 0.7, Some(&mmw()), Reduction::Mean),
        &[mx()],
    );
    assert_close(&g, MULTI_MARGIN_GRAD, TOL);
}

#[test]
fn multi_margin_unbatched_shapes_follow_the_target() {
    let row = mx().select(0, 0);
    let scalar = multi_margin_loss(&row, &idx(&[2], &[]), 1, 1.0, None, Reduction::None);
    assert_eq!(scalar.shape(), &[] as &[usize]);
    let one = multi_margin_loss(&row, &idx(&[2], &[1]), 1, 1.0, None, Reduction::None);
    assert_eq!(one.shape(), &[1]);
    assert_close(&values(&one), &MULTI_MARGIN_P1[..1], TOL);
}

#[test]
fn margin_ranking() {
    let r1 = t(&[0.5, -1.0, 2.0, 0.3, 0.0], &[5]);
    let r2 = t(&[0.2, 0.4, 2.5, 0.3, -1.0], &[5]);
    let ry = t(&[1.0, -1.0, 1.0, -1.0, 1.0], &[5]);
    let got = all_reductions(|r| margin_ranking_loss(&r1, &r2, &ry, 0.3, r));
    assert_close(&got, MARGIN_RANKING, TOL);
}

#[test]
fn mse_l1_and_l1_penalty() {
    let mut got = all_reductions(|r| mse_loss(&a(), &b(), r));
    got.extend(all_reductions(|r| l1_loss(&a(), &b(), r)));
    assert_close(&got, MSE_L1, TOL);
    assert_close(&values(&l1_penalty(&[a(), b(), cw()])), L1_PENALTY, TOL);
    assert_eq!(Reduction::default(), Reduction::Mean);
}

#[test]
fn one_hot_matches_pytorch() {
    // F.one_hot(torch.tensor([[2, 0], [1, 2]]), 3)
    let h = one_hot(&idx(&[2, 0, 1, 2], &[2, 2]), 3);
    assert_eq!(h.shape(), &[2, 2, 3]);
    assert_eq!(h.dtype(), DType::I64);
    assert_eq!(h.to_vec::<i64>(), vec![0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
    // BCE on the one-hot target equals BCE on its float conversion written out.
    let probs = t(&[0.2, 0.3, 0.5, 0.6, 0.1, 0.3], &[2, 3]);
    let onehot = one_hot(&idx(&[2, 0], &[2]), 3).to_dtype(DType::F64);
    let written = t(&[0.0, 0.0, 1.0, 1.0, 0.0, 0.0], &[2, 3]);
    assert_eq!(
        values(&binary_cross_entropy(&probs, &onehot, None, Reduction::Mean)),
        values(&binary_cross_entropy(&probs, &written, None, Reduction::Mean))
    );
}

#[test]
fn empty_batch_mean_is_nan() {
    // F.cross_entropy(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long)) is nan, the sum 0.
    let logits = Tensor::zeros(&[0, 3], DType::F64, &DEV);
    let none = idx(&[], &[0]);
    let mean = cross_entropy(&logits, &none, &CrossEntropyOptions::default());
    assert!(mean.item().is_nan());
    let sum = cross_entropy(&logits, &none, &ce_opts(None, 0.0, Reduction::Sum));
    assert_eq!(sum.item(), 0.0);
}

#[test]
fn float32_losses_agree_with_float64() {
    // Training runs in f32: the same compositions, to f32 round-off (huge logits included).
    let losses: [&dyn Fn(DType) -> Tensor; 4] = [
        &|d| {
            cross_entropy(
                &ce().to_dtype(d),
                &cy(),
                &ce_opts(Some(cw().to_dtype(d)), 0.15, Reduction::Mean),
            )
        },
        &|d| binary_cross_entropy(&p().to_dtype(d), &y().to_dtype(d), None, Reduction::Sum),
        &|d| binary_cross_entropy_with_logits(&x().to_dtype(d), &xt().to_dtype(d), None, None, Reduction::Sum),
        &|d| kl_div(&kin().to_dtype(d), &ktg().to_dtype(d), KlReduction::BatchMean, false),
    ];
    for loss in losses {
        let single = loss(DType::F32);
        assert_eq!(single.dtype(), DType::F32);
        assert_close(&[single.item()], &[loss(DType::F64).item()], 1e-6);
    }
}

// ---------------------------------------------------------------------------------------------
// Programmer errors
// ---------------------------------------------------------------------------------------------

#[test]
fn out_of_range_class_indices_panic_naming_index_and_classes() {
    let bad = idx(&[0, 5, 1, 2], &[4]);
    assert_panics_with(
        || drop(cross_entropy(&ce(), &bad, &CrossEntropyOptions::default())),
        &["Target 5 is out of bounds", "number of classes 5"],
    );
    let neg = idx(&[0, -1, 1], &[3]);
    assert_panics_with(
        || drop(nll_loss(&cl(), &neg, None, -100, Reduction::Mean)),
        &["Target -1", "number of classes 4"],
    );
    assert_panics_with(
        || {
            drop(multi_margin_loss(
                &mx(),
                &idx(&[0, 4, 1], &[3]),
                1,
                1.0,
                None,
                Reduction::Mean,
            ))
        },
        &["Target 4", "number of classes 4"],
    );
    assert_panics_with(
        || drop(one_hot(&idx(&[0, 3], &[2]), 3)),
        &["Target 3", "number of classes 3"],
    );
}

#[test]
fn shape_mismatches_panic_naming_shapes() {
    assert_panics_with(
        || drop(binary_cross_entropy(&p(), &t(&[0.5; 4], &[4]), None, Reduction::Mean)),
        &["[4]", "[8]"],
    );
    assert_panics_with(
        || {
            drop(binary_cross_entropy_with_logits(
                &x(),
                &t(&[0.5; 8], &[8]),
                None,
                None,
                Reduction::Mean,
            ))
        },
        &["[8]", "[2, 4]"],
    );
    assert_panics_with(
        || {
            drop(cross_entropy(
                &ce(),
                &idx(&[0, 1, 2], &[3]),
                &CrossEntropyOptions::default(),
            ))
        },
        &["[4]", "[3]", "[4, 5]"],
    );
    assert_panics_with(
        || {
            drop(cross_entropy(
                &cl(),
                &t(&[0.25; 8], &[2, 4]),
                &CrossEntropyOptions::default(),
            ))
        },
        &["[2, 4]", "[3, 4]"],
    );
    assert_panics_with(
        || drop(cross_entropy(&ce(), &cy(), &ce_opts(Some(ctw()), 0.0, Reduction::Mean))),
        &["5 classes", "[4]"],
    );
    assert_panics_with(
        || {
            drop(margin_ranking_loss(
                &a(),
                &t(&[1.0; 3], &[3]),
                &a(),
                0.0,
                Reduction::Mean,
            ))
        },
        &["[2, 3]", "[3]"],
    );
}

#[test]
fn invalid_arguments_panic() {
    assert_panics_with(
        || {
            drop(binary_cross_entropy(
                &t(&[0.5, 1.5], &[2]),
                &t(&[0.0, 1.0], &[2]),
                None,
                Reduction::Mean,
            ))
        },
        &["between 0 and 1", "1.5"],
    );
    assert_panics_with(
        || drop(multi_margin_loss(&mx(), &my(), 3, 1.0, None, Reduction::Mean)),
        &["p == 1 and p == 2"],
    );
    assert_panics_with(
        || drop(cross_entropy(&ce(), &cy(), &ce_opts(None, 1.5, Reduction::Mean))),
        &["label_smoothing", "1.5"],
    );
    let opts = CrossEntropyOptions {
        ignore_index: 0,
        ..Default::default()
    };
    assert_panics_with(|| drop(cross_entropy(&cl(), &ct(), &opts)), &["ignore_index"]);
    assert_panics_with(|| drop(l1_penalty(&[])), &["at least one parameter"]);
}
