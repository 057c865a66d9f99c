//! A Jacobian in p carried forward through the loss network's layers, with a per-sample column
//! scaling held back until it is needed (the batched trace's forward tangents).

use crate::Tensor;

/// The Jacobian `[B or 1, C, H]`, with a per-sample column scaling `[B, H]` not yet applied.
///
/// After each activation the Jacobian is the previous block scaled per sample; applying the
/// scale makes a `[B, C, H]` tensor (the largest of the whole pass, and again in its backward).
/// When C is well above the next layer's width it is cheaper to move the scale into that layer's
/// weight instead, `(J·diag(s))·Wᵀ = J·(diag(s)·Wᵀ)`: a `[B, H, H2]` operand and one product per
/// sample straight to `[B, C, H2]` — for the shared first block and for per-sample ones alike
/// (at C = 100 this saved three full-size passes a step). Below about twice the width the small
/// per-sample products lose to one folded product plus the scaling pass (measured at C = 37,
/// widths 64/32/16: 10–15 % less CPU time with the factor 2).
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
