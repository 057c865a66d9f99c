//! The forward Laplacian (Li et al. 2023): carry, per sample, the value z, the Jacobian
//! `J = ∂z/∂p` and the Laplacian `L = Σ_i ∂²z/∂p_i²` through the layers.
//!
//! - Linear `z W + b`: `J W`, `L W` (no bias);
//! - eval-mode BatchNorm, an affine map `a·z + c` per feature: `a·J`, `a·L`;
//! - activation σ: `J' = σ'(z)·J`, `L' = σ'(z)·L + σ''(z)·Σ_i J_i²`.
//!
//! The first layer's Jacobian is the first C columns of its weight, shared by every sample, and
//! its Laplacian is zero. No backward pass is needed, and the energy's gradient comes out as
//! the last Jacobian. Valid only for independent samples (no training-mode BatchNorm).

use crate::learnable::loss_network::{eval_scale, normalise};
use crate::learnable::LossNetwork;
use crate::nn::functional;
use crate::Tensor;

pub(super) fn energy_terms(net: &LossNetwork, p: &Tensor, y: &Tensor) -> (Tensor, Tensor, Tensor) {
    let c = p.dim(1);
    let activation = net.config().activation;
    let x = Tensor::cat(&[p.clone(), y.clone()], 1);
    let first = &net.hidden[0].linear;
    let mut z = functional::linear(&x, &first.weight, first.bias.as_ref());
    // J as [B or 1, C, H]: direction i of p is row i.
    let mut jac = first.weight.narrow(1, 0, c).mt().unsqueeze(0);
    let mut lap: Option<Tensor> = None; // zero until the first curvature appears
    for (i, layer) in net.hidden.iter().enumerate() {
        if i > 0 {
            let w = &layer.linear.weight;
            z = functional::linear(&z, w, layer.linear.bias.as_ref());
            jac = jac.matmul(&w.mt());
            lap = lap.map(|l| l.matmul(&w.mt()));
        }
        if let Some(bn) = &layer.bn {
            assert!(
                !bn.training,
                "forward Laplacian: training-mode BatchNorm couples samples"
            );
            let scale = eval_scale(bn);
            z = normalise(bn, &z, 0);
            jac = jac.mul(&scale);
            lap = lap.map(|l| l.mul(&scale));
        }
        let (d1, d2) = activation.derivatives(&z);
        let curvature = d2.mul(&jac.square().sum(&[1], false));
        lap = Some(match lap {
            Some(l) => d1.mul(&l).add(&curvature),
            None => curvature,
        });
        jac = jac.mul(&d1.unsqueeze(1));
        z = activation.apply(&z);
    }
    let w = &net.output.weight;
    let energy = functional::linear(&z, w, net.output.bias.as_ref()).squeeze(1);
    let grad = jac.matmul(&w.mt()).squeeze(2);
    let trace = lap.expect("at least one hidden layer").matmul(&w.mt()).squeeze(1);
    (energy, grad, trace)
}
