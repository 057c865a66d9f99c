//! gradcheck and gradgradcheck (f64, central differences, PyTorch's tolerances) for every
//! differentiable op, including broadcasting, non-contiguous inputs, reductions over several
//! dimensions, strided/padded/dilated convolutions and overlapping max-pool windows.

mod composed;
mod elementwise;
mod indexing;
mod layers;
mod losses;
mod nn;
mod reductions;
mod resnet;
mod views;

use learnloss::check::{gradcheck, gradgradcheck};
use learnloss::{DType, Device, Generator, Tensor};

pub fn dev() -> Device {
    Device::Cpu
}

/// Standard normal f64 leaf that requires grad.
pub fn randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::randn(shape, DType::F64, &dev(), &mut Generator::new(seed)).requires_grad_(true)
}

/// Uniform f64 leaf in `[low, high)` that requires grad.
pub fn uniform(shape: &[usize], low: f64, high: f64, seed: u64) -> Tensor {
    Tensor::uniform(shape, low, high, DType::F64, &dev(), &mut Generator::new(seed)).requires_grad_(true)
}

/// Runs gradcheck and gradgradcheck, panicking with the checker's message (which names the
/// input, the element and both values) on failure.
pub fn check_both(name: &str, f: impl Fn(&[Tensor]) -> Tensor, inputs: &[Tensor]) {
    if let Err(e) = gradcheck(&f, inputs) {
        panic!("{name}: {e}");
    }
    if let Err(e) = gradgradcheck(&f, inputs) {
        panic!("{name}: {e}");
    }
}
