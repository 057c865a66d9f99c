//! One-hot encoding of class indices, the targets of BCE-style losses and the `y` half of a loss
//! network's input.

use super::check_class_indices;
use crate::{DType, Tensor};

/// `torch.nn.functional.one_hot`: int64 class indices of any shape → int64 `[..., num_classes]`
/// with a 1 at each index (convert with `to_dtype` for a float target). Built as `eq` against an
/// `arange`, so it needs no primitive of its own. Panics naming an index outside
/// `0..num_classes`.
pub fn one_hot(target: &Tensor, num_classes: usize) -> Tensor {
    check_class_indices("one_hot", target, num_classes, None);
    let classes = Tensor::arange(0.0, num_classes as f64, 1.0, DType::I64, target.device());
    target.unsqueeze(target.rank()).eq(&classes).to_dtype(DType::I64)
}
