//! The loss-comparison study's two custom losses against PyTorch (float64), with the formulas
//! its users write — not PyTorch's built-in weighted mean. Values and gradients computed with
//! PyTorch 2.15:
//!
//! ```python
//! import torch, torch.nn.functional as F
//! torch.set_default_dtype(torch.float64)
//! T = torch.tensor
//! x = T([[1.2, -0.3, 0.8, 2.0, -1.1], [0.1, 0.4, -2.2, 0.9, 1.7], [-0.6, 2.5, 0.3, -0.4, 0.0], [3.0, -1.0, 0.5, 0.2, -2.0]])
//! t = torch.tensor([3, 0, 1, 0])
//! w = T([2.0, 1.0, 1.0, 1.0, 1.0])
//! def wce(x, w): return -(w[t] * F.log_softmax(x, 1)[torch.arange(4), t]).sum() / 4
//! xg = x.clone().requires_grad_(True); wg = w.clone().requires_grad_(True)
//! v = wce(xg, wg); gx, gw = torch.autograd.grad(v, [xg, wg])
//! print(v.item(), torch.cat([gx.flatten(), gw]).tolist())   # WEIGHTED_CE, WEIGHTED_CE_GRAD
//! print(F.cross_entropy(x, t, weight=w).item())               # TORCH_WEIGHTED_MEAN
//! a = T([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7], [-0.2, 0.8, 0.1], [1.0, 1.0, -1.0]])
//! W = T([[0.3, -0.2, 0.0, 0.5, -0.4], [0.1, 0.25, -0.6, 0.0, 0.2], [-0.35, 0.4, 0.15, -0.1, 0.05]])
//! b = T([0.1, -0.2, 0.0, 0.3, -0.05])
//! Wg = W.clone().requires_grad_(True); bg = b.clone().requires_grad_(True)
//! v = F.cross_entropy(a @ Wg + bg, t) + 0.01 * sum(p.abs().sum() for p in [Wg, bg])
//! g = torch.autograd.grad(v, [Wg, bg])
//! print(v.item(), torch.cat([q.flatten() for q in g]).tolist())  # CE_L1, CE_L1_GRAD
//! ```

use learnloss::loss::{cross_entropy_plus_l1, weighted_cross_entropy_over_batch};
use learnloss::{grad, Device, Tensor};

const WEIGHTED_CE: f64 = 1.4341461006989025;
#[rustfmt::skip]
const WEIGHTED_CE_GRAD: [f64; 25] = [
    0.0592522370752829, 0.013220961147760604, 0.03971796228401825, -0.11813172128421909, 0.0059405607771573065,
    -0.44807186150406025, 0.07009565510977078, 0.005206255122280529, 0.1155681975631392, 0.2572017537088697,
    0.00871047484162312, -0.05664530382742694, 0.02142431102011056, 0.010638997996443248, 0.015871519969250028,
    -0.07189898611922663, 0.007840943578141222, 0.035140671135292956, 0.026032849464009133, 0.0028845219417834023,
    0.6049990511413452, 0.06423365291248515, 0.0, 0.1599143455037268, 0.0,
];
const TORCH_WEIGHTED_MEAN: f64 = 0.9560974004659349;
const CE_L1: f64 = 1.35777650157064;
#[rustfmt::skip]
const CE_L1_GRAD: [f64; 20] = [
    -0.4054157242031804, 0.10242281419532442, 0.09918130433533116, 0.1555074615966523, 0.04830414407587252,
    -0.18293123808981315, -0.17125603537600512, -0.05553847018470589, 0.36680312865665654, 0.06292261499386763,
    0.32018615996964955, 0.05578780305357394, 0.1674562104981829, -0.5626728840843062, 0.029242710562899787,
    -0.2467265109709329, -0.11913399758975149, 0.1697697274239852, 0.07372169565275478, 0.1223690854839445,
];

fn t64(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_slice(v, shape, &Device::Cpu)
}

fn assert_close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-12 * (1.0 + w.abs()),
            "{what}[{i}]: got {g}, PyTorch {w}"
        );
    }
}

fn targets() -> Tensor {
    Tensor::from_slice(&[3i64, 0, 1, 0], &[4], &Device::Cpu)
}

#[rustfmt::skip]
fn logits() -> Tensor {
    t64(&[1.2, -0.3, 0.8, 2.0, -1.1, 0.1, 0.4, -2.2, 0.9, 1.7, -0.6, 2.5, 0.3, -0.4, 0.0, 3.0, -1.0, 0.5, 0.2, -2.0], &[4, 5])
}

#[test]
fn weighted_cross_entropy_divides_by_the_batch_size_as_the_users_write_it() {
    let x = logits().requires_grad_(true);
    let w = t64(&[2.0, 1.0, 1.0, 1.0, 1.0], &[5]).requires_grad_(true);
    let loss = weighted_cross_entropy_over_batch(&x, &targets(), &w);
    assert_close("value", &[loss.item()], &[WEIGHTED_CE]);
    let g = grad(&[loss], &[x.clone(), w.clone()], None, false);
    let flat: Vec<f64> = g.iter().flat_map(|t| t.to_f64_vec()).collect();
    assert_close("gradient in logits, weights", &flat, &WEIGHTED_CE_GRAD);
    // Two of the four targets are class 0 (weight 2): PyTorch's weighted mean divides by
    // Σ w[t] = 6 rather than N = 4, so it is 4/6 of ours.
    assert_close(
        "×4/6 = PyTorch's weighted mean",
        &[WEIGHTED_CE * 4.0 / 6.0],
        &[TORCH_WEIGHTED_MEAN],
    );
}

#[test]
fn cross_entropy_plus_l1_sums_the_absolute_value_of_every_parameter() {
    let a = t64(
        &[0.5, -1.0, 2.0, 1.5, 0.3, -0.7, -0.2, 0.8, 0.1, 1.0, 1.0, -1.0],
        &[4, 3],
    );
    #[rustfmt::skip]
    let w = t64(&[0.3, -0.2, 0.0, 0.5, -0.4, 0.1, 0.25, -0.6, 0.0, 0.2, -0.35, 0.4, 0.15, -0.1, 0.05], &[3, 5])
        .requires_grad_(true);
    let b = t64(&[0.1, -0.2, 0.0, 0.3, -0.05], &[5]).requires_grad_(true);
    let loss = cross_entropy_plus_l1(&a.matmul(&w).add(&b), &targets(), &[w.clone(), b.clone()], 0.01);
    assert_close("value", &[loss.item()], &[CE_L1]);
    let g = grad(&[loss], &[w, b], None, false);
    let flat: Vec<f64> = g.iter().flat_map(|t| t.to_f64_vec()).collect();
    // Where a parameter is exactly 0 the L1 term contributes nothing (torch.sign(0) = 0).
    assert_close("gradient in W, b", &flat, &CE_L1_GRAD);
}

#[test]
#[should_panic(expected = "weight tensor should be defined either for all 5 classes")]
fn a_weight_per_class_is_required() {
    weighted_cross_entropy_over_batch(&logits(), &targets(), &t64(&[2.0, 1.0], &[2]));
}
