//! Kullback–Leibler divergence with the input in log space.

use super::KlReduction;
use crate::Tensor;

/// `x·log x`, 0 where `x = 0` (PyTorch's `xlogy(x, x)`; NaN for `x < 0` as there). The log sees
/// 1 where `x = 0`, so its derivative there is finite and the gradient routed away from it by
/// `where` stays 0 instead of 0·∞ = NaN.
fn x_log_x(x: &Tensor) -> Tensor {
    let zero = x.eq_scalar(0.0);
    let safe = Tensor::where_cond(&zero, &x.scalar_like(1.0), x);
    Tensor::where_cond(&zero, &x.scalar_like(0.0), &x.mul(&safe.log()))
}

/// Pointwise KL divergence `target·(log target − input)` reduced
/// (`torch.nn.functional.kl_div`); `input` holds log-probabilities. With `log_target` the
/// target holds log-probabilities too and the term is `exp(target)·(target − input)`.
///
/// Where `target = 0` the term is 0 (`0·log 0 = 0`) and its gradient with respect to the
/// target is `−input`: the derivative of the masked formula. (PyTorch's gradient there is NaN,
/// 0/0 inside `xlogy`'s backward.) `input` and `target` broadcast together, as in PyTorch.
/// `BatchMean` divides the sum by `input`'s first dimension (by 1 for a 0-d input).
pub fn kl_div(input: &Tensor, target: &Tensor, reduction: KlReduction, log_target: bool) -> Tensor {
    let pointwise = if log_target {
        target.exp().mul(&target.sub(input))
    } else {
        x_log_x(target).sub(&target.mul(input))
    };
    match reduction {
        KlReduction::None => pointwise,
        KlReduction::Sum => pointwise.sum_all(),
        KlReduction::Mean => pointwise.mean_all(),
        KlReduction::BatchMean if input.rank() == 0 => pointwise.sum_all(),
        KlReduction::BatchMean => pointwise.sum_all().div_scalar(input.dim(0) as f64),
    }
}
