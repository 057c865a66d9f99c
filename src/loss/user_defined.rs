//! The loss-comparison study's two custom losses exactly as its users write them
//! (docs/loss-study.md). Both differ from a PyTorch built-in on purpose, and the difference is
//! the point of having them here under their own names.

use super::{check_class_indices, check_class_weight, cross_entropy, l1_penalty, CrossEntropyOptions, Reduction};
use crate::Tensor;

/// `−Σ_n w[t_n] · log_softmax(x_n)[t_n] / N`: class-weighted cross-entropy divided by the batch
/// size N. PyTorch's `F.cross_entropy(x, t, weight=w)` divides by `Σ_n w[t_n]` instead, so the
/// two agree only when every weight is 1; with class 0 weighted 2, a batch rich in class 0 gives
/// a larger loss here and the same one there. `input` is `[N, C]` logits, `target` `[N]` int64
/// class indices, `weight` `[C]` in the input's dtype.
pub fn weighted_cross_entropy_over_batch(input: &Tensor, target: &Tensor, weight: &Tensor) -> Tensor {
    const OP: &str = "weighted_cross_entropy_over_batch";
    assert!(
        input.rank() == 2,
        "{OP}: expected [N, C] logits, got input of shape {:?}",
        input.shape()
    );
    assert!(
        target.rank() == 1 && target.dim(0) == input.dim(0),
        "{OP}: expected target of shape [{}] for input of shape {:?}, got {:?}",
        input.dim(0),
        input.shape(),
        target.shape()
    );
    check_class_weight(OP, weight, input.dim(1));
    check_class_indices(OP, target, input.dim(1), None);
    let summed = cross_entropy(
        input,
        target,
        &CrossEntropyOptions {
            weight: Some(weight.clone()),
            reduction: Reduction::Sum,
            ..Default::default()
        },
    );
    summed.div_scalar(input.dim(0) as f64)
}

/// `cross_entropy(x, t) + α · Σ_θ Σ|θ|`: PyTorch's mean cross-entropy plus α times the L1 norm of
/// every tensor in `params` (the users' example passes all of the model's parameters, weights
/// and biases alike, with α = 0.01).
pub fn cross_entropy_plus_l1(input: &Tensor, target: &Tensor, params: &[Tensor], alpha: f64) -> Tensor {
    cross_entropy(input, target, &CrossEntropyOptions::default()).add(&l1_penalty(params).mul_scalar(alpha))
}
