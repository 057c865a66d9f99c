//! The loss network's activation with its first two derivatives as tensor expressions, which the
//! forward Laplacian needs (`J' = σ'·J`, `L' = σ'·L + σ''·Σ J²`) and which stay differentiable so
//! the penalties can be differentiated once more.

use crate::nn::{Module, ReLU, Softplus, Tanh};
use crate::Tensor;
use std::fmt;
use std::str::FromStr;

/// ReLU as the seed; Tanh and Softplus give the trace something to measure.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Activation {
    Relu,
    Tanh,
    Softplus,
}

impl Activation {
    pub fn apply(&self, z: &Tensor) -> Tensor {
        match self {
            Activation::Relu => z.relu(),
            Activation::Tanh => z.tanh(),
            Activation::Softplus => z.softplus(),
        }
    }

    /// `(σ'(z), σ''(z))`, consistent with the autograd rules of [`Activation::apply`] (ReLU's
    /// derivative is 0 at 0; Softplus is linear above PyTorch's threshold 20).
    pub fn derivatives(&self, z: &Tensor) -> (Tensor, Tensor) {
        match self {
            Activation::Relu => (z.gt_scalar(0.0).mask_to(z.dtype()), z.zeros_like()),
            Activation::Tanh => {
                let t = z.tanh();
                let d1 = t.square().rsub_scalar(1.0);
                let d2 = t.mul(&d1).mul_scalar(-2.0);
                (d1, d2)
            }
            Activation::Softplus => {
                let linear = z.gt_scalar(20.0);
                let s = z.sigmoid();
                let d1 = Tensor::where_cond(&linear, &z.ones_like(), &s);
                let d2 = Tensor::where_cond(&linear, &z.zeros_like(), &s.mul(&s.rsub_scalar(1.0)));
                (d1, d2)
            }
        }
    }

    /// `(σ'(z), σ''(z), σ'''(z))` as tensor expressions (differentiable), the third for the
    /// gradient of the forward Laplacian's curvature term `σ''(z)·Σ J²` in z.
    pub fn three_derivatives(&self, z: &Tensor) -> (Tensor, Tensor, Tensor) {
        match self {
            Activation::Relu => (z.gt_scalar(0.0).mask_to(z.dtype()), z.zeros_like(), z.zeros_like()),
            Activation::Tanh => {
                let t = z.tanh();
                let t2 = t.square();
                let d1 = t2.rsub_scalar(1.0);
                let d2 = t.mul(&d1).mul_scalar(-2.0);
                let d3 = d1.mul(&t2.mul_scalar(6.0).add_scalar(-2.0));
                (d1, d2, d3)
            }
            Activation::Softplus => {
                let (d1, d2) = self.derivatives(z);
                // σ''' = σ''·(1 − 2σ') below the threshold, 0 above (where σ'' is 0).
                let d3 = d2.mul(&d1.mul_scalar(-2.0).add_scalar(1.0));
                (d1, d2, d3)
            }
        }
    }

    /// `[σ(z), σ'(z), σ''(z), σ'''(z)]` of one value, as [`Activation::apply`] and
    /// [`Activation::three_derivatives`] (for the fused kernels; f32 Softplus has a faster
    /// twin in `softplus_f32`). Softplus's `σ'·(1 − σ')` is formed as `e/(1 + e)²` with
    /// `e = exp(z)`, which keeps its relative precision where σ' rounds to 1, and `1 − 2σ'` as
    /// `(1 − e)/(1 + e)`, exact in its subtraction where `σ' ≈ ½`.
    pub fn scalar<T: num_traits::Float>(&self, z: T) -> [T; 4] {
        let (zero, one) = (T::zero(), T::one());
        let two = one + one;
        match self {
            Activation::Relu if z > zero => [z, one, zero, zero],
            // NaN propagates, as PyTorch's relu.
            Activation::Relu => [if z.is_nan() { z } else { zero }, zero, zero, zero],
            Activation::Tanh => {
                let t = z.tanh();
                let d1 = one - t * t;
                let six = two + two + two;
                [t, d1, -two * t * d1, d1 * (six * t * t - two)]
            }
            Activation::Softplus if z > T::from(20.0).expect("20 is representable") => [z, one, zero, zero],
            Activation::Softplus => {
                let e = z.exp();
                let q = (one + e).recip(); // 1 − σ'
                let s = e * q;
                let d2 = s * q;
                [e.ln_1p(), s, d2, d2 * ((one - e) * q)]
            }
        }
    }

    /// True when σ'' is zero everywhere (the network is piecewise linear in its input).
    pub fn is_piecewise_linear(&self) -> bool {
        matches!(self, Activation::Relu)
    }

    /// The matching `nn` layer, for reprs.
    pub fn describe(&self) -> String {
        match self {
            Activation::Relu => ReLU.describe(),
            Activation::Tanh => Tanh.describe(),
            Activation::Softplus => Softplus::default().describe(),
        }
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
            Activation::Softplus => "softplus",
        })
    }
}

impl FromStr for Activation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "relu" => Ok(Activation::Relu),
            "tanh" => Ok(Activation::Tanh),
            "softplus" => Ok(Activation::Softplus),
            other => Err(format!(
                "unknown activation {other:?} (expected relu, tanh or softplus)"
            )),
        }
    }
}
