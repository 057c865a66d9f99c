//! Softplus as two fused nodes, PyTorch's `softplus` / `softplus_backward` pair.
//!
//! Composed from primitives (clamp, exp, log1p, where), softplus is exact but its gradient graph
//! keeps five or six full-size intermediates per layer and per backward pass; the learnable
//! loss's trace runs C backward passes through it with `create_graph`, so that is most of the
//! loop's memory. Here the forward keeps only its input, and the gradient `g·σ(x)` is one node
//! keeping `g` and `x` (as PyTorch's double backward saves them), whose own gradient is written
//! in differentiable ops: derivatives of every order still exist.
//!
//! Every gradient node of one softplus has the same `x`, and the trace differentiates them C
//! times each: the slope `σ'(x)` and curvature `σ''(x)` are computed once per softplus (per
//! grad mode) and shared by its nodes, instead of once per node and pass.

use super::Tensor;
use crate::autograd::{is_grad_enabled, no_grad, when, CustomBackward};
use parking_lot::Mutex;
use std::sync::Arc;

/// PyTorch's default: linear above `x = 20` (beta 1).
const THRESHOLD: f64 = 20.0;

impl Tensor {
    /// `log(1 + exp(x))`, returning `x` above 20 (PyTorch's `softplus` with beta 1, threshold
    /// 20). The exp sees `min(x, 20)`, so the unused branch never overflows.
    pub fn softplus(&self) -> Tensor {
        let value = {
            let _guard = no_grad();
            let capped = self.clamp(None, Some(THRESHOLD));
            Tensor::where_cond(&self.gt_scalar(THRESHOLD), self, &capped.exp().log1p())
        };
        let rule = SoftplusRule {
            derivatives: Arc::new(Derivatives::default()),
        };
        Tensor::from_custom_op(&value, std::slice::from_ref(self), Arc::new(rule))
    }
}

/// `softplus'(x)`: 1 above the threshold, `sigmoid(x)` below (PyTorch's `z/(z+1)`).
fn slope(x: &Tensor) -> Tensor {
    Tensor::where_cond(&x.gt_scalar(THRESHOLD), &x.scalar_like(1.0), &x.sigmoid())
}

/// `softplus''(x)`: 0 above the threshold, `s·(1 - s)` below, composed (differentiable).
fn curvature(x: &Tensor) -> Tensor {
    let s = x.sigmoid();
    Tensor::where_cond(
        &x.gt_scalar(THRESHOLD),
        &x.scalar_like(0.0),
        &s.mul(&s.rsub_scalar(1.0)),
    )
}

/// The derivatives of one softplus at its input, made on first use: the slope as a value (it
/// only forms gradient values), the curvature without and with a graph (indexed by the grad
/// mode it is asked for in).
#[derive(Default)]
struct Derivatives {
    slope: Mutex<Option<Tensor>>,
    curvature: Mutex<[Option<Tensor>; 2]>,
}

impl Derivatives {
    fn slope(&self, x: &Tensor) -> Tensor {
        self.slope
            .lock()
            .get_or_insert_with(|| {
                let _guard = no_grad();
                slope(x)
            })
            .clone()
    }

    fn curvature(&self, x: &Tensor) -> Tensor {
        let mode = usize::from(is_grad_enabled());
        self.curvature.lock()[mode].get_or_insert_with(|| curvature(x)).clone()
    }
}

/// `g·softplus'(x)` as one recorded node over `(g, x)`.
fn softplus_backward(g: &Tensor, x: &Tensor, derivatives: &Arc<Derivatives>) -> Tensor {
    let value = {
        let _guard = no_grad();
        g.mul(&derivatives.slope(x))
    };
    let rule = SoftplusBackwardRule {
        derivatives: derivatives.clone(),
    };
    Tensor::from_custom_op(&value, &[g.clone(), x.clone()], Arc::new(rule))
}

struct SoftplusRule {
    derivatives: Arc<Derivatives>,
}

impl CustomBackward for SoftplusRule {
    fn name(&self) -> &str {
        "Softplus"
    }

    fn backward(&self, g: &Tensor, _result: &Tensor, inputs: &[Tensor], needs: &[bool]) -> Vec<Option<Tensor>> {
        vec![when(needs[0], || softplus_backward(g, &inputs[0], &self.derivatives))]
    }
}

struct SoftplusBackwardRule {
    derivatives: Arc<Derivatives>,
}

impl CustomBackward for SoftplusBackwardRule {
    fn name(&self) -> &str {
        "SoftplusBackward"
    }

    /// `out = g·σ'(x)` is linear in `g` (the same node again) and `∂out/∂x = g·σ''(x)`.
    fn backward(&self, gg: &Tensor, _result: &Tensor, inputs: &[Tensor], needs: &[bool]) -> Vec<Option<Tensor>> {
        let (g, x) = (&inputs[0], &inputs[1]);
        vec![
            when(needs[0], || softplus_backward(gg, x, &self.derivatives)),
            when(needs[1], || gg.mul(g).mul(&self.derivatives.curvature(x))),
        ]
    }
}
