//! Optimisers (torch.optim): [`Adam`] and [`Sgd`], with PyTorch's update rules in PyTorch's
//! operation order (`_single_tensor_adam`, `_single_tensor_sgd`), so an f64 trajectory matches
//! `torch.optim` to rounding (tests/torch_optim.rs checks 1e-12 relative against PyTorch). Exact
//! bits are not portable even within PyTorch: its CPU kernels fuse multiply-adds (`add` with
//! `alpha`, `lerp`, `addcmul`) where the vector width and compiler allow, which moves some
//! results by an ulp.
//!
//! An optimiser holds the parameters it updates under their names (from
//! [`crate::nn::Module::named_parameters`], several modules' lists may be concatenated), and its
//! per-parameter state as tensors. [`Optimizer::state_dict`] exposes that state as named tensors
//! (`"<parameter name>.<slot>"`) so a training checkpoint can save and restore it.
//!
//! Hyperparameters (learning rate, betas, momentum, …) are not part of the state dict: they come
//! from the constructor, and a schedule sets the learning rate with [`Optimizer::set_lr`], so a
//! resumed run recomputes them the same way the original run did.

mod adam;
mod sgd;
mod state;

pub use adam::{Adam, AdamConfig};
pub use sgd::{Sgd, SgdConfig};

use crate::{Result, Tensor};

/// What the trainer and the checkpoints need from an optimiser.
pub trait Optimizer {
    /// Applies one update to every parameter that has a gradient; parameters whose `grad()` is
    /// `None` are skipped and their state is left alone, as in PyTorch.
    fn step(&mut self);

    /// Clears every parameter's gradient (PyTorch's `zero_grad(set_to_none=True)`).
    fn zero_grad(&self) {
        for (_, p) in self.named_parameters() {
            p.zero_grad();
        }
    }

    /// The current learning rate.
    fn lr(&self) -> f64;

    /// Sets the learning rate used by the following steps (for schedules).
    fn set_lr(&mut self, lr: f64);

    /// The parameters this optimiser updates, under their names.
    fn named_parameters(&self) -> &[(String, Tensor)];

    /// The per-parameter state as named tensors, `"<parameter name>.<slot>"`; parameters that
    /// have no state yet (never had a gradient) have no entries.
    fn state_dict(&self) -> Vec<(String, Tensor)>;

    /// Checks that `state` could be loaded: every name belongs to a parameter and slot of this
    /// optimiser, shapes and dtypes match, and each parameter has all its slots or none. Returns
    /// [`crate::Error::Checkpoint`] naming the first mismatch.
    fn check_state_dict(&self, state: &[(String, Tensor)]) -> Result<()>;

    /// Replaces the state by `state` (copied) after [`Optimizer::check_state_dict`]; on error the
    /// optimiser is unchanged. Parameters without entries start afresh.
    fn load_state_dict(&mut self, state: &[(String, Tensor)]) -> Result<()>;
}
