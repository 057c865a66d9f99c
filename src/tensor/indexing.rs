//! Front ends of the data-movement primitives: cat, pad, gather, scatter-add, index-select.

use super::ops::{check_dim, check_same};
use super::{device_ok, Tensor};
use crate::autograd::Op;
use crate::backend::Storage;
use crate::DType;

fn check_index_tensor(op: &str, index: &Tensor, t: &Tensor) {
    assert_eq!(
        index.dtype(),
        DType::I64,
        "{op}: index must be int64, got {} of shape {:?}",
        index.dtype(),
        index.shape()
    );
    assert!(
        index.device() == t.device(),
        "{op}: index on {}, tensor on {}",
        index.device(),
        t.device()
    );
}

impl Tensor {
    /// Concatenates along `dim`; all other dimensions must agree.
    pub fn cat(tensors: &[Tensor], dim: usize) -> Tensor {
        assert!(!tensors.is_empty(), "cat: expected at least one tensor");
        let first = &tensors[0];
        check_dim("cat", dim, first.shape());
        for t in &tensors[1..] {
            check_same("cat", first, t);
            let ok = t.rank() == first.rank()
                && t.shape()
                    .iter()
                    .zip(first.shape())
                    .enumerate()
                    .all(|(d, (a, b))| d == dim || a == b);
            assert!(
                ok,
                "cat: shapes {:?} and {:?} differ outside dimension {dim}",
                first.shape(),
                t.shape()
            );
        }
        let mut shape = first.shape().to_vec();
        shape[dim] = tensors.iter().map(|t| t.shape()[dim]).sum();
        let guards: Vec<_> = tensors.iter().map(|t| t.storage()).collect();
        let parts: Vec<(&Storage, &crate::Layout)> =
            guards.iter().zip(tensors).map(|(g, t)| (&**g, t.layout())).collect();
        let s = device_ok(Storage::cat(&parts, dim), "cat");
        drop(parts);
        drop(guards);
        let parents: Vec<&Tensor> = tensors.iter().collect();
        Tensor::from_op(s, &shape, &parents, || Op::Cat(tensors.to_vec(), dim))
    }

    /// Stacks equal-shaped tensors along a new dimension `dim`.
    pub fn stack(tensors: &[Tensor], dim: usize) -> Tensor {
        let parts: Vec<Tensor> = tensors.iter().map(|t| t.unsqueeze(dim)).collect();
        Tensor::cat(&parts, dim)
    }

    /// Constant padding: `pads[d] = (before, after)` for every dimension `d`.
    pub fn pad(&self, pads: &[(usize, usize)], value: f64) -> Tensor {
        assert_eq!(
            pads.len(),
            self.rank(),
            "pad: {} (before, after) pairs for shape {:?}",
            pads.len(),
            self.shape()
        );
        if pads.iter().all(|&(b, a)| b == 0 && a == 0) {
            return self.clone();
        }
        let shape: Vec<usize> = self.shape().iter().zip(pads).map(|(&s, &(b, a))| s + b + a).collect();
        let s = device_ok(self.storage().pad(self.layout(), pads, value), "pad");
        let pads = pads.to_vec();
        Tensor::from_op(s, &shape, &[self], || Op::Pad(self.clone(), pads.clone()))
    }

    /// Zero padding of one dimension.
    pub fn pad_dim(&self, dim: usize, before: usize, after: usize) -> Tensor {
        check_dim("pad_dim", dim, self.shape());
        let mut pads = vec![(0, 0); self.rank()];
        pads[dim] = (before, after);
        self.pad(&pads, 0.0)
    }

    /// `out[i] = self[i with dim replaced by index[i]]` (`torch.gather`).
    pub fn gather(&self, dim: usize, index: &Tensor) -> Tensor {
        check_index_tensor("gather", index, self);
        check_dim("gather", dim, self.shape());
        let ok =
            index.rank() == self.rank() && (0..self.rank()).all(|d| d == dim || index.shape()[d] <= self.shape()[d]);
        assert!(
            ok,
            "gather: index shape {:?} does not fit input shape {:?} outside dimension {dim}",
            index.shape(),
            self.shape()
        );
        let s = device_ok(
            self.storage()
                .gather(self.layout(), dim, &index.storage(), index.layout()),
            "gather",
        );
        Tensor::from_op(s, index.shape(), &[self], || Op::Gather {
            input: self.clone(),
            dim,
            index: index.clone(),
        })
    }

    /// A copy of `self` with `src[i]` added at `i with dim replaced by index[i]`
    /// (`torch.scatter_add`; `src` has the index's shape).
    pub fn scatter_add(&self, dim: usize, index: &Tensor, src: &Tensor) -> Tensor {
        check_index_tensor("scatter_add", index, self);
        check_same("scatter_add", self, src);
        check_dim("scatter_add", dim, self.shape());
        assert_eq!(
            index.shape(),
            src.shape(),
            "scatter_add: index shape {:?} and source shape {:?} differ",
            index.shape(),
            src.shape()
        );
        let ok =
            index.rank() == self.rank() && (0..self.rank()).all(|d| d == dim || index.shape()[d] <= self.shape()[d]);
        assert!(
            ok,
            "scatter_add: index shape {:?} does not fit shape {:?} outside dimension {dim}",
            index.shape(),
            self.shape()
        );
        let s = device_ok(
            self.storage().scatter_add(
                self.layout(),
                dim,
                &index.storage(),
                index.layout(),
                &src.storage(),
                src.layout(),
            ),
            "scatter_add",
        );
        Tensor::from_op(s, self.shape(), &[self, src], || Op::ScatterAdd {
            base: self.clone(),
            dim,
            index: index.clone(),
            src: src.clone(),
        })
    }

    /// Entries `index[j]` of dimension `dim` (`torch.index_select`; `index` is 1-D int64).
    pub fn index_select(&self, dim: usize, index: &Tensor) -> Tensor {
        check_index_tensor("index_select", index, self);
        check_dim("index_select", dim, self.shape());
        assert_eq!(
            index.rank(),
            1,
            "index_select: index must be 1-D, got shape {:?}",
            index.shape()
        );
        let mut shape = self.shape().to_vec();
        shape[dim] = index.numel();
        let s = device_ok(
            self.storage()
                .index_select(self.layout(), dim, &index.storage(), index.layout()),
            "index_select",
        );
        Tensor::from_op(s, &shape, &[self], || Op::IndexSelect {
            input: self.clone(),
            dim,
            index: index.clone(),
        })
    }
}
