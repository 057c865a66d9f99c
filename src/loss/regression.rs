//! Elementwise regression losses. Like PyTorch, `input` and `target` broadcast together (PyTorch
//! warns when their sizes differ; shapes that cannot broadcast panic naming both).

use super::Reduction;
use crate::Tensor;

/// `(input − target)²`, reduced (`torch.nn.functional.mse_loss`).
pub fn mse_loss(input: &Tensor, target: &Tensor, reduction: Reduction) -> Tensor {
    reduction.apply(input.sub(target).square())
}

/// `|input − target|`, reduced (`torch.nn.functional.l1_loss`). The gradient at a tie is 0, as
/// PyTorch's `sign`.
pub fn l1_loss(input: &Tensor, target: &Tensor, reduction: Reduction) -> Tensor {
    reduction.apply(input.sub(target).abs())
}
