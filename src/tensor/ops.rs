//! Front ends of the elementwise and reduction primitives: argument checks (programmer errors
//! panic, naming the op and the shapes), broadcasting, the backend call, and the graph record.

use super::{device_ok, Tensor};
use crate::autograd::Op;
use crate::backend::{ArgReduceOp, BinaryOp, CmpOp, ReduceOp, UnaryOp};
use crate::layout::broadcast_shapes;
use crate::DType;

/// Panics unless `a` and `b` share device and dtype.
pub(crate) fn check_same(op: &str, a: &Tensor, b: &Tensor) {
    assert!(
        a.device() == b.device(),
        "{op}: tensors on different devices ({} and {}), shapes {:?} and {:?}",
        a.device(),
        b.device(),
        a.shape(),
        b.shape()
    );
    assert!(
        a.dtype() == b.dtype(),
        "{op}: dtypes differ ({} and {}), shapes {:?} and {:?}",
        a.dtype(),
        b.dtype(),
        a.shape(),
        b.shape()
    );
}

pub(crate) fn check_float(op: &str, t: &Tensor) {
    assert!(
        t.dtype().is_float(),
        "{op}: expected a float tensor, got {} of shape {:?}",
        t.dtype(),
        t.shape()
    );
}

/// The broadcast shape of two tensors, or a panic naming both shapes.
pub(crate) fn broadcast(op: &str, a: &[usize], b: &[usize]) -> Vec<usize> {
    broadcast_shapes(a, b).unwrap_or_else(|| panic!("{op}: shapes {a:?} and {b:?} cannot be broadcast together"))
}

/// Checks a dimension index against a rank.
pub(crate) fn check_dim(op: &str, dim: usize, shape: &[usize]) {
    assert!(
        dim < shape.len(),
        "{op}: dimension {dim} out of range for shape {shape:?}"
    );
}

impl Tensor {
    pub(crate) fn unary(&self, op: UnaryOp) -> Tensor {
        check_float(op.name(), self);
        let s = device_ok(self.storage().unary(self.layout(), op), op.name());
        Tensor::from_op(s, self.shape(), &[self], || Op::Unary(op, self.clone()))
    }

    pub(crate) fn binary(&self, rhs: &Tensor, op: BinaryOp) -> Tensor {
        let name = op.name();
        check_same(name, self, rhs);
        check_float(name, self);
        let shape = broadcast(name, self.shape(), rhs.shape());
        let la = self.layout().expand(&shape).expect("broadcast checked");
        let lb = rhs.layout().expand(&shape).expect("broadcast checked");
        let s = device_ok(self.storage().binary(&la, &rhs.storage(), &lb, op), name);
        Tensor::from_op(s, &shape, &[self, rhs], || Op::Binary(op, self.clone(), rhs.clone()))
    }

    fn compare(&self, rhs: &Tensor, op: CmpOp) -> Tensor {
        let name = op.name();
        check_same(name, self, rhs);
        let shape = broadcast(name, self.shape(), rhs.shape());
        let la = self.layout().expand(&shape).expect("broadcast checked");
        let lb = rhs.layout().expand(&shape).expect("broadcast checked");
        let s = device_ok(self.storage().compare(&la, &rhs.storage(), &lb, op), name);
        // Masks are piecewise constant: never part of the graph.
        Tensor::from_op(s, &shape, &[], || unreachable!("comparisons are not differentiable"))
    }

    pub fn neg(&self) -> Tensor {
        self.unary(UnaryOp::Neg)
    }
    /// `x²` (a primitive so its gradient is one product, not the two of `x·x`).
    pub fn square(&self) -> Tensor {
        self.unary(UnaryOp::Square)
    }

    pub fn recip(&self) -> Tensor {
        self.unary(UnaryOp::Recip)
    }
    pub fn exp(&self) -> Tensor {
        self.unary(UnaryOp::Exp)
    }
    /// Natural logarithm.
    pub fn log(&self) -> Tensor {
        self.unary(UnaryOp::Log)
    }
    /// `log(1 + x)`, accurate near 0.
    pub fn log1p(&self) -> Tensor {
        self.unary(UnaryOp::Log1p)
    }
    pub fn sqrt(&self) -> Tensor {
        self.unary(UnaryOp::Sqrt)
    }
    pub fn tanh(&self) -> Tensor {
        self.unary(UnaryOp::Tanh)
    }
    pub fn sigmoid(&self) -> Tensor {
        self.unary(UnaryOp::Sigmoid)
    }
    /// `max(x, 0)`; the derivative at 0 is 0, as in PyTorch.
    pub fn relu(&self) -> Tensor {
        self.unary(UnaryOp::Relu)
    }
    pub fn abs(&self) -> Tensor {
        self.unary(UnaryOp::Abs)
    }
    /// -1, 0 or 1 (derivative 0).
    pub fn sign(&self) -> Tensor {
        self.unary(UnaryOp::Sign)
    }
    pub fn sin(&self) -> Tensor {
        self.unary(UnaryOp::Sin)
    }
    pub fn cos(&self) -> Tensor {
        self.unary(UnaryOp::Cos)
    }

    pub fn add(&self, rhs: &Tensor) -> Tensor {
        self.binary(rhs, BinaryOp::Add)
    }
    pub fn sub(&self, rhs: &Tensor) -> Tensor {
        self.binary(rhs, BinaryOp::Sub)
    }
    pub fn mul(&self, rhs: &Tensor) -> Tensor {
        self.binary(rhs, BinaryOp::Mul)
    }
    pub fn div(&self, rhs: &Tensor) -> Tensor {
        self.binary(rhs, BinaryOp::Div)
    }
    pub fn pow(&self, rhs: &Tensor) -> Tensor {
        self.binary(rhs, BinaryOp::Pow)
    }
    /// Elementwise maximum; on ties the gradient is split evenly, as in PyTorch.
    pub fn maximum(&self, rhs: &Tensor) -> Tensor {
        self.binary(rhs, BinaryOp::Maximum)
    }
    pub fn minimum(&self, rhs: &Tensor) -> Tensor {
        self.binary(rhs, BinaryOp::Minimum)
    }

    pub fn add_scalar(&self, v: f64) -> Tensor {
        self.add(&self.scalar_like(v))
    }
    pub fn sub_scalar(&self, v: f64) -> Tensor {
        self.sub(&self.scalar_like(v))
    }
    pub fn mul_scalar(&self, v: f64) -> Tensor {
        self.mul(&self.scalar_like(v))
    }
    pub fn div_scalar(&self, v: f64) -> Tensor {
        self.div(&self.scalar_like(v))
    }
    /// `x^e` for a constant exponent.
    pub fn pow_scalar(&self, e: f64) -> Tensor {
        self.pow(&self.scalar_like(e))
    }
    /// `v - x`.
    pub fn rsub_scalar(&self, v: f64) -> Tensor {
        self.scalar_like(v).sub(self)
    }

    pub fn eq(&self, rhs: &Tensor) -> Tensor {
        self.compare(rhs, CmpOp::Eq)
    }
    pub fn ne(&self, rhs: &Tensor) -> Tensor {
        self.compare(rhs, CmpOp::Ne)
    }
    pub fn lt(&self, rhs: &Tensor) -> Tensor {
        self.compare(rhs, CmpOp::Lt)
    }
    pub fn le(&self, rhs: &Tensor) -> Tensor {
        self.compare(rhs, CmpOp::Le)
    }
    pub fn gt(&self, rhs: &Tensor) -> Tensor {
        self.compare(rhs, CmpOp::Gt)
    }
    pub fn ge(&self, rhs: &Tensor) -> Tensor {
        self.compare(rhs, CmpOp::Ge)
    }
    pub fn eq_scalar(&self, v: f64) -> Tensor {
        self.eq(&self.scalar_like(v))
    }
    pub fn lt_scalar(&self, v: f64) -> Tensor {
        self.lt(&self.scalar_like(v))
    }
    pub fn le_scalar(&self, v: f64) -> Tensor {
        self.le(&self.scalar_like(v))
    }
    pub fn gt_scalar(&self, v: f64) -> Tensor {
        self.gt(&self.scalar_like(v))
    }
    pub fn ge_scalar(&self, v: f64) -> Tensor {
        self.ge(&self.scalar_like(v))
    }

    /// `cond ? on_true : on_false` elementwise, all three broadcast together (`torch.where`).
    pub fn where_cond(cond: &Tensor, on_true: &Tensor, on_false: &Tensor) -> Tensor {
        assert_eq!(
            cond.dtype(),
            DType::Bool,
            "where: condition must be bool, got {} of shape {:?}",
            cond.dtype(),
            cond.shape()
        );
        check_same("where", on_true, on_false);
        assert!(
            cond.device() == on_true.device(),
            "where: condition on {}, values on {}",
            cond.device(),
            on_true.device()
        );
        let shape = broadcast(
            "where",
            &broadcast("where", cond.shape(), on_true.shape()),
            on_false.shape(),
        );
        let lc = cond.layout().expand(&shape).expect("broadcast checked");
        let lt = on_true.layout().expand(&shape).expect("broadcast checked");
        let lf = on_false.layout().expand(&shape).expect("broadcast checked");
        let s = device_ok(
            cond.storage()
                .where_cond(&lc, &on_true.storage(), &lt, &on_false.storage(), &lf),
            "where",
        );
        Tensor::from_op(s, &shape, &[on_true, on_false], || {
            Op::Where(cond.clone(), on_true.clone(), on_false.clone())
        })
    }

    /// A copy converted to `dtype` (differentiable between float types).
    ///
    /// # Panics
    /// When the device cannot hold `dtype` (float64 on a wgpu adapter without SHADER_F64), with
    /// the message [`Tensor::try_to_dtype`] returns.
    pub fn to_dtype(&self, dtype: DType) -> Tensor {
        device_ok(self.try_to_dtype(dtype), "to_dtype")
    }

    /// [`Tensor::to_dtype`], returning the device's refusal (see [`crate::Device::check_dtype`])
    /// instead of panicking.
    pub fn try_to_dtype(&self, dtype: DType) -> crate::Result<Tensor> {
        if dtype == self.dtype() {
            return Ok(self.clone());
        }
        // The device refuses a dtype it cannot hold (Device::check_dtype's error).
        let s = self.storage().to_dtype(self.layout(), dtype)?;
        let parents: &[&Tensor] = if dtype.is_float() { &[self] } else { &[] };
        Ok(Tensor::from_op(s, self.shape(), parents, || Op::ToDType(self.clone())))
    }

    /// The same values in a contiguous layout (no copy if already contiguous).
    pub fn contiguous(&self) -> Tensor {
        if self.is_contiguous() {
            return self.clone();
        }
        let s = device_ok(self.storage().to_dtype(self.layout(), self.dtype()), "contiguous");
        Tensor::from_op(s, self.shape(), &[self], || Op::Copy(self.clone()))
    }

    fn normalize_dims(op: &str, dims: &[usize], shape: &[usize]) -> Vec<usize> {
        let mut d = dims.to_vec();
        d.sort_unstable();
        for w in d.windows(2) {
            assert!(
                w[0] != w[1],
                "{op}: dim {} appears multiple times in the list of dims {dims:?}",
                w[0]
            );
        }
        for &x in &d {
            check_dim(op, x, shape);
        }
        d
    }

    fn reduce(&self, op: ReduceOp, dims: &[usize], keepdim: bool) -> Tensor {
        let name = op.name();
        let dims = Tensor::normalize_dims(name, dims, self.shape());
        let s = device_ok(self.storage().reduce(self.layout(), op, &dims), name);
        let shape = reduced_shape(self.shape(), &dims, keepdim);
        let parents: &[&Tensor] = if self.dtype().is_float() { &[self] } else { &[] };
        Tensor::from_op(s, &shape, parents, || Op::Reduce {
            op,
            input: self.clone(),
            dims: dims.clone(),
            keepdim,
        })
    }

    /// Sum over `dims` (PyTorch's `sum(dim, keepdim)`).
    pub fn sum(&self, dims: &[usize], keepdim: bool) -> Tensor {
        self.reduce(ReduceOp::Sum, dims, keepdim)
    }
    /// Sum of all elements, as a 0-d tensor.
    pub fn sum_all(&self) -> Tensor {
        let dims: Vec<usize> = (0..self.rank()).collect();
        self.sum(&dims, false)
    }
    /// Maximum over `dims` (PyTorch's `amax`: gradient split evenly among ties).
    pub fn max(&self, dims: &[usize], keepdim: bool) -> Tensor {
        self.reduce(ReduceOp::Max, dims, keepdim)
    }
    /// Minimum over `dims` (PyTorch's `amin`).
    pub fn min(&self, dims: &[usize], keepdim: bool) -> Tensor {
        self.reduce(ReduceOp::Min, dims, keepdim)
    }
    pub fn max_all(&self) -> Tensor {
        let dims: Vec<usize> = (0..self.rank()).collect();
        self.max(&dims, false)
    }
    pub fn min_all(&self) -> Tensor {
        let dims: Vec<usize> = (0..self.rank()).collect();
        self.min(&dims, false)
    }

    fn arg_reduce(&self, op: ArgReduceOp, dim: usize, keepdim: bool) -> Tensor {
        let name = op.name();
        check_dim(name, dim, self.shape());
        let s = device_ok(self.storage().arg_reduce(self.layout(), op, dim), name);
        let shape = reduced_shape(self.shape(), &[dim], keepdim);
        Tensor::from_op(s, &shape, &[], || unreachable!("argmax is not differentiable"))
    }

    /// Index of the first maximum along `dim` (`I64`).
    pub fn argmax(&self, dim: usize, keepdim: bool) -> Tensor {
        self.arg_reduce(ArgReduceOp::ArgMax, dim, keepdim)
    }
    /// Index of the first minimum along `dim` (`I64`).
    pub fn argmin(&self, dim: usize, keepdim: bool) -> Tensor {
        self.arg_reduce(ArgReduceOp::ArgMin, dim, keepdim)
    }
}

/// `shape` with `dims` set to 1 (keepdim) or removed.
pub(crate) fn reduced_shape(shape: &[usize], dims: &[usize], keepdim: bool) -> Vec<usize> {
    shape
        .iter()
        .enumerate()
        .filter_map(|(d, &s)| {
            if dims.contains(&d) {
                keepdim.then_some(1)
            } else {
                Some(s)
            }
        })
        .collect()
}
