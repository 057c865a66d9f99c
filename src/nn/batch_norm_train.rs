//! Training-mode batch normalisation as one fused op with a hand-written backward.
//!
//! Composed from elementwise ops, a training-mode BatchNorm made four full-size passes forward
//! and six backward (centring, squaring, scaling, shifting, and autograd's accumulations); on the
//! seed classifier at batch 1024 that was the largest cost of the learnable training step after
//! the convolutions. Here the forward is two read-only passes (the statistics) and one
//! `channel_affine`; the backward is two read-only passes and one `channel_affine` of two terms
//! (PyTorch's formula). The backward is written in differentiable tensor ops, and the batch
//! statistics it uses keep their graph back to the input, so second and third derivatives are
//! exact (DESIGN §2: fused kernels stay differentiable).

use crate::autograd::{when, CustomBackward};
use crate::{no_grad, Tensor};
use std::sync::Arc;

/// The batch statistics of `x` (`[N, C, *]`) over every dimension but 1: mean and biased
/// variance `[C]`, each with its graph back to `x`.
pub(super) fn batch_statistics(x: &Tensor) -> (Tensor, Tensor) {
    let count = (x.numel() / x.dim(1).max(1)) as f64;
    let mean = x.channel_sum().mul_scalar(1.0 / count);
    let var = x.channel_dot(x, &mean, &mean).mul_scalar(1.0 / count);
    (mean, var)
}

/// `(x - mean)/√(var + eps)·weight + bias` with the batch's `mean` and `var` (from
/// [`batch_statistics`] of the same `x`).
pub(super) fn normalise(
    x: &Tensor,
    mean: &Tensor,
    var: &Tensor,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Tensor {
    let rstd = var.add_scalar(eps).sqrt().recip();
    let value = {
        let _guard = no_grad();
        let scale = weight.map_or_else(|| rstd.clone(), |w| w.mul(&rstd));
        Tensor::channel_affine(&[(x, Some(mean), &scale)], bias)
    };
    let mut inputs = vec![x.clone()];
    inputs.extend(weight.cloned());
    inputs.extend(bias.cloned());
    let backward = BatchNormBackward {
        mean: mean.clone(),
        rstd,
        has_weight: weight.is_some(),
    };
    Tensor::from_custom_op(&value, &inputs, Arc::new(backward))
}

/// The backward of [`normalise`]; `inputs` are `x, [weight,] [bias]`.
struct BatchNormBackward {
    mean: Tensor,
    rstd: Tensor,
    has_weight: bool,
}

impl CustomBackward for BatchNormBackward {
    fn name(&self) -> &str {
        "BatchNorm"
    }

    fn backward(&self, g: &Tensor, _result: &Tensor, inputs: &[Tensor], needs: &[bool]) -> Vec<Option<Tensor>> {
        let x = &inputs[0];
        let count = (x.numel() / x.dim(1).max(1)) as f64;
        let (mean, rstd) = (&self.mean, &self.rstd);
        let weight = self.has_weight.then(|| &inputs[1]);
        // With x̂ = (x - μ)·r and y = w·x̂ + b:
        //   ∂b = Σg,  ∂w = Σ g·x̂ = r·Σ g·(x - μ),
        //   ∂x = w·r·(g - Σg/N - x̂·Σ(g·x̂)/N) = (g - Σg/N)·(w·r) + (x - μ)·s
        //   with s = -w·r³·Σ g·(x - μ)/N. Both terms centred: the gradient of whatever came
        //   before the normalisation's mean (a bias) sums to zero to round-off.
        let sum_g = g.channel_sum();
        let centred_dot = g.channel_dot(x, &mean.zeros_like(), mean);
        let w_r = weight.map_or_else(|| rstd.clone(), |w| w.mul(rstd));
        let mut grads = vec![when(needs[0], || {
            let s = w_r.mul(&rstd.square()).mul(&centred_dot).mul_scalar(-1.0 / count);
            let mean_g = sum_g.mul_scalar(1.0 / count);
            Tensor::channel_affine(&[(g, Some(&mean_g), &w_r), (x, Some(mean), &s)], None)
        })];
        if self.has_weight {
            grads.push(when(needs[1], || centred_dot.mul(rstd)));
        }
        if inputs.len() > 1 + usize::from(self.has_weight) {
            grads.push(when(needs[needs.len() - 1], || sum_g.clone()));
        }
        grads
    }
}
