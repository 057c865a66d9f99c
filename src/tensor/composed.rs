//! Ops composed from the primitives. They have no gradient rules of their own: autograd
//! differentiates through the primitives, so every one of them has derivatives of every order.

use super::Tensor;
use crate::DType;

impl Tensor {
    /// `x·scale + shift`.
    pub fn affine(&self, scale: f64, shift: f64) -> Tensor {
        self.mul_scalar(scale).add_scalar(shift)
    }

    /// The mask as 0/1 values of `dtype` (a constant: masks carry no gradient).
    pub fn mask_to(&self, dtype: DType) -> Tensor {
        assert_eq!(
            self.dtype(),
            DType::Bool,
            "mask_to: expected a bool mask, got {}",
            self.dtype()
        );
        self.to_dtype(dtype)
    }

    /// Sums broadcast dimensions away so the result has `shape` (the adjoint of `expand`).
    pub fn sum_to(&self, shape: &[usize]) -> Tensor {
        if self.shape() == shape {
            return self.clone();
        }
        let compatible = self.layout().shape().len() >= shape.len()
            && crate::layout::broadcast_shapes(shape, self.shape()).as_deref() == Some(self.shape());
        assert!(
            compatible,
            "sum_to: shape {:?} is not a broadcast of {shape:?}",
            self.shape()
        );
        let lead = self.rank() - shape.len();
        let mut dims: Vec<usize> = (0..lead).collect();
        for (i, &s) in shape.iter().enumerate() {
            if s == 1 && self.shape()[lead + i] != 1 {
                dims.push(lead + i);
            }
        }
        self.sum(&dims, true).reshape(shape)
    }

    fn count(&self, dims: &[usize]) -> usize {
        dims.iter().map(|&d| self.dim(d)).product()
    }

    /// Mean over `dims`.
    pub fn mean(&self, dims: &[usize], keepdim: bool) -> Tensor {
        self.sum(dims, keepdim).div_scalar(self.count(dims) as f64)
    }

    /// Mean of all elements (0-d).
    pub fn mean_all(&self) -> Tensor {
        self.sum_all().div_scalar(self.numel() as f64)
    }

    /// Variance over `dims` with `correction` (0: biased, 1: unbiased, as `torch.var`).
    pub fn var(&self, dims: &[usize], correction: usize, keepdim: bool) -> Tensor {
        let n = self.count(dims);
        let centred = self.sub(&self.mean(dims, true));
        centred
            .square()
            .sum(dims, keepdim)
            .div_scalar(n.saturating_sub(correction) as f64)
    }

    /// Standard deviation over `dims` with `correction`.
    pub fn std(&self, dims: &[usize], correction: usize, keepdim: bool) -> Tensor {
        self.var(dims, correction, keepdim).sqrt()
    }

    /// Euclidean norm over `dims`. At a zero vector the gradient is 0 (PyTorch's subgradient)
    /// instead of 0/0.
    pub fn norm(&self, dims: &[usize], keepdim: bool) -> Tensor {
        let s = self.square().sum(dims, keepdim);
        let zero = s.eq_scalar(0.0);
        let safe = Tensor::where_cond(&zero, &s.ones_like(), &s);
        Tensor::where_cond(&zero, &s.zeros_like(), &safe.sqrt())
    }

    /// Euclidean norm of all elements (0-d).
    pub fn norm_all(&self) -> Tensor {
        let dims: Vec<usize> = (0..self.rank()).collect();
        self.norm(&dims, false)
    }

    /// `log Σ exp(x)` over `dims`, shifted by the (detached) maximum so it never overflows; an
    /// infinite maximum is replaced by 0 as in PyTorch. The shift cancels exactly, so gradients
    /// of every order are those of the unshifted formula.
    pub fn logsumexp(&self, dims: &[usize], keepdim: bool) -> Tensor {
        let m = self.max(dims, true).detach();
        let finite = m.abs().lt_scalar(f64::INFINITY);
        let m = Tensor::where_cond(&finite, &m, &m.zeros_like());
        let lse = self.sub(&m).exp().sum(dims, true).log().add(&m);
        if keepdim {
            lse
        } else {
            let shape = super::ops::reduced_shape(self.shape(), dims, false);
            lse.reshape(&shape)
        }
    }

    /// Softmax along `dim`.
    pub fn softmax(&self, dim: usize) -> Tensor {
        let m = self.max(&[dim], true).detach();
        let e = self.sub(&m).exp();
        e.div(&e.sum(&[dim], true))
    }

    /// Log-softmax along `dim` (`x - logsumexp(x)`, numerically stable).
    pub fn log_softmax(&self, dim: usize) -> Tensor {
        self.sub(&self.logsumexp(&[dim], true))
    }

    /// Clamps into `[min, max]` (either bound optional). Like PyTorch, the gradient passes where
    /// `min <= x <= max` (bounds included) and is 0 outside.
    pub fn clamp(&self, min: Option<f64>, max: Option<f64>) -> Tensor {
        let mut out = self.clone();
        if let Some(lo) = min {
            out = Tensor::where_cond(&self.lt_scalar(lo), &self.scalar_like(lo), &out);
        }
        if let Some(hi) = max {
            out = Tensor::where_cond(&self.gt_scalar(hi), &self.scalar_like(hi), &out);
        }
        out
    }
}
