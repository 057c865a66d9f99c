//! Binary cross-entropy on probabilities and on logits, and its multi-label mean over classes.

use super::{assert_same_shape, Reduction};
use crate::Tensor;

/// PyTorch's floor for the logs of BCE: `log 0` becomes -100 instead of -inf.
const LOG_FLOOR: f64 = -100.0;

/// `max(log(x), -100)` where `x` is `p` (or `1 − p` via `log1p(−p)` when `one_minus`), computed
/// as PyTorch does. At `x = 0` the log sees 1 instead, so the gradient routed away from the
/// clamped branch meets a finite derivative (0·∞ would be NaN).
fn clamped_log(p: &Tensor, one_minus: bool) -> Tensor {
    let degenerate = p.eq_scalar(if one_minus { 1.0 } else { 0.0 });
    let harmless = p.scalar_like(if one_minus { 0.0 } else { 1.0 });
    let safe = Tensor::where_cond(&degenerate, &harmless, p);
    let log = if one_minus { safe.neg().log1p() } else { safe.log() };
    Tensor::where_cond(
        &degenerate,
        &p.scalar_like(LOG_FLOOR),
        &log.clamp(Some(LOG_FLOOR), None),
    )
}

/// Panics naming the first element of `t` outside `[0, 1]` (NaN included), as PyTorch's check.
fn check_unit_interval(op: &str, what: &str, t: &Tensor) {
    if let Some(v) = t.to_f64_vec().into_iter().find(|v| !(0.0..=1.0).contains(v)) {
        panic!("{op}: all elements of {what} should be between 0 and 1, found {v}");
    }
}

/// `−w·(y·max(log p, −100) + (1 − y)·max(log(1 − p), −100))`, reduced
/// (`torch.nn.functional.binary_cross_entropy`).
///
/// `input` holds probabilities in `[0, 1]`, `target` has its shape (values in `[0, 1]`) and
/// `weight`, if any, broadcasts against it. Gradients are the exact derivatives of this clamped
/// formula; they equal PyTorch's wherever `p·(1 − p) ≥ 1e-12` (PyTorch's backward divides by
/// `max(p·(1 − p), 1e-12)` instead, and returns ±inf for the target's gradient at p ∈ {0, 1}).
pub fn binary_cross_entropy(input: &Tensor, target: &Tensor, weight: Option<&Tensor>, reduction: Reduction) -> Tensor {
    let op = "binary_cross_entropy";
    assert_same_shape(op, "input", input, "target", target);
    check_unit_interval(op, "input", input);
    check_unit_interval(op, "target", target);
    // PyTorch's kernel: (y − 1)·max(log1p(−p), −100) − y·max(log p, −100).
    let loss = target
        .sub_scalar(1.0)
        .mul(&clamped_log(input, true))
        .sub(&target.mul(&clamped_log(input, false)));
    let loss = match weight {
        Some(w) => loss.mul(w),
        None => loss,
    };
    reduction.apply(loss)
}

/// `−log σ(x) = log(1 + e^{−x})` computed as PyTorch, `max(−x, 0) + log1p(e^{−|x|})`: never
/// overflows, and both `|x|` and `max(−x, 0)` take the branch of `x ≥ 0` at 0, so every
/// derivative at 0 is that of the smooth function (a primitive `abs` would give 0 there).
fn neg_log_sigmoid(x: &Tensor) -> Tensor {
    let nonneg = x.ge_scalar(0.0);
    let neg_abs = Tensor::where_cond(&nonneg, &x.neg(), x);
    let relu_neg = Tensor::where_cond(&nonneg, &x.scalar_like(0.0), &x.neg());
    relu_neg.add(&neg_abs.exp().log1p())
}

/// Numerically stable BCE on logits (`torch.nn.functional.binary_cross_entropy_with_logits`):
/// `w·((1 − y)·x + (1 + (pw − 1)·y)·(log1p(e^{−|x|}) + max(−x, 0)))`, reduced.
///
/// `target` has `input`'s shape; `weight` broadcasts against the loss; `pos_weight` (the weight
/// of positive examples, one per class) broadcasts over the last dimension. Finite for any
/// finite logits. Differentiable in `input` and `target` (and, unlike PyTorch, in the weights).
pub fn binary_cross_entropy_with_logits(
    input: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    pos_weight: Option<&Tensor>,
    reduction: Reduction,
) -> Tensor {
    assert_same_shape("binary_cross_entropy_with_logits", "input", input, "target", target);
    let softplus_neg = neg_log_sigmoid(input);
    let softplus_neg = match pos_weight {
        Some(pw) => pw.sub_scalar(1.0).mul(target).add_scalar(1.0).mul(&softplus_neg),
        None => softplus_neg,
    };
    let loss = target.rsub_scalar(1.0).mul(input).add(&softplus_neg);
    let loss = match weight {
        Some(w) => loss.mul(w),
        None => loss,
    };
    reduction.apply(loss)
}

/// Multi-label one-versus-all loss (`torch.nn.functional.multilabel_soft_margin_loss`): the
/// per-class BCE on logits `−(y·log σ(x) + (1 − y)·log σ(−x))`, times `weight` (per class), summed
/// over the last (class) dimension and divided by the number of classes; then `reduction` over
/// the remaining (batch) elements. `target` is multi-hot with `input`'s shape; an integer or bool
/// target is converted to `input`'s dtype.
pub fn multilabel_soft_margin_loss(
    input: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    reduction: Reduction,
) -> Tensor {
    let op = "multilabel_soft_margin_loss";
    assert_same_shape(op, "input", input, "target", target);
    assert!(
        input.rank() >= 1,
        "{op}: input needs a class dimension, got shape {:?}",
        input.shape()
    );
    let target = target.to_dtype(input.dtype());
    let loss = target
        .mul(&neg_log_sigmoid(input))
        .add(&target.rsub_scalar(1.0).mul(&neg_log_sigmoid(&input.neg())));
    let loss = match weight {
        Some(w) => loss.mul(w),
        None => loss,
    };
    let class_dim = input.rank() - 1;
    let n_classes = input.dim(class_dim) as f64;
    reduction.apply(loss.sum(&[class_dim], false).div_scalar(n_classes))
}
