//! How per-element losses become the returned tensor (PyTorch's `reduction=` argument).

use crate::Tensor;

/// PyTorch's `reduction`: keep the per-element losses, average them, or add them up.
///
/// `Mean` of zero elements is NaN (0/0), as in PyTorch.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Reduction {
    None,
    #[default]
    Mean,
    Sum,
}

impl Reduction {
    /// Reduces `loss` (per-element values) to the requested form.
    pub(crate) fn apply(self, loss: Tensor) -> Tensor {
        match self {
            Reduction::None => loss,
            Reduction::Mean => loss.mean_all(),
            Reduction::Sum => loss.sum_all(),
        }
    }
}

/// `kl_div`'s reduction, which adds `BatchMean`: the sum divided by the batch size (the size of
/// the input's first dimension), the mathematically correct KL divergence per sample. `Mean`
/// divides by the number of elements instead, as PyTorch's default does.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum KlReduction {
    None,
    BatchMean,
    #[default]
    Mean,
    Sum,
}
