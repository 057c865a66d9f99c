//! Task losses with `torch.nn.functional`'s names, defaults, shapes and reductions.
//!
//! Every loss is composed from differentiable tensor ops (no loss has a gradient rule of its
//! own), so gradients of every order come from autograd. Where PyTorch guards a value (the -100
//! clamp of BCE's logs, `0·log 0 = 0` in KL), the guard masks the *input* of the log as well as
//! its output: a gradient routed away by `where` is 0, and 0 times an infinite local derivative
//! would otherwise be NaN.
//!
//! Programmer errors panic with a message naming the shapes or the offending value, as PyTorch
//! raises: mismatched shapes, class indices out of range, probabilities outside `[0, 1]`.
//!
//! ```
//! use learnloss::loss::{cross_entropy, l1_penalty, CrossEntropyOptions};
//! use learnloss::{Device, Tensor};
//! let w = Tensor::from_vec(vec![0.5f64, -1.0, 0.25, 2.0, 0.0, -0.5], &[2, 3], &Device::Cpu).requires_grad_(true);
//! let x = Tensor::from_vec(vec![1.0f64, 2.0, -1.0, 0.5], &[2, 2], &Device::Cpu);
//! let labels = Tensor::from_vec(vec![0i64, 2], &[2], &Device::Cpu);
//! // Cross-entropy of a linear classifier, plus α·L1 of its weights.
//! let loss = cross_entropy(&x.matmul(&w), &labels, &CrossEntropyOptions::default())
//!     .add(&l1_penalty(&[w.clone()]).mul_scalar(1e-3));
//! loss.backward();
//! assert_eq!(w.grad().unwrap().shape(), &[2, 3]);
//! ```

mod bce;
mod cross_entropy;
mod kl;
mod margin;
mod one_hot;
mod penalty;
mod reduction;
mod regression;
mod user_defined;

pub use bce::{binary_cross_entropy, binary_cross_entropy_with_logits, multilabel_soft_margin_loss};
pub use cross_entropy::{cross_entropy, nll_loss, CrossEntropyOptions};
pub use kl::kl_div;
pub use margin::{margin_ranking_loss, multi_margin_loss};
pub use one_hot::one_hot;
pub use penalty::l1_penalty;
pub use reduction::{KlReduction, Reduction};
pub use regression::{l1_loss, mse_loss};
pub use user_defined::{cross_entropy_plus_l1, weighted_cross_entropy_over_batch};

use crate::{DType, Tensor};

/// Panics unless `a` and `b` have the same shape.
fn assert_same_shape(op: &str, a_name: &str, a: &Tensor, b_name: &str, b: &Tensor) {
    assert!(
        a.shape() == b.shape(),
        "{op}: {b_name} size {:?} must be the same as {a_name} size {:?}",
        b.shape(),
        a.shape()
    );
}

/// Panics unless `target` holds int64 class indices in `0..n_classes` (entries equal to
/// `ignore_index` excepted). Reads the indices on the host: an out-of-range class is a caller
/// bug that a gather would otherwise turn into a silent wrong answer or a backend fault.
fn check_class_indices(op: &str, target: &Tensor, n_classes: usize, ignore_index: Option<i64>) {
    assert_eq!(
        target.dtype(),
        DType::I64,
        "{op}: class-index targets must be int64, got {} of shape {:?}",
        target.dtype(),
        target.shape()
    );
    for t in target.to_vec::<i64>() {
        if Some(t) == ignore_index {
            continue;
        }
        assert!(
            (0..n_classes as i64).contains(&t),
            "{op}: Target {t} is out of bounds (number of classes {n_classes})"
        );
    }
}

/// A class weight vector must hold one entry per class.
fn check_class_weight(op: &str, weight: &Tensor, n_classes: usize) {
    assert!(
        weight.rank() == 1 && weight.numel() == n_classes,
        "{op}: weight tensor should be defined either for all {n_classes} classes or no classes but got weight \
         tensor of shape: {:?}",
        weight.shape()
    );
}
