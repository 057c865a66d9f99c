//! The graph record: how a tensor was computed from which tensors.

use crate::backend::{BinaryOp, Conv2dParams, ReduceOp, UnaryOp};
use crate::Tensor;
use std::sync::Arc;

/// The backward of a user-defined op (PyTorch's `autograd.Function`): used for fused kernels,
/// whose backward must again be written in differentiable tensor ops.
pub trait CustomBackward: Send + Sync {
    /// A name for messages.
    fn name(&self) -> &str;
    /// Gradients for `inputs` given the output gradient `grad` and the op's `result`; entries
    /// where `needs[i]` is false may be `None`.
    fn backward(&self, grad: &Tensor, result: &Tensor, inputs: &[Tensor], needs: &[bool]) -> Vec<Option<Tensor>>;
}

/// One recorded operation. The tensors held are its differentiable inputs (and the
/// non-differentiable index / mask tensors it needs for its gradient).
#[derive(Clone)]
pub enum Op {
    Unary(UnaryOp, Tensor),
    Binary(BinaryOp, Tensor, Tensor),
    /// `(cond, on_true, on_false)`; the condition is a constant.
    Where(Tensor, Tensor, Tensor),
    Reduce {
        op: ReduceOp,
        input: Tensor,
        dims: Vec<usize>,
        keepdim: bool,
    },
    ToDType(Tensor),
    Copy(Tensor),
    Reshape(Tensor),
    Permute(Tensor, Vec<usize>),
    Narrow {
        input: Tensor,
        dim: usize,
        start: usize,
    },
    Expand(Tensor),
    Cat(Vec<Tensor>, usize),
    Pad(Tensor, Vec<(usize, usize)>),
    Gather {
        input: Tensor,
        dim: usize,
        index: Tensor,
    },
    ScatterAdd {
        base: Tensor,
        dim: usize,
        index: Tensor,
        src: Tensor,
    },
    IndexSelect {
        input: Tensor,
        dim: usize,
        index: Tensor,
    },
    Matmul(Tensor, Tensor),
    Conv2d {
        input: Tensor,
        weight: Tensor,
        params: Conv2dParams,
    },
    Conv2dInputGrad {
        grad: Tensor,
        weight: Tensor,
        params: Conv2dParams,
        input_hw: [usize; 2],
    },
    Conv2dWeightGrad {
        input: Tensor,
        grad: Tensor,
        params: Conv2dParams,
        kernel_hw: [usize; 2],
    },
    MaxPool2d {
        input: Tensor,
        indices: Tensor,
    },
    MaxPool2dBackward {
        grad: Tensor,
        indices: Tensor,
        input_shape: Vec<usize>,
    },
    /// `Σ_k (x_k - m_k[c])·s_k[c] (+ shift[c])`: `inputs` are `x_1, m_1, s_1, [x_2, m_2, s_2,] [shift]`.
    ChannelAffine {
        inputs: Vec<Tensor>,
        has_shift: bool,
    },
    /// `Σ (a - sa[c])·(b - sb[c])` per channel: `[a, b, sa, sb]`.
    ChannelDot([Tensor; 4]),
    Custom(Arc<dyn CustomBackward>, Vec<Tensor>),
}

impl Op {
    /// The differentiable inputs, in the order the gradient rule returns their gradients.
    pub fn parents(&self) -> Vec<&Tensor> {
        match self {
            Op::Unary(_, x)
            | Op::Reduce { input: x, .. }
            | Op::ToDType(x)
            | Op::Copy(x)
            | Op::Reshape(x)
            | Op::Permute(x, _)
            | Op::Narrow { input: x, .. }
            | Op::Expand(x)
            | Op::Pad(x, _)
            | Op::Gather { input: x, .. }
            | Op::IndexSelect { input: x, .. }
            | Op::MaxPool2d { input: x, .. }
            | Op::MaxPool2dBackward { grad: x, .. } => vec![x],
            Op::Binary(_, a, b)
            | Op::Where(_, a, b)
            | Op::ScatterAdd { base: a, src: b, .. }
            | Op::Matmul(a, b)
            | Op::Conv2d {
                input: a, weight: b, ..
            }
            | Op::Conv2dInputGrad { grad: a, weight: b, .. }
            | Op::Conv2dWeightGrad { input: a, grad: b, .. } => vec![a, b],
            Op::Cat(ts, _) | Op::Custom(_, ts) | Op::ChannelAffine { inputs: ts, .. } => ts.iter().collect(),
            Op::ChannelDot(ts) => ts.iter().collect(),
        }
    }

    /// Every tensor the record owns, consuming it (for the iterative teardown of deep graphs).
    pub(crate) fn into_tensors(self) -> Vec<Tensor> {
        match self {
            Op::Unary(_, x)
            | Op::Reduce { input: x, .. }
            | Op::ToDType(x)
            | Op::Copy(x)
            | Op::Reshape(x)
            | Op::Permute(x, _)
            | Op::Narrow { input: x, .. }
            | Op::Expand(x)
            | Op::Pad(x, _) => vec![x],
            Op::Binary(_, a, b)
            | Op::Gather { input: a, index: b, .. }
            | Op::IndexSelect { input: a, index: b, .. }
            | Op::MaxPool2d { input: a, indices: b }
            | Op::MaxPool2dBackward {
                grad: a, indices: b, ..
            }
            | Op::Matmul(a, b)
            | Op::Conv2d {
                input: a, weight: b, ..
            }
            | Op::Conv2dInputGrad { grad: a, weight: b, .. }
            | Op::Conv2dWeightGrad { input: a, grad: b, .. } => vec![a, b],
            Op::Where(c, a, b)
            | Op::ScatterAdd {
                base: a,
                index: c,
                src: b,
                ..
            } => vec![c, a, b],
            Op::Cat(ts, _) | Op::Custom(_, ts) | Op::ChannelAffine { inputs: ts, .. } => ts,
            Op::ChannelDot(ts) => ts.into(),
        }
    }

    /// A short name for messages.
    pub fn name(&self) -> String {
        match self {
            Op::Unary(op, _) => op.name().into(),
            Op::Binary(op, _, _) => op.name().into(),
            Op::Reduce { op, .. } => op.name().into(),
            Op::Custom(c, _) => c.name().to_string(),
            Op::Where(..) => "Where".into(),
            Op::ToDType(_) => "ToDType".into(),
            Op::Copy(_) => "Copy".into(),
            Op::Reshape(_) => "Reshape".into(),
            Op::Permute(..) => "Permute".into(),
            Op::Narrow { .. } => "Narrow".into(),
            Op::Expand(_) => "Expand".into(),
            Op::Cat(..) => "Cat".into(),
            Op::Pad(..) => "Pad".into(),
            Op::Gather { .. } => "Gather".into(),
            Op::ScatterAdd { .. } => "ScatterAdd".into(),
            Op::IndexSelect { .. } => "IndexSelect".into(),
            Op::Matmul(..) => "Matmul".into(),
            Op::Conv2d { .. } => "Conv2d".into(),
            Op::Conv2dInputGrad { .. } => "Conv2dInputGrad".into(),
            Op::Conv2dWeightGrad { .. } => "Conv2dWeightGrad".into(),
            Op::MaxPool2d { .. } => "MaxPool2d".into(),
            Op::MaxPool2dBackward { .. } => "MaxPool2dBackward".into(),
            Op::ChannelAffine { .. } => "ChannelAffine".into(),
            Op::ChannelDot(_) => "ChannelDot".into(),
        }
    }
}

impl Tensor {
    /// Wraps a value computed by a custom (e.g. fused) forward so that autograd differentiates it
    /// with `backward`. `value` is taken as data; `inputs` are the tensors it was computed from.
    pub fn from_custom_op(value: &Tensor, inputs: &[Tensor], backward: Arc<dyn CustomBackward>) -> Tensor {
        let parents: Vec<&Tensor> = inputs.iter().collect();
        Tensor::view_op_with_parents(value, &parents, || Op::Custom(backward, inputs.to_vec()))
    }
}
