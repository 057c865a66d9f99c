//! `Tensor`: a cheap handle (`Arc`) to shared storage, a strided layout, and autograd state.
//!
//! Views share storage; every op returns a new handle. A result that depends on a tensor
//! requiring gradients records the [`Op`] that made it (only while gradient mode is on), and that
//! record keeps its inputs alive: the graph is freed when the last handle to its outputs goes.

mod channel;
mod composed;
mod create;
mod display;
mod indexing;
mod nn_ops;
mod ops;
mod softplus;
mod view;

pub use create::{Generator, GeneratorState, HostElement};
pub(crate) use ops::reduced_shape;

use crate::autograd::{grad_mode, Op};
use crate::backend::Storage;
use crate::{DType, Device, Layout};
use parking_lot::{Mutex, RwLock, RwLockReadGuard};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A process-unique tensor identity (autograd keys gradients by it).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TensorId(u64);

impl TensorId {
    fn fresh() -> TensorId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        TensorId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

pub(crate) struct TensorImpl {
    id: TensorId,
    /// `None` in a graph-only handle (see [`Tensor::graph_handle`]): the record of an op whose
    /// gradient needs only this input's shape does not keep its values alive.
    storage: Option<Arc<RwLock<Storage>>>,
    layout: Layout,
    dtype: DType,
    device: Device,
    /// How this tensor was computed, when it is part of a graph (None for leaves and for results
    /// computed without gradient tracking).
    op: Option<Op>,
    requires_grad: bool,
    /// Gradient accumulated by `backward()` (leaves only).
    grad: Mutex<Option<Tensor>>,
}

impl Drop for TensorImpl {
    /// Frees the graph behind this tensor without recursion: a chain of thousands of recorded
    /// ops would otherwise drop one nested `Arc` per op and overflow the thread's stack.
    fn drop(&mut self) {
        let Some(op) = self.op.take() else { return };
        let mut pending = op.into_tensors();
        while let Some(t) = pending.pop() {
            // Only the last handle takes the record apart; shared tensors stay alive.
            if let Ok(mut inner) = Arc::try_unwrap(t.0) {
                if let Some(op) = inner.op.take() {
                    pending.extend(op.into_tensors());
                }
            }
        }
    }
}

/// An n-dimensional array on a device, with reverse-mode autograd to any order.
#[derive(Clone)]
pub struct Tensor(Arc<TensorImpl>);

/// Unwraps a backend result; a device failure mid-op has no caller to return to, so it panics
/// naming the op (like PyTorch's RuntimeError).
pub(crate) fn device_ok<T>(r: crate::Result<T>, op: &str) -> T {
    r.unwrap_or_else(|e| panic!("{op}: {e}"))
}

impl Tensor {
    /// A new tensor over fresh storage, recording `op` if gradients flow from `parents`.
    pub(crate) fn from_op(storage: Storage, shape: &[usize], parents: &[&Tensor], op: impl FnOnce() -> Op) -> Tensor {
        let layout = Layout::contiguous(shape);
        Tensor::build(Arc::new(RwLock::new(storage)), layout, parents, op)
    }

    /// A view of `self`'s storage with another layout, recording `op` if `self` needs gradients.
    pub(crate) fn view_op(&self, layout: Layout, op: impl FnOnce() -> Op) -> Tensor {
        Tensor::build(self.storage_arc().clone(), layout, &[self], op)
    }

    /// A tensor sharing `value`'s storage and layout whose graph record is `op` over `parents`.
    pub(crate) fn view_op_with_parents(value: &Tensor, parents: &[&Tensor], op: impl FnOnce() -> Op) -> Tensor {
        Tensor::build(value.storage_arc().clone(), value.0.layout.clone(), parents, op)
    }

    fn build(storage: Arc<RwLock<Storage>>, layout: Layout, parents: &[&Tensor], op: impl FnOnce() -> Op) -> Tensor {
        let track = grad_mode::is_enabled() && parents.iter().any(|p| p.requires_grad());
        Tensor::assemble(storage, layout, track.then(|| op().slim()), track)
    }

    /// A leaf over existing storage (no graph).
    pub(crate) fn leaf(storage: Arc<RwLock<Storage>>, layout: Layout, requires_grad: bool) -> Tensor {
        Tensor::assemble(storage, layout, None, requires_grad)
    }

    fn assemble(storage: Arc<RwLock<Storage>>, layout: Layout, op: Option<Op>, requires_grad: bool) -> Tensor {
        let (dtype, device) = {
            let s = storage.read();
            (s.dtype(), s.device())
        };
        Tensor(Arc::new(TensorImpl {
            id: TensorId::fresh(),
            storage: Some(storage),
            layout,
            dtype,
            device,
            op,
            requires_grad,
            grad: Mutex::new(None),
        }))
    }

    pub fn id(&self) -> TensorId {
        self.0.id
    }

    pub fn shape(&self) -> &[usize] {
        self.0.layout.shape()
    }

    /// Size of dimension `dim`.
    pub fn dim(&self, dim: usize) -> usize {
        let shape = self.shape();
        assert!(
            dim < shape.len(),
            "dim: dimension {dim} out of range for shape {shape:?}"
        );
        shape[dim]
    }

    pub fn rank(&self) -> usize {
        self.0.layout.rank()
    }

    pub fn numel(&self) -> usize {
        self.0.layout.numel()
    }

    pub fn dtype(&self) -> DType {
        self.0.dtype
    }

    pub fn device(&self) -> &Device {
        &self.0.device
    }

    pub fn layout(&self) -> &Layout {
        &self.0.layout
    }

    pub fn is_contiguous(&self) -> bool {
        self.0.layout.is_contiguous()
    }

    /// Whether two tensors view the same storage.
    pub fn shares_storage_with(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(self.storage_arc(), other.storage_arc())
    }

    /// Read access to the storage (several readers may hold it at once, also on one thread).
    pub(crate) fn storage(&self) -> RwLockReadGuard<'_, Storage> {
        self.storage_arc().read_recursive()
    }

    fn storage_arc(&self) -> &Arc<RwLock<Storage>> {
        self.0.storage.as_ref().unwrap_or_else(|| {
            panic!(
                "tensor of shape {:?}: its values were not kept by the graph record (a gradient rule \
                 that needs them must keep the input, see Op::slim)",
                self.shape()
            )
        })
    }

    /// False for a graph-only handle, whose values were not kept.
    pub(crate) fn holds_values(&self) -> bool {
        self.0.storage.is_some()
    }

    /// The handle an op's record keeps of an input whose values its gradient does not need:
    /// the same graph identity (id, record, requires_grad) without the storage, so the values
    /// are freed with the last user handle, as PyTorch saves only the tensors a formula reads.
    /// Leaves that require gradients stay whole (`backward()` accumulates into them, and the
    /// caller holds them anyway), and so do results whose own rule reads their value.
    pub(crate) fn graph_handle(&self) -> Tensor {
        let keep_whole = !self.holds_values() || (self.requires_grad() && self.op().is_none_or(|op| op.needs_output()));
        if keep_whole {
            return self.clone();
        }
        Tensor(Arc::new(TensorImpl {
            id: self.0.id,
            storage: None,
            layout: self.0.layout.clone(),
            dtype: self.0.dtype,
            device: self.0.device.clone(),
            op: self.0.op.clone(),
            requires_grad: self.0.requires_grad,
            grad: Mutex::new(None),
        }))
    }

    /// Replaces the values under this tensor's layout with `src`'s (same shape and dtype), in
    /// place and untracked; every view of the storage sees the new values. For optimiser steps.
    pub fn assign(&self, src: &Tensor) {
        assert_eq!(
            self.shape(),
            src.shape(),
            "assign: shapes {:?} and {:?} differ",
            self.shape(),
            src.shape()
        );
        assert_eq!(
            self.dtype(),
            src.dtype(),
            "assign: dtypes {} and {} differ",
            self.dtype(),
            src.dtype()
        );
        // The source is first copied out (contiguous, on its device) and its read lock dropped,
        // so `src` may share this tensor's storage.
        let mut value = device_ok(src.storage().to_dtype(src.layout(), src.dtype()), "assign");
        // A value from another device (a checkpoint read on the host) moves to this one first.
        if value.device() != *self.device() {
            let host = device_ok(value.to_cpu(&Layout::contiguous(src.shape())), "assign");
            value = device_ok(Storage::from_cpu(host, self.device()), "assign");
        }
        let mut dst = self.storage_arc().write();
        device_ok(dst.assign_strided(self.layout(), &value), "assign");
    }

    /// Whether gradients flow into this tensor.
    pub fn requires_grad(&self) -> bool {
        self.0.requires_grad
    }

    /// A leaf that shares this tensor's storage and requires (or not) gradients — PyTorch's
    /// `x.detach().requires_grad_(flag)`. Panics for non-float tensors when `flag` is set.
    pub fn requires_grad_(&self, flag: bool) -> Tensor {
        assert!(
            !flag || self.dtype().is_float(),
            "requires_grad_: only float tensors can require gradients, got {}",
            self.dtype()
        );
        Tensor::leaf(self.storage_arc().clone(), self.0.layout.clone(), flag)
    }

    /// The same values, cut from the graph (shares storage).
    pub fn detach(&self) -> Tensor {
        Tensor::leaf(self.storage_arc().clone(), self.0.layout.clone(), false)
    }

    /// Whether the tensor is a leaf of the graph (made by the user, not by a tracked op).
    pub fn is_leaf(&self) -> bool {
        self.0.op.is_none()
    }

    /// The op that computed this tensor, when it is a tracked intermediate.
    pub fn op(&self) -> Option<&Op> {
        self.0.op.as_ref()
    }

    /// The gradient accumulated by `backward()`, if any.
    pub fn grad(&self) -> Option<Tensor> {
        self.0.grad.lock().clone()
    }

    /// Clears the accumulated gradient (PyTorch's `zero_grad(set_to_none=True)`).
    pub fn zero_grad(&self) {
        *self.0.grad.lock() = None;
    }

    /// Replaces `.grad()` by `update(previous)` while holding its lock.
    pub(crate) fn accumulate_grad(&self, update: impl FnOnce(Option<&Tensor>) -> Tensor) {
        let mut slot = self.0.grad.lock();
        let next = update(slot.as_ref());
        *slot = Some(next);
    }
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}
