//! PyTorch's default parameter initialisation, drawn from a seeded [`Generator`].

use super::Spec;
use crate::{Generator, Tensor};

/// `torch.nn.init.calculate_gain("leaky_relu", a)`: √(2 / (1 + a²)).
fn leaky_relu_gain(a: f64) -> f64 {
    (2.0 / (1.0 + a * a)).sqrt()
}

/// `kaiming_uniform_(w, a)` with fan-in mode: U(-b, b), b = gain·√(3 / fan_in).
pub fn kaiming_uniform(shape: &[usize], fan_in: usize, a: f64, spec: &Spec, gen: &mut Generator) -> Tensor {
    assert!(fan_in > 0, "kaiming_uniform: fan_in is 0 for shape {shape:?}");
    let bound = leaky_relu_gain(a) * (3.0 / fan_in as f64).sqrt();
    uniform(shape, bound, spec, gen)
}

/// U(-bound, bound).
pub fn uniform(shape: &[usize], bound: f64, spec: &Spec, gen: &mut Generator) -> Tensor {
    Tensor::uniform(shape, -bound, bound, spec.dtype, &spec.device, gen)
}

/// The default of `nn.Linear` and `nn.Conv2d`: weight kaiming-uniform with a = √5 (so U(±1/√fan_in)),
/// then the bias (if any) U(±1/√fan_in). The weight is drawn first, as PyTorch's `reset_parameters`.
pub fn default_weight_and_bias(
    weight_shape: &[usize],
    fan_in: usize,
    bias_len: Option<usize>,
    spec: &Spec,
    gen: &mut Generator,
) -> (Tensor, Option<Tensor>) {
    let weight = kaiming_uniform(weight_shape, fan_in, 5f64.sqrt(), spec, gen).requires_grad_(true);
    let bias = bias_len.map(|n| uniform(&[n], 1.0 / (fan_in as f64).sqrt(), spec, gen).requires_grad_(true));
    (weight, bias)
}
