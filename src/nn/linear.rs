//! `nn.Linear`.

use super::repr::py_bool;
use super::{functional, init, join_name, Module, Slot, Spec};
use crate::{Generator, Tensor};

/// `y = x·Wᵀ + b` with `weight: [out_features, in_features]`, `bias: [out_features]`.
pub struct Linear {
    pub weight: Tensor,
    pub bias: Option<Tensor>,
}

impl Linear {
    /// PyTorch's default initialisation (U(±1/√in_features) for weight and bias).
    pub fn new(in_features: usize, out_features: usize, bias: bool, spec: &Spec, gen: &mut Generator) -> Linear {
        let (weight, bias) = init::default_weight_and_bias(
            &[out_features, in_features],
            in_features,
            bias.then_some(out_features),
            spec,
            gen,
        );
        Linear { weight, bias }
    }

    pub fn in_features(&self) -> usize {
        self.weight.dim(1)
    }

    pub fn out_features(&self) -> usize {
        self.weight.dim(0)
    }
}

impl Module for Linear {
    fn forward(&self, input: &Tensor) -> Tensor {
        functional::linear(input, &self.weight, self.bias.as_ref())
    }

    fn visit(&self, prefix: &str, visit: &mut dyn FnMut(String, &Tensor, Slot)) {
        visit(join_name(prefix, "weight"), &self.weight, Slot::Parameter);
        if let Some(b) = &self.bias {
            visit(join_name(prefix, "bias"), b, Slot::Parameter);
        }
    }

    fn describe(&self) -> String {
        format!(
            "Linear(in_features={}, out_features={}, bias={})",
            self.in_features(),
            self.out_features(),
            py_bool(self.bias.is_some())
        )
    }
}
