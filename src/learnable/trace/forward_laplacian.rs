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
    let mut jac = Jacobian::shared(first.weight.narrow(1, 0, c).mt().unsqueeze(0));
    let mut lap: Option<Tensor> = None; // zero until the first curvature appears
    for (i, layer) in net.hidden.iter().enumerate() {
        if i > 0 {
            let w = &layer.linear.weight;
            z = functional::linear(&z, w, layer.linear.bias.as_ref());
            jac = jac.linear(w);
            lap = lap.map(|l| l.matmul(&w.mt()));
        }
        if let Some(bn) = &layer.bn {
            assert!(
                !bn.training,
                "forward Laplacian: training-mode BatchNorm couples samples"
            );
            let scale = eval_scale(bn);
            z = normalise(bn, &z, 0);
            jac = jac.scale(&scale);
            lap = lap.map(|l| l.mul(&scale));
        }
        let (d1, d2) = activation.derivatives(&z);
        let curvature = d2.mul(&jac.squared_norms());
        lap = Some(match lap {
            Some(l) => d1.mul(&l).add(&curvature),
            None => curvature,
        });
        jac = jac.scale(&d1);
        z = activation.apply(&z);
    }
    let w = &net.output.weight;
    let energy = functional::linear(&z, w, net.output.bias.as_ref()).squeeze(1);
    let grad = jac.linear(w).dense().squeeze(2);
    let trace = lap.expect("at least one hidden layer").matmul(&w.mt()).squeeze(1);
    (energy, grad, trace)
}

/// The Jacobian `[B or 1, C, H]`, with a per-sample column scaling `[B, H]` not yet applied.
///
/// After each activation the Jacobian is the previous block scaled per sample; applying the
/// scale makes a `[B, C, H]` tensor (the largest of the whole pass, and again in its backward).
/// When C is well above the next layer's width it is cheaper to move the scale into that layer's
/// weight instead, `(J·diag(s))·Wᵀ = J·(diag(s)·Wᵀ)`: a `[B, H, H2]` operand and one product per
/// sample straight to `[B, C, H2]` — for the shared first block and for per-sample ones alike
/// (at C = 100 this saved three full-size passes a step). Below about twice the width the small
/// per-sample products lose to one folded product plus the scaling pass (measured at C = 37,
/// widths 64/32/16: 10–15 % less CPU time with the factor 2). The batched trace's forward
/// tangents are the same object.
#[derive(Clone)]
pub(super) struct Jacobian {
    base: Tensor,
    pending: Option<Tensor>,
}

impl Jacobian {
    pub(super) fn shared(base: Tensor) -> Jacobian {
        Jacobian { base, pending: None }
    }

    /// `J·diag(s)` for `s` `[B or 1, H]` (or `[H]`).
    pub(super) fn scale(self, s: &Tensor) -> Jacobian {
        let s = if s.rank() == 1 { s.unsqueeze(0) } else { s.clone() };
        let pending = match self.pending {
            Some(p) => p.mul(&s),
            None => s,
        };
        Jacobian {
            base: self.base,
            pending: Some(pending),
        }
    }

    /// `J·Wᵀ` for a weight `[H2, H]`.
    pub(super) fn linear(self, w: &Tensor) -> Jacobian {
        let base = match self.pending {
            Some(s) if self.base.dim(1) > 2 * w.dim(0) => self.base.matmul(&s.unsqueeze(2).mul(&w.mt())),
            pending => Jacobian {
                base: self.base,
                pending,
            }
            .dense()
            .matmul(&w.mt()),
        };
        Jacobian::shared(base)
    }

    /// `Σ_i J_i²` per sample and unit, `[B or 1, H]`: the scale is squared after the sum.
    pub(super) fn squared_norms(&self) -> Tensor {
        let norms = self.base.square().sum(&[1], false);
        match &self.pending {
            Some(s) => norms.mul(&s.square()),
            None => norms,
        }
    }

    /// The Jacobian as one tensor.
    pub(super) fn dense(self) -> Tensor {
        match self.pending {
            Some(s) => self.base.mul(&s.unsqueeze(1)),
            None => self.base,
        }
    }
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
