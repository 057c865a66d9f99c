//! Reverse-mode automatic differentiation to any order.
//!
//! - [`op`]: what a tensor records about how it was made;
//! - `rules`: the gradient of every op, written in differentiable tensor ops;
//! - [`engine`]: `grad()` / `backward()`;
//! - [`grad_mode`]: `no_grad()` and friends.

pub mod engine;
pub mod grad_mode;
pub mod op;
mod rules;

pub use engine::{backward, grad};
pub use grad_mode::{enable_grad, is_enabled as is_grad_enabled, no_grad, GradModeGuard};
pub use op::{CustomBackward, Op};
pub(crate) use rules::when;
