//! Hinge losses: multi-class margin (one-versus-rest hinge) and pairwise margin ranking.

use super::{check_class_indices, check_class_weight, Reduction};
use crate::{DType, Tensor};

/// Multi-class hinge loss (`torch.nn.functional.multi_margin_loss`): per sample
/// `Σ_{i ≠ y} w_y·max(0, margin − x_y + x_i)^p / C`, then `reduction` over samples (the `Mean` is
/// over samples, not weighted).
///
/// `input` is `[N, C]` (or unbatched `[C]`, `[]`), `target` int64 `[N]` (or `[]`/`[1]` for one
/// sample), `p` is 1 or 2, `weight` one entry per class. With `Reduction::None` the result has
/// the target's shape. At a hinge exactly at 0 the gradient is 0, as PyTorch's `z > 0` test.
pub fn multi_margin_loss(
    input: &Tensor,
    target: &Tensor,
    p: u32,
    margin: f64,
    weight: Option<&Tensor>,
    reduction: Reduction,
) -> Tensor {
    let op = "multi_margin_loss";
    assert!(p == 1 || p == 2, "{op}: only p == 1 and p == 2 supported, got p = {p}");
    assert!(
        input.rank() <= 2,
        "{op}: expected a 0-D, 1-D or 2-D input, got shape {:?}",
        input.shape()
    );
    let (n_samples, n_classes) = match input.shape() {
        [n, c] => (*n, *c),
        [c] => (1, *c),
        _ => (1, 1),
    };
    assert!(
        target.rank() <= 1 && target.numel() == n_samples,
        "{op}: inconsistent target size, expected {n_samples} entries for input of shape {:?} but got target \
         shape {:?}",
        input.shape(),
        target.shape()
    );
    check_class_indices(op, target, n_classes, None);
    if let Some(w) = weight {
        check_class_weight(op, w, n_classes);
    }
    let x = input.reshape(&[n_samples, n_classes]);
    let y = target.reshape(&[n_samples, 1]);
    let x_y = x.gather(1, &y);
    // PyTorch's order of operations: (margin − x_y) + x_i.
    let hinge = x_y.rsub_scalar(margin).add(&x).relu();
    let hinge = if p == 2 { hinge.square() } else { hinge };
    let hinge = match weight {
        Some(w) => hinge.mul(&w.index_select(0, &y.flatten_all()).unsqueeze(1)),
        None => hinge,
    };
    // The target class itself is left out of the sum.
    let classes = Tensor::arange(0.0, n_classes as f64, 1.0, DType::I64, input.device());
    let is_target = classes.unsqueeze(0).eq(&y);
    let hinge = Tensor::where_cond(&is_target, &hinge.scalar_like(0.0), &hinge);
    let per_sample = hinge.sum(&[1], false).div_scalar(n_classes as f64);
    match reduction {
        Reduction::None => per_sample.reshape(target.shape()),
        other => other.apply(per_sample),
    }
}

/// `max(0, −y·(x1 − x2) + margin)`, reduced (`torch.nn.functional.margin_ranking_loss`); `y` is
/// +1 where `x1` should rank higher, −1 where `x2` should. The three tensors must have the same
/// number of dimensions and broadcast together. Differentiable in all three; at the hinge the
/// gradient passes, as PyTorch's `clamp_min`.
pub fn margin_ranking_loss(x1: &Tensor, x2: &Tensor, y: &Tensor, margin: f64, reduction: Reduction) -> Tensor {
    assert!(
        x1.rank() == x2.rank() && x1.rank() == y.rank(),
        "margin_ranking_loss: All input tensors should have same dimension but got sizes: input1: {:?}, input2: {:?}, \
         target: {:?}",
        x1.shape(),
        x2.shape(),
        y.shape()
    );
    let loss = y.neg().mul(&x1.sub(x2)).add_scalar(margin).clamp(Some(0.0), None);
    reduction.apply(loss)
}
