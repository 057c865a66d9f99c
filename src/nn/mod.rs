//! Layers and networks (torch.nn): a [`Module`] trait with PyTorch-named parameters and buffers,
//! the layers the seed's models are built from, and their functional forms in [`functional`].
//!
//! Every layer is composed from differentiable tensor ops, so a network's output can be
//! differentiated to any order with respect to its input and its parameters — BatchNorm in
//! training mode included.

mod activation;
mod batch_norm;
mod batch_norm_train;
mod clamp;
mod conv;
mod dropout;
mod flatten;
pub mod functional;
pub mod init;
mod linear;
mod module;
mod pool;
mod repr;
mod sequential;

pub use activation::{Identity, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh};
pub use batch_norm::{BatchNorm, BatchNormConfig};
pub use clamp::Clamp;
pub use conv::{Conv2d, Conv2dConfig};
pub use dropout::{shared_generator, Dropout, SharedGenerator};
pub use flatten::Flatten;
pub use linear::Linear;
pub use module::{join_name, Module, Slot, Spec};
pub use pool::{AdaptiveAvgPool2d, MaxPool2d};
pub use sequential::{describe_container, Sequential};
