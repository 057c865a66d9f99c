//! The three penalties on the loss network (DESIGN §4), each a mean over the batch:
//! `L_nonneg = mean(relu(-E)²)`, `L_convex = mean(relu(-trace)²)`,
//! `L_lips = mean((‖∂E/∂p‖₂ - 1)²)`.

use super::EnergyTerms;
use crate::Tensor;

/// The penalties of one batch, each a scalar graph.
pub struct Penalties {
    pub nonneg: Tensor,
    pub convex: Tensor,
    pub lips: Tensor,
}

impl Penalties {
    pub fn new(terms: &EnergyTerms) -> Penalties {
        Penalties {
            nonneg: terms.energy.neg().relu().square().mean_all(),
            convex: terms.trace.neg().relu().square().mean_all(),
            lips: terms.grad.norm(&[1], false).sub_scalar(1.0).square().mean_all(),
        }
    }

    /// `L_nonneg + L_convex + L_lips`.
    pub fn sum(&self) -> Tensor {
        self.nonneg.add(&self.convex).add(&self.lips)
    }
}
