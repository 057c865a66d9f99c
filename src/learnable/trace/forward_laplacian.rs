//! The forward Laplacian (Li et al. 2023): carry, per sample, the value z, the Jacobian
//! `J = ∂z/∂p` and the Laplacian `L = Σ_i ∂²z/∂p_i²` through the layers.
//!
//! - Linear `z W + b`: `J W`, `L W` (no bias);
//! - eval-mode BatchNorm, an affine map `a·z + c` per feature, folded into the Linear before it
//!   (`W' = diag(a)·W`, `b' = (b − mean)·a + c`);
//! - activation σ: `J' = σ'(z)·J`, `L' = σ'(z)·L + σ''(z)·Σ_i J_i²`.
//!
//! The three travel packed as one `[B, C + 2, H]` state (see [`tangent_activation`]): a
//! Linear is one product for all of them, and each activation with the Linear after it one fused
//! op. The first layer's
//! Jacobian is the first C columns of its weight, shared by every sample, and its Laplacian is
//! zero. No backward pass is needed, and the energy's gradient comes out as the last Jacobian.
//! Valid only for independent samples (no training-mode BatchNorm).

use super::tangent_activation::{self, Incoming};
use crate::learnable::loss_network::{eval_affine, EvalAffine, Hidden};
use crate::learnable::LossNetwork;
use crate::nn::functional;
use crate::Tensor;

pub(super) fn energy_terms(net: &LossNetwork, p: &Tensor, y: &Tensor) -> (Tensor, Tensor, Tensor) {
    let c = p.dim(1);
    let activation = net.config().activation;
    let x = Tensor::cat(&[p.clone(), y.clone()], 1);
    let layers: Vec<(Tensor, Option<Tensor>)> = net.hidden.iter().map(folded_linear).collect();
    let (w, b) = &layers[0];
    let z = functional::linear(&x, w, b.as_ref());
    let tangents = w.narrow(1, 0, c).mt();
    // The next layers' packed pre-activation states, [B, C + 2, width], each from the last.
    let mut weights = layers[1..].iter().map(|(w, _)| w).chain([&net.output.weight]);
    let first = weights.next().expect("the output layer's weight");
    let shared = Incoming::Shared {
        z: &z,
        tangents: &tangents,
    };
    let mut state = tangent_activation::activate_then_linear(activation, shared, first);
    // Each later step takes the state from layer k's Linear (k ≥ 1), which lacks its bias.
    for ((_, bias), weight) in layers[1..].iter().zip(weights) {
        let incoming = Incoming::Packed {
            pre: &state,
            bias: bias.as_ref(),
        };
        state = tangent_activation::activate_then_linear(activation, incoming, weight);
    }
    // [B, C + 2]: the energy (less the bias), its gradient and its Laplacian.
    let out = state.squeeze(2);
    let mut energy = out.narrow(1, 0, 1).squeeze(1);
    if let Some(b) = &net.output.bias {
        energy = energy.add(b);
    }
    let grad = out.narrow(1, 1, c);
    let trace = out.narrow(1, c + 1, 1).squeeze(1);
    (energy, grad, trace)
}

/// The layer's Linear with its eval-mode BatchNorm folded in: `(W, b)` or
/// `(diag(a)·W, a·b + shift)` for the BatchNorm `a·z + shift` (small `[H, *]` ops, differentiable in every parameter).
fn folded_linear(layer: &Hidden) -> (Tensor, Option<Tensor>) {
    let (w, b) = (&layer.linear.weight, layer.linear.bias.as_ref());
    let Some(bn) = &layer.bn else {
        return (w.clone(), b.cloned());
    };
    assert!(
        !bn.training,
        "forward Laplacian: training-mode BatchNorm couples samples"
    );
    let EvalAffine { scale, shift } = eval_affine(bn);
    let shift = match b {
        Some(b) => b.mul(&scale).add(&shift),
        None => shift,
    };
    (w.mul(&scale.unsqueeze(1)), Some(shift))
}

#[cfg(test)]
mod tests {
    use super::super::{energy_terms, TraceDefinition, TraceMethod};
    use crate::learnable::{Activation, BnMode, LossNetwork, LossNetworkConfig, Penalties};
    use crate::nn::{Module, Spec};
    use crate::{grad, DType, Device, Generator, Tensor};

    /// Energy, gradient, trace and the penalties' gradients in p and every parameter.
    fn outputs(net: &LossNetwork, p: &Tensor, y: &Tensor, method: TraceMethod) -> Vec<Vec<f64>> {
        let terms = energy_terms(net, p, y, TraceDefinition::PerSample, method).expect("valid");
        let mut wrt = vec![p.clone()];
        wrt.extend(net.parameters());
        let grads = grad(&[Penalties::new(&terms).sum()], &wrt, None, false);
        let mut out = vec![
            terms.energy.to_f64_vec(),
            terms.grad.to_f64_vec(),
            terms.trace.to_f64_vec(),
        ];
        out.extend(grads.iter().map(Tensor::to_f64_vec));
        out
    }

    /// More classes than the second layer's width: the first Jacobian's per-sample scale is
    /// folded into the next weight; everything must match the loop to round-off.
    #[test]
    fn folded_first_scale_matches_the_loop() {
        for bn in [BnMode::Eval, BnMode::None] {
            let (c, b) = (7, 5);
            let config = LossNetworkConfig {
                classes: c,
                hidden: vec![6, 3, 2],
                bn_after: vec![0],
                bn,
                activation: Activation::Softplus,
            };
            let mut gen = Generator::new(3);
            let net = LossNetwork::new(config, &Spec::f64(), &mut gen);
            let p = Tensor::randn(&[b, c], DType::F64, &Device::Cpu, &mut gen)
                .softmax(1)
                .detach()
                .requires_grad_(true);
            let y = Tensor::randn(&[b, c], DType::F64, &Device::Cpu, &mut gen).softmax(1);
            let fast = outputs(&net, &p, &y, TraceMethod::ForwardLaplacian);
            let reference = outputs(&net, &p, &y, TraceMethod::Loop);
            for (k, (x, r)) in fast.iter().zip(&reference).enumerate() {
                let scale = x.iter().chain(r).fold(1e-3f64, |m, v| m.max(v.abs()));
                for (u, v) in x.iter().zip(r) {
                    assert!((u - v).abs() <= 1e-10 * scale, "bn={bn} block {k}: {u} vs {v}");
                }
            }
        }
    }
}
