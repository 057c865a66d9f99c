//! All C Hessian-vector products in one pass. Perturbing p along class i for the whole batch
//! shifts the first pre-activation z1 by the weight column `w_i = W1[:, i]` in every row, so with
//! `S = Σ E` and `G(z1) = ∂S/∂z1`:
//!
//! `trace_b = Σ_i Σ_k (H_z1 · u_i)[b, k] · W1[k, i]`, `u_i = 1 ⊗ w_i`.
//!
//! The hidden stack is replayed on `Z = z1` repeated C times along a leading dimension
//! (BatchNorm statistics per copy, so each copy is the original network); one backward gives
//! `G` for every copy, and one more backward of `Σ_i ⟨G_i, u_i⟩` gives every `H_z1 · u_i`
//! (copies do not interact). Work starts at the first hidden layer, and the result is a graph.

use super::{energy_gradient, grad_or_zeros};
use crate::learnable::LossNetwork;
use crate::nn::functional;
use crate::Tensor;

pub(super) fn energy_terms(net: &LossNetwork, p: &Tensor, y: &Tensor) -> (Tensor, Tensor, Tensor) {
    let energy = net.energy(p, y);
    let grad = energy_gradient(&energy, p);

    let (b, c) = (p.dim(0), p.dim(1));
    let first = &net.hidden[0].linear;
    let z1 = functional::linear(
        &Tensor::cat(&[p.clone(), y.clone()], 1),
        &first.weight,
        first.bias.as_ref(),
    );
    let h1 = z1.dim(1);
    let copies = z1.unsqueeze(0).expand(&[c, b, h1]);
    let replayed = net.forward_from_first_preactivation(&copies, 1);
    let g = grad_or_zeros(&replayed.sum_all(), &copies);
    // u_i: the weight column of class i, the same for every sample: [C, 1, H1].
    let u = first.weight.narrow(1, 0, c).mt().unsqueeze(1);
    let hvp = grad_or_zeros(&g.mul(&u).sum_all(), &copies);
    let trace = hvp.mul(&u).sum(&[0, 2], false);
    (energy, grad, trace)
}
