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

    /// Whether this op's gradient rule reads its own output (`out` in the rules), so the
    /// output's values must stay with its graph identity.
    pub(crate) fn needs_output(&self) -> bool {
        match self {
            Op::Unary(u, _) => matches!(
                u,
                UnaryOp::Recip | UnaryOp::Exp | UnaryOp::Sqrt | UnaryOp::Tanh | UnaryOp::Sigmoid
            ),
            Op::Binary(b, _, _) => matches!(b, BinaryOp::Div | BinaryOp::Pow),
            Op::Reduce { op, .. } => *op != ReduceOp::Sum,
            Op::Custom(..) => true,
            _ => false,
        }
    }

    /// The record with every input whose values its gradient rule never reads replaced by a
    /// [`Tensor::graph_handle`] (shape and graph identity only), so intermediate values are
    /// freed as soon as nothing else needs them. Which values a rule reads is read off
    /// `rules::backward`; a value needed only for another input's gradient is kept only when
    /// that input requires gradients (PyTorch's saved-tensor logic for matmul and conv).
    pub(crate) fn slim(self) -> Op {
        let shape_only = |t: Tensor| t.graph_handle();
        // `t` is read only to differentiate with respect to `other`.
        let keep_if = |t: Tensor, other: &Tensor| {
            if other.requires_grad() {
                t
            } else {
                t.graph_handle()
            }
        };
        match self {
            Op::Unary(u, x) => match u {
                UnaryOp::Neg
                | UnaryOp::Sign
                | UnaryOp::Recip
                | UnaryOp::Exp
                | UnaryOp::Sqrt
                | UnaryOp::Tanh
                | UnaryOp::Sigmoid => Op::Unary(u, shape_only(x)),
                _ => Op::Unary(u, x),
            },
            Op::Binary(b, x, y) => match b {
                BinaryOp::Add | BinaryOp::Sub => Op::Binary(b, shape_only(x), shape_only(y)),
                BinaryOp::Div => Op::Binary(b, shape_only(x), y),
                BinaryOp::Mul => {
                    let (x2, y2) = (keep_if(x.clone(), &y), keep_if(y, &x));
                    Op::Binary(b, x2, y2)
                }
                _ => Op::Binary(b, x, y),
            },
            Op::Where(c, t, f) => Op::Where(c, shape_only(t), shape_only(f)),
            Op::Reduce {
                op: ReduceOp::Sum,
                input,
                dims,
                keepdim,
            } => Op::Reduce {
                op: ReduceOp::Sum,
                input: shape_only(input),
                dims,
                keepdim,
            },
            Op::ToDType(x) => Op::ToDType(shape_only(x)),
            Op::Copy(x) => Op::Copy(shape_only(x)),
            Op::Reshape(x) => Op::Reshape(shape_only(x)),
            Op::Permute(x, perm) => Op::Permute(shape_only(x), perm),
            Op::Narrow { input, dim, start } => Op::Narrow {
                input: shape_only(input),
                dim,
                start,
            },
            Op::Expand(x) => Op::Expand(shape_only(x)),
            Op::Cat(parts, dim) => Op::Cat(parts.into_iter().map(shape_only).collect(), dim),
            Op::Pad(x, pads) => Op::Pad(shape_only(x), pads),
            Op::Gather { input, dim, index } => Op::Gather {
                input: shape_only(input),
                dim,
                index,
            },
            Op::ScatterAdd { base, dim, index, src } => Op::ScatterAdd {
                base: shape_only(base),
                dim,
                index,
                src: shape_only(src),
            },
            Op::IndexSelect { input, dim, index } => Op::IndexSelect {
                input: shape_only(input),
                dim,
                index,
            },
            Op::Matmul(a, b) => {
                let (a2, b2) = (keep_if(a.clone(), &b), keep_if(b, &a));
                Op::Matmul(a2, b2)
            }
            Op::Conv2d { input, weight, params } => Op::Conv2d {
                input: keep_if(input.clone(), &weight),
                weight: keep_if(weight, &input),
                params,
            },
            Op::Conv2dInputGrad {
                grad,
                weight,
                params,
                input_hw,
            } => Op::Conv2dInputGrad {
                grad: keep_if(grad.clone(), &weight),
                weight: keep_if(weight, &grad),
                params,
                input_hw,
            },
            Op::Conv2dWeightGrad {
                input,
                grad,
                params,
                kernel_hw,
            } => Op::Conv2dWeightGrad {
                input: keep_if(input.clone(), &grad),
                grad: keep_if(grad, &input),
                params,
                kernel_hw,
            },
            Op::MaxPool2d { input, indices } => Op::MaxPool2d {
                input: shape_only(input),
                indices,
            },
            Op::MaxPool2dBackward {
                grad,
                indices,
                input_shape,
            } => Op::MaxPool2dBackward {
                grad: shape_only(grad),
                indices,
                input_shape,
            },
            // x_k and m_k are read for s_k's gradient; s_k for x_k's and m_k's; the shift never.
            Op::ChannelAffine { inputs, has_shift } => {
                let terms = (inputs.len() - usize::from(has_shift)) / 3;
                let mut slim = Vec::with_capacity(inputs.len());
                for k in 0..terms {
                    let (x, m, s) = (&inputs[3 * k], &inputs[3 * k + 1], &inputs[3 * k + 2]);
                    slim.push(keep_if(x.clone(), s));
                    slim.push(keep_if(m.clone(), s));
                    let s_read = x.requires_grad() || m.requires_grad();
                    slim.push(if s_read { s.clone() } else { s.graph_handle() });
                }
                if has_shift {
                    slim.push(shape_only(inputs[3 * terms].clone()));
                }
                Op::ChannelAffine {
                    inputs: slim,
                    has_shift,
                }
            }
            op => op,
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

#[cfg(test)]
mod tests {
    use crate::{grad, DType, Device, Generator, Tensor};

    fn holds_values(t: &Tensor) -> bool {
        t.holds_values()
    }

    /// Records keep exactly the inputs their rules read: an intermediate that feeds only
    /// shape-only rules is freed with its last user handle, and the gradients are unchanged.
    #[test]
    fn records_keep_only_the_values_their_rules_read() {
        let mut gen = Generator::new(1);
        let x = Tensor::randn(&[3, 4], DType::F64, &Device::Cpu, &mut gen).requires_grad_(true);
        let w = Tensor::randn(&[4, 2], DType::F64, &Device::Cpu, &mut gen).requires_grad_(true);
        let constant = Tensor::randn(&[3, 4], DType::F64, &Device::Cpu, &mut gen);

        let h = x.mul_scalar(3.0); // an intermediate
        let sum = h.add(&constant); // add reads neither input
        let parents = sum.op().unwrap().parents();
        assert!(!holds_values(parents[0]), "add kept its intermediate input");
        assert!(!holds_values(parents[1]), "add kept its constant input");

        let e = h.exp(); // exp reads its output, not its input
        assert!(!holds_values(e.op().unwrap().parents()[0]));
        let shifted = e.add_scalar(1.0); // an output its own rule reads stays whole
        assert!(holds_values(shifted.op().unwrap().parents()[0]));

        let m = h.matmul(&w); // each operand is read for the other's gradient
        assert!(m.op().unwrap().parents().iter().all(|p| holds_values(p)));
        let m_const = h.matmul(&w.detach()); // the weight needs no gradient: h is not read
        assert!(!holds_values(m_const.op().unwrap().parents()[0]));
        assert!(holds_values(m_const.op().unwrap().parents()[1]));

        // Leaves that require gradients are never replaced (backward accumulates into them).
        let direct = x.add(&constant);
        assert!(holds_values(direct.op().unwrap().parents()[0]));

        // First and second derivatives through slimmed records match the closed forms:
        // f = Σ exp(3x)·(3x + c) ⇒ ∂f/∂x = 3·exp(3x)·(3x + c + 1).
        let f = e.mul(&sum).sum_all();
        drop((h, sum, shifted, m, m_const, direct));
        let gx = grad(&[f], std::slice::from_ref(&x), None, true).remove(0);
        let h = x.mul_scalar(3.0);
        let want = h.exp().mul(&h.add(&constant).add_scalar(1.0)).mul_scalar(3.0);
        assert!(gx.sub(&want).abs().max_all().item() < 1e-10);
        // ∂²f/∂x² summed: 9·exp(3x)·(3x + c + 2).
        let ggx = grad(&[gx.sum_all()], std::slice::from_ref(&x), None, false).remove(0);
        let want2 = h.exp().mul(&h.add(&constant).add_scalar(2.0)).mul_scalar(9.0);
        assert!(ggx.sub(&want2).abs().max_all().item() < 1e-10);
    }
}
