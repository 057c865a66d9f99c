//! `nn.Flatten`.

use super::activation::resolve_dim;
use super::Module;
use crate::Tensor;

/// Merges dims `start_dim..=end_dim` (negative counts from the end); PyTorch's defaults 1 and -1
/// keep the batch dim.
#[derive(Clone, Copy, Debug)]
pub struct Flatten {
    pub start_dim: isize,
    pub end_dim: isize,
}

impl Default for Flatten {
    fn default() -> Self {
        Flatten {
            start_dim: 1,
            end_dim: -1,
        }
    }
}

impl Module for Flatten {
    fn forward(&self, input: &Tensor) -> Tensor {
        let r = input.rank();
        let start = resolve_dim("Flatten", self.start_dim, r);
        let end = resolve_dim("Flatten", self.end_dim, r);
        assert!(
            start <= end,
            "Flatten: start_dim {} cannot come after end_dim {} for input {:?}",
            self.start_dim,
            self.end_dim,
            input.shape()
        );
        input.flatten(start, end)
    }

    fn describe(&self) -> String {
        format!("Flatten(start_dim={}, end_dim={})", self.start_dim, self.end_dim)
    }
}
