//! Clamping as a layer, for networks that end in probabilities kept away from 0 and 1 (the seed's
//! classifier clamps its softmax to [1e-7, 1 - 1e-7] before the BCE and the loss network).

use super::repr::py_float;
use super::Module;
use crate::Tensor;

/// `clamp(x, min, max)`; the gradient is passed where `min ≤ x ≤ max` (PyTorch's rule).
#[derive(Clone, Copy, Debug)]
pub struct Clamp {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Module for Clamp {
    fn forward(&self, input: &Tensor) -> Tensor {
        input.clamp(self.min, self.max)
    }

    fn describe(&self) -> String {
        let show = |v: Option<f64>| v.map_or("None".to_string(), py_float);
        format!("Clamp(min={}, max={})", show(self.min), show(self.max))
    }
}
