//! learnloss: tensors and reverse-mode autograd to any order, on the CPU (CUDA and wgpu
//! backends implement the same primitive set), for learnable loss networks trained with exact
//! Hessian-trace penalties.
//!
//! ```
//! use learnloss::{grad, DType, Device, Tensor};
//! let x = Tensor::from_vec(vec![0.5f64, -1.0], &[2], &Device::Cpu).requires_grad_(true);
//! let y = x.tanh().sum_all();
//! // First derivative as a graph, then differentiate it again.
//! let g = grad(&[y], &[x.clone()], None, true).remove(0);
//! let h = grad(&[g.sum_all()], &[x.clone()], None, false).remove(0);
//! let t = x.tanh().to_vec::<f64>();
//! let expected: Vec<f64> = t.iter().map(|t| -2.0 * t * (1.0 - t * t)).collect();
//! assert!(h.to_vec::<f64>().iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-12));
//! ```

pub mod autograd;
pub mod backend;
pub mod check;
pub mod checkpoint;
pub mod data;
mod device;
mod dtype;
mod error;
pub mod layout;
pub mod learnable;
pub mod loss;
pub mod malloc;
pub mod models;
pub mod nn;
pub mod optim;
pub mod report;
mod serde_str;
pub mod tensor;
pub mod threads;
pub mod train;

// README.md's Rust examples run as doctests, so the README cannot drift from the API.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub use autograd::{backward, enable_grad, grad, no_grad};
pub use backend::{Conv2dParams, Pool2dParams};
pub use device::Device;
pub use dtype::DType;
pub use error::{Error, Result};
pub use layout::Layout;
pub use tensor::{Generator, GeneratorState, HostElement, Tensor, TensorId};

/// The CPU setup the trainer and the benches run with: freed memory stays in the heap
/// ([`malloc::keep_freed_memory`]) and the calling thread computes too
/// ([`threads::compute_on_calling_thread`]). Call it first thing in `main`, on the thread that
/// will run the tensor work.
pub fn tune_cpu_process() {
    malloc::keep_freed_memory();
    threads::compute_on_calling_thread();
}
