//! Parameter penalties added to a task loss (e.g. "cross-entropy + α·L1(params)").

use crate::Tensor;

/// `Σ_p Σ_i |p_i|` over all `params`, a 0-d tensor differentiable in every parameter (the
/// subgradient at 0 is 0, as `torch.abs`). Panics on an empty list: with no parameter there is
/// no dtype or device to build the zero from, and an empty list is almost surely a caller bug.
pub fn l1_penalty(params: &[Tensor]) -> Tensor {
    let (first, rest) = params
        .split_first()
        .expect("l1_penalty: expected at least one parameter tensor, got none");
    rest.iter()
        .fold(first.abs().sum_all(), |acc, p| acc.add(&p.abs().sum_all()))
}
