//! Front ends of the compute-heavy primitives: batched matmul, conv2d and its adjoints,
//! max-pool and its adjoint.

use super::ops::{broadcast, check_float, check_same};
use super::{device_ok, Tensor};
use crate::autograd::Op;
use crate::backend::{Conv2dParams, Pool2dParams};
use crate::{DType, Layout};

fn check_rank4(op: &str, what: &str, t: &Tensor) {
    assert_eq!(t.rank(), 4, "{op}: {what} must be 4-D, got shape {:?}", t.shape());
}

impl Tensor {
    /// Matrix product with PyTorch's `matmul` rules: 1-D operands are promoted to a row / column
    /// and the added dimension removed afterwards; batch dimensions broadcast.
    pub fn matmul(&self, rhs: &Tensor) -> Tensor {
        check_same("matmul", self, rhs);
        check_float("matmul", self);
        assert!(
            self.rank() >= 1 && rhs.rank() >= 1,
            "matmul: both operands need a dimension, got shapes {:?} and {:?}",
            self.shape(),
            rhs.shape()
        );
        match (self.rank(), rhs.rank()) {
            (1, 1) => self.unsqueeze(0).matmul(&rhs.unsqueeze(1)).reshape(&[]),
            (1, _) => {
                let out = self.unsqueeze(0).matmul(rhs);
                out.squeeze(out.rank() - 2)
            }
            (_, 1) => {
                let out = self.matmul(&rhs.unsqueeze(1));
                out.squeeze(out.rank() - 1)
            }
            (r, 2) if r > 2 => {
                // PyTorch's fold: `[*, M, K] · [K, N]` is one `[(*·M), K] · [K, N]` product
                // instead of one small product per batch element, and its backward then needs
                // no sum over a broadcast batch of weight gradients.
                let k = self.shape()[r - 1];
                let rows = self.numel() / k.max(1);
                let mut shape = self.shape()[..r - 1].to_vec();
                shape.push(rhs.dim(1));
                self.reshape(&[rows, k]).matmul_nd(rhs).reshape(&shape)
            }
            _ => self.matmul_nd(rhs),
        }
    }

    /// The primitive: both operands at least 2-D.
    fn matmul_nd(&self, rhs: &Tensor) -> Tensor {
        let (ra, rb) = (self.rank(), rhs.rank());
        let (m, k) = (self.shape()[ra - 2], self.shape()[ra - 1]);
        let (k2, n) = (rhs.shape()[rb - 2], rhs.shape()[rb - 1]);
        assert_eq!(
            k,
            k2,
            "matmul: shapes {:?} and {:?} cannot be multiplied ({m}x{k} and {k2}x{n})",
            self.shape(),
            rhs.shape()
        );
        let batch = broadcast("matmul", &self.shape()[..ra - 2], &rhs.shape()[..rb - 2]);
        let b: usize = batch.iter().product();
        // Each operand as [B, rows, cols]: a view when the broadcast batch dims merge into one
        // stride, otherwise a contiguous copy of the broadcast operand (data only: the graph
        // records the original operands).
        let prepare = |t: &Tensor, rows: usize, cols: usize| -> (Option<Tensor>, Layout) {
            let mut full = batch.clone();
            full.extend_from_slice(&[rows, cols]);
            let expanded = t.layout().expand(&full).expect("batch broadcast checked");
            match expanded.reshape(&[b, rows, cols]) {
                Some(l) => (None, l),
                None => (
                    Some(t.detach().expand(&full).contiguous()),
                    Layout::contiguous(&[b, rows, cols]),
                ),
            }
        };
        let (ca, la) = prepare(self, m, k);
        let (cb, lb) = prepare(rhs, k, n);
        let sa = ca.as_ref().unwrap_or(self).storage();
        let sb = cb.as_ref().unwrap_or(rhs).storage();
        let s = device_ok(sa.matmul(&la, &sb, &lb), "matmul");
        drop((sa, sb));
        let mut shape = batch;
        shape.extend_from_slice(&[m, n]);
        Tensor::from_op(s, &shape, &[self, rhs], || Op::Matmul(self.clone(), rhs.clone()))
    }

    /// 2-D convolution of `[N, Cin, H, W]` with `weight` `[Cout, Cin, KH, KW]` (no bias; add it
    /// with a broadcast).
    pub fn conv2d(&self, weight: &Tensor, params: &Conv2dParams) -> Tensor {
        check_same("conv2d", self, weight);
        check_float("conv2d", self);
        check_rank4("conv2d", "input", self);
        check_rank4("conv2d", "weight", weight);
        let (x, w) = (self.shape(), weight.shape());
        assert_eq!(
            x[1], w[1],
            "conv2d: input {x:?} has {} channels, weight {w:?} expects {}",
            x[1], w[1]
        );
        let [oh, ow] = params
            .output_size([x[2], x[3]], [w[2], w[3]])
            .unwrap_or_else(|| panic!("conv2d: kernel {w:?} with {params:?} does not fit input {x:?}"));
        let s = device_ok(
            self.storage()
                .conv2d(self.layout(), &weight.storage(), weight.layout(), params),
            "conv2d",
        );
        let params = *params;
        Tensor::from_op(s, &[x[0], w[0], oh, ow], &[self, weight], || Op::Conv2d {
            input: self.clone(),
            weight: weight.clone(),
            params,
        })
    }

    /// The input gradient of `conv2d` (a transposed convolution): `self` is the output gradient
    /// `[N, Cout, OH, OW]`; the result is `[N, Cin, input_hw]`.
    pub fn conv2d_input_grad(&self, weight: &Tensor, params: &Conv2dParams, input_hw: [usize; 2]) -> Tensor {
        check_same("conv2d_input_grad", self, weight);
        check_rank4("conv2d_input_grad", "gradient", self);
        check_rank4("conv2d_input_grad", "weight", weight);
        let (g, w) = (self.shape(), weight.shape());
        let out = params.output_size(input_hw, [w[2], w[3]]);
        assert!(
            g[1] == w[0] && out == Some([g[2], g[3]]),
            "conv2d_input_grad: gradient {g:?} does not match weight {w:?} on input {input_hw:?} with {params:?}"
        );
        let s = device_ok(
            self.storage()
                .conv2d_input_grad(self.layout(), &weight.storage(), weight.layout(), params, input_hw),
            "conv2d_input_grad",
        );
        let params = *params;
        Tensor::from_op(s, &[g[0], w[1], input_hw[0], input_hw[1]], &[self, weight], || {
            Op::Conv2dInputGrad {
                grad: self.clone(),
                weight: weight.clone(),
                params,
                input_hw,
            }
        })
    }

    /// The weight gradient of `conv2d`: `self` is the input `[N, Cin, H, W]`, `grad` the output
    /// gradient `[N, Cout, OH, OW]`; the result is `[Cout, Cin, kernel_hw]`.
    pub fn conv2d_weight_grad(&self, grad: &Tensor, params: &Conv2dParams, kernel_hw: [usize; 2]) -> Tensor {
        check_same("conv2d_weight_grad", self, grad);
        check_rank4("conv2d_weight_grad", "input", self);
        check_rank4("conv2d_weight_grad", "gradient", grad);
        let (x, g) = (self.shape(), grad.shape());
        let out = params.output_size([x[2], x[3]], kernel_hw);
        assert!(
            x[0] == g[0] && out == Some([g[2], g[3]]),
            "conv2d_weight_grad: input {x:?} and gradient {g:?} disagree for kernel {kernel_hw:?} with {params:?}"
        );
        let s = device_ok(
            self.storage()
                .conv2d_weight_grad(self.layout(), &grad.storage(), grad.layout(), params, kernel_hw),
            "conv2d_weight_grad",
        );
        let params = *params;
        Tensor::from_op(s, &[g[1], x[1], kernel_hw[0], kernel_hw[1]], &[self, grad], || {
            Op::Conv2dWeightGrad {
                input: self.clone(),
                grad: grad.clone(),
                params,
                kernel_hw,
            }
        })
    }

    /// 2-D max-pool of `[N, C, H, W]`: the pooled values and the `I64` index of each maximum in
    /// its `H·W` plane (PyTorch's `max_pool2d_with_indices`).
    pub fn max_pool2d(&self, params: &Pool2dParams) -> (Tensor, Tensor) {
        check_float("max_pool2d", self);
        check_rank4("max_pool2d", "input", self);
        let x = self.shape();
        let [oh, ow] = params
            .output_size([x[2], x[3]])
            .unwrap_or_else(|| panic!("max_pool2d: {params:?} does not fit input {x:?}"));
        let (v, i) = device_ok(self.storage().max_pool2d(self.layout(), params), "max_pool2d");
        let shape = [x[0], x[1], oh, ow];
        let indices = Tensor::from_op(i, &shape, &[], || unreachable!("indices are not differentiable"));
        let values = Tensor::from_op(v, &shape, &[self], || Op::MaxPool2d {
            input: self.clone(),
            indices: indices.clone(),
        });
        (values, indices)
    }

    /// The adjoint of max-pool: `self` (the output gradient) scattered into zeros of
    /// `input_shape` at `indices`.
    pub fn max_pool2d_backward(&self, indices: &Tensor, input_shape: &[usize]) -> Tensor {
        check_float("max_pool2d_backward", self);
        assert_eq!(
            indices.dtype(),
            DType::I64,
            "max_pool2d_backward: indices must be int64, got {}",
            indices.dtype()
        );
        assert_eq!(
            self.shape(),
            indices.shape(),
            "max_pool2d_backward: gradient {:?} and indices {:?} differ",
            self.shape(),
            indices.shape()
        );
        assert!(
            input_shape.len() == 4 && input_shape[..2] == self.shape()[..2],
            "max_pool2d_backward: input shape {input_shape:?} does not match gradient {:?}",
            self.shape()
        );
        let s = device_ok(
            self.storage()
                .max_pool2d_backward(self.layout(), &indices.storage(), indices.layout(), input_shape),
            "max_pool2d_backward",
        );
        let input_shape = input_shape.to_vec();
        Tensor::from_op(s, &input_shape.clone(), &[self], || Op::MaxPool2dBackward {
            grad: self.clone(),
            indices: indices.clone(),
            input_shape,
        })
    }
}
