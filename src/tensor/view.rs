//! Views: new layouts over the same storage (a copy only where a reshape cannot be a view).

use super::ops::check_dim;
use super::Tensor;
use crate::autograd::Op;
use crate::layout::numel;

impl Tensor {
    /// The same elements with another shape (a view when the strides allow, a copy otherwise,
    /// like `torch.reshape`).
    pub fn reshape(&self, shape: &[usize]) -> Tensor {
        assert_eq!(
            numel(shape),
            self.numel(),
            "reshape: shape {:?} ({} elements) cannot become {shape:?} ({} elements)",
            self.shape(),
            self.numel(),
            numel(shape)
        );
        if shape == self.shape() {
            return self.clone();
        }
        match self.layout().reshape(shape) {
            Some(layout) => self.view_op(layout, || Op::Reshape(self.clone())),
            None => self.contiguous().reshape(shape),
        }
    }

    /// Reorders dimensions: result dimension `i` is dimension `perm[i]`.
    pub fn permute(&self, perm: &[usize]) -> Tensor {
        let mut seen = vec![false; self.rank()];
        assert_eq!(
            perm.len(),
            self.rank(),
            "permute: {perm:?} does not match shape {:?}",
            self.shape()
        );
        for &p in perm {
            assert!(
                p < self.rank() && !seen[p],
                "permute: {perm:?} is not a permutation for shape {:?}",
                self.shape()
            );
            seen[p] = true;
        }
        let perm = perm.to_vec();
        self.view_op(self.layout().permute(&perm), || Op::Permute(self.clone(), perm.clone()))
    }

    /// Swaps two dimensions.
    pub fn transpose(&self, d0: usize, d1: usize) -> Tensor {
        check_dim("transpose", d0, self.shape());
        check_dim("transpose", d1, self.shape());
        let mut perm: Vec<usize> = (0..self.rank()).collect();
        perm.swap(d0, d1);
        self.permute(&perm)
    }

    /// Swaps the last two dimensions (the matrix transpose of each batch entry).
    pub fn mt(&self) -> Tensor {
        assert!(
            self.rank() >= 2,
            "mt: need at least 2 dimensions, got shape {:?}",
            self.shape()
        );
        self.transpose(self.rank() - 2, self.rank() - 1)
    }

    /// `len` entries of `dim` starting at `start`.
    pub fn narrow(&self, dim: usize, start: usize, len: usize) -> Tensor {
        check_dim("narrow", dim, self.shape());
        assert!(
            start + len <= self.shape()[dim],
            "narrow: range {start}..{} out of bounds for dimension {dim} of shape {:?}",
            start + len,
            self.shape()
        );
        if start == 0 && len == self.shape()[dim] {
            return self.clone();
        }
        self.view_op(self.layout().narrow(dim, start, len), || Op::Narrow {
            input: self.clone(),
            dim,
            start,
        })
    }

    /// Entry `index` of `dim`, with that dimension removed.
    pub fn select(&self, dim: usize, index: usize) -> Tensor {
        self.narrow(dim, index, 1).squeeze(dim)
    }

    /// Broadcasts to `shape` without copying (PyTorch's `expand`).
    pub fn expand(&self, shape: &[usize]) -> Tensor {
        if shape == self.shape() {
            return self.clone();
        }
        let layout = self
            .layout()
            .expand(shape)
            .unwrap_or_else(|| panic!("expand: shape {:?} cannot be broadcast to {shape:?}", self.shape()));
        self.view_op(layout, || Op::Expand(self.clone()))
    }

    /// Removes dimension `dim`, which must have size 1.
    pub fn squeeze(&self, dim: usize) -> Tensor {
        check_dim("squeeze", dim, self.shape());
        assert_eq!(
            self.shape()[dim],
            1,
            "squeeze: dimension {dim} of shape {:?} is not 1",
            self.shape()
        );
        let mut shape = self.shape().to_vec();
        shape.remove(dim);
        self.reshape(&shape)
    }

    /// Inserts a dimension of size 1 at `dim` (0..=rank).
    pub fn unsqueeze(&self, dim: usize) -> Tensor {
        assert!(
            dim <= self.rank(),
            "unsqueeze: position {dim} out of range for shape {:?}",
            self.shape()
        );
        let mut shape = self.shape().to_vec();
        shape.insert(dim, 1);
        self.reshape(&shape)
    }

    /// Merges dimensions `start..=end` into one.
    pub fn flatten(&self, start: usize, end: usize) -> Tensor {
        if self.rank() == 0 {
            return self.reshape(&[1]);
        }
        check_dim("flatten", end, self.shape());
        assert!(start <= end, "flatten: start {start} after end {end}");
        let mut shape = self.shape()[..start].to_vec();
        shape.push(self.shape()[start..=end].iter().product());
        shape.extend_from_slice(&self.shape()[end + 1..]);
        self.reshape(&shape)
    }

    /// All elements as one dimension.
    pub fn flatten_all(&self) -> Tensor {
        self.reshape(&[self.numel()])
    }
}
