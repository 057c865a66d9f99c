//! The seed's trace: one double-backward pass per class,
//! `trace += ∂(Σ_b g[b, i]) / ∂p[:, i]` with `g = ∂(Σ E)/∂p`.

use super::{energy_gradient, grad_or_zeros};
use crate::learnable::LossNetwork;
use crate::Tensor;

pub(super) fn energy_terms(net: &LossNetwork, p: &Tensor, y: &Tensor) -> (Tensor, Tensor, Tensor) {
    let energy = net.energy(p, y);
    let grad = energy_gradient(&energy, p);
    let trace = (0..net.classes())
        .map(|i| grad_or_zeros(&grad.select(1, i).sum_all(), p).select(1, i))
        .reduce(|a, b| a.add(&b))
        .expect("at least one class");
    (energy, grad, trace)
}
