//! The gradient of every recorded op, in one table (PyTorch's `derivatives.yaml`, tinygrad's
//! `gradient.py`).
//!
//! Each rule maps the output gradient `g` (and the op's output `out`) to the gradient of each
//! differentiable input, and is written only with differentiable tensor ops. So when autograd
//! runs with `create_graph`, the gradients it returns are graphs themselves and can be
//! differentiated again — with respect to the inputs *and* to `g` — to any order. Masks
//! (comparisons) and indices are constants.

use super::op::Op;
use crate::backend::{BinaryOp, ReduceOp, UnaryOp};
use crate::Tensor;

/// The rule's result where the gradient is needed (also for custom backwards).
pub(crate) fn when(need: bool, rule: impl FnOnce() -> Tensor) -> Option<Tensor> {
    need.then(rule)
}

/// 0/1 mask of `cond` in `like`'s float dtype.
fn mask(cond: Tensor, like: &Tensor) -> Tensor {
    cond.mask_to(like.dtype())
}

/// `g` reshaped to the keepdim shape of a reduction over `dims`.
fn unreduce(g: &Tensor, input: &Tensor, dims: &[usize], keepdim: bool) -> Tensor {
    if keepdim {
        return g.clone();
    }
    let shape = crate::tensor::reduced_shape(input.shape(), dims, true);
    g.reshape(&shape)
}

/// `∂/∂a` of `⟨g, a·b⟩` for batched matmul operands (rank ≥ 2, `g` of the broadcast shape).
///
/// When `a` is the same matrix for every batch element (batch dimensions absent or 1) and the
/// batch is large, the per-element products `g_i·b_iᵀ` would be materialised and then summed;
/// instead the batch is folded into the contraction: one `[M, (batch·N)]·[(batch·N), K]` GEMM.
fn matmul_grad_lhs(g: &Tensor, a: &Tensor, b: &Tensor) -> Tensor {
    let r = g.rank();
    let batch: usize = g.shape()[..r - 2].iter().product();
    let a_batch: usize = a.shape()[..a.rank() - 2].iter().product();
    if a_batch != 1 || batch <= 1 {
        return g.matmul(&b.mt()).sum_to(a.shape());
    }
    let (m, n) = (g.dim(r - 2), g.dim(r - 1));
    let k = a.dim(a.rank() - 1);
    let mut b_shape = g.shape()[..r - 2].to_vec();
    b_shape.extend_from_slice(&[k, n]);
    // [batch, M, N] → [M, batch·N] and [batch, K, N] → [batch·N, K].
    let g2 = g.reshape(&[batch, m, n]).permute(&[1, 0, 2]).reshape(&[m, batch * n]);
    let b2 = b
        .expand(&b_shape)
        .reshape(&[batch, k, n])
        .permute(&[0, 2, 1])
        .reshape(&[batch * n, k]);
    g2.matmul(&b2).reshape(a.shape())
}

/// `∂/∂b` of `⟨g, a·b⟩`, folding the batch into one GEMM when `b` is shared by the batch:
/// `[K, (batch·M)]·[(batch·M), N]`, views of `a` and `g` when they are contiguous.
fn matmul_grad_rhs(g: &Tensor, a: &Tensor, b: &Tensor) -> Tensor {
    let r = g.rank();
    let batch: usize = g.shape()[..r - 2].iter().product();
    let b_batch: usize = b.shape()[..b.rank() - 2].iter().product();
    if b_batch != 1 || batch <= 1 {
        return a.mt().matmul(g).sum_to(b.shape());
    }
    let (m, n) = (g.dim(r - 2), g.dim(r - 1));
    let k = a.dim(a.rank() - 1);
    let mut a_shape = g.shape()[..r - 2].to_vec();
    a_shape.extend_from_slice(&[m, k]);
    let a2 = a.expand(&a_shape).reshape(&[batch * m, k]);
    a2.mt().matmul(&g.reshape(&[batch * m, n])).reshape(b.shape())
}

/// Gradients of `op`'s parents (in [`Op::parents`] order), computed where `needs` says so.
pub(crate) fn backward(op: &Op, g: &Tensor, out: &Tensor, needs: &[bool]) -> Vec<Option<Tensor>> {
    let n0 = needs.first().copied().unwrap_or(false);
    let n1 = needs.get(1).copied().unwrap_or(false);
    match op {
        Op::Unary(u, x) => vec![when(n0, || match u {
            UnaryOp::Neg => g.neg(),
            UnaryOp::Recip => g.neg().mul(&out.square()),
            UnaryOp::Exp => g.mul(out),
            UnaryOp::Log => g.div(x),
            UnaryOp::Log1p => g.div(&x.add_scalar(1.0)),
            UnaryOp::Sqrt => g.div(&out.mul_scalar(2.0)),
            // One full-size product fewer than differentiating x·x (two products and a sum).
            UnaryOp::Square => g.mul(x).mul_scalar(2.0),
            UnaryOp::Tanh => g.mul(&out.square().rsub_scalar(1.0)),
            UnaryOp::Sigmoid => g.mul(&out.mul(&out.rsub_scalar(1.0))),
            // A select, not a product with a 0/1 mask: one full-size pass fewer.
            UnaryOp::Relu => Tensor::where_cond(&x.gt_scalar(0.0), g, &g.scalar_like(0.0)),
            UnaryOp::Abs => g.mul(&x.sign()),
            UnaryOp::Sign => x.zeros_like(),
            UnaryOp::Sin => g.mul(&x.cos()),
            UnaryOp::Cos => g.neg().mul(&x.sin()),
        })],

        Op::Binary(b, x, y) => match b {
            BinaryOp::Add => vec![when(n0, || g.sum_to(x.shape())), when(n1, || g.sum_to(y.shape()))],
            BinaryOp::Sub => vec![when(n0, || g.sum_to(x.shape())), when(n1, || g.sum_to(y.shape()).neg())],
            BinaryOp::Mul => vec![
                when(n0, || g.mul(y).sum_to(x.shape())),
                when(n1, || g.mul(x).sum_to(y.shape())),
            ],
            BinaryOp::Div => vec![
                when(n0, || g.div(y).sum_to(x.shape())),
                when(n1, || g.mul(out).div(y).sum_to(y.shape()).neg()),
            ],
            BinaryOp::Pow => vec![
                // y·x^(y-1), defined as 0 where y = 0 (so 0^0 does not give 0·inf).
                when(n0, || {
                    let d = g.mul(y).mul(&x.pow(&y.sub_scalar(1.0)));
                    Tensor::where_cond(&y.eq_scalar(0.0), &d.zeros_like(), &d).sum_to(x.shape())
                }),
                // x^y·log x, with log taken at 1 where x = 0 (PyTorch's 0 there for y >= 0).
                when(n1, || {
                    let safe = Tensor::where_cond(&x.eq_scalar(0.0), &x.ones_like(), x);
                    g.mul(out).mul(&safe.log()).sum_to(y.shape())
                }),
            ],
            // Ties split the gradient evenly, as torch.maximum / torch.minimum.
            BinaryOp::Maximum | BinaryOp::Minimum => {
                let (wins_x, wins_y) = if *b == BinaryOp::Maximum {
                    (x.gt(y), y.gt(x))
                } else {
                    (x.lt(y), y.lt(x))
                };
                let half_tie = mask(x.eq(y), g).mul_scalar(0.5);
                vec![
                    when(n0, || g.mul(&mask(wins_x, g).add(&half_tie)).sum_to(x.shape())),
                    when(n1, || g.mul(&mask(wins_y, g).add(&half_tie)).sum_to(y.shape())),
                ]
            }
        },

        Op::Where(c, t, f) => vec![
            when(n0, || Tensor::where_cond(c, g, &g.scalar_like(0.0)).sum_to(t.shape())),
            when(n1, || Tensor::where_cond(c, &g.scalar_like(0.0), g).sum_to(f.shape())),
        ],

        Op::Reduce {
            op,
            input,
            dims,
            keepdim,
        } => vec![when(n0, || {
            let gk = unreduce(g, input, dims, *keepdim);
            match op {
                ReduceOp::Sum => gk.expand(input.shape()),
                // amax/amin: shared evenly among the elements equal to the extreme.
                ReduceOp::Max | ReduceOp::Min => {
                    let hit = mask(input.eq(&unreduce(out, input, dims, *keepdim)), input);
                    gk.mul(&hit).div(&hit.sum(dims, true))
                }
            }
        })],

        Op::ToDType(x) => vec![when(n0, || g.to_dtype(x.dtype()))],
        Op::Copy(_) => vec![when(n0, || g.clone())],
        Op::Reshape(x) => vec![when(n0, || g.reshape(x.shape()))],
        Op::Permute(_, perm) => vec![when(n0, || {
            let mut inverse = vec![0; perm.len()];
            for (i, &p) in perm.iter().enumerate() {
                inverse[p] = i;
            }
            g.permute(&inverse)
        })],
        Op::Narrow { input, dim, start } => {
            vec![when(n0, || {
                g.pad_dim(*dim, *start, input.dim(*dim) - start - g.dim(*dim))
            })]
        }
        Op::Expand(x) => vec![when(n0, || g.sum_to(x.shape()))],
        Op::Cat(parts, dim) => {
            let mut offset = 0;
            parts
                .iter()
                .zip(needs)
                .map(|(p, &need)| {
                    let start = offset;
                    offset += p.dim(*dim);
                    when(need, || g.narrow(*dim, start, p.dim(*dim)))
                })
                .collect()
        }
        Op::Pad(x, pads) => vec![when(n0, || {
            pads.iter()
                .enumerate()
                .fold(g.clone(), |acc, (d, &(before, _))| acc.narrow(d, before, x.dim(d)))
        })],

        Op::Gather { input, dim, index } => vec![when(n0, || input.zeros_like().scatter_add(*dim, index, g))],
        Op::ScatterAdd { dim, index, .. } => vec![when(n0, || g.clone()), when(n1, || g.gather(*dim, index))],
        Op::IndexSelect { input, dim, index } => vec![when(n0, || {
            let mut shape = vec![1; g.rank()];
            shape[*dim] = index.numel();
            let positions = index.reshape(&shape).expand(g.shape());
            input.zeros_like().scatter_add(*dim, &positions, g)
        })],

        Op::Matmul(a, b) => vec![
            when(n0, || matmul_grad_lhs(g, a, b)),
            when(n1, || matmul_grad_rhs(g, a, b)),
        ],
        // conv(x, w), its input adjoint T(gy, w) and weight adjoint W(x, gy) are the three
        // partial maps of one trilinear form <gy, conv(x, w)>, so their gradients close over
        // the same three ops.
        Op::Conv2d { input, weight, params } => vec![
            when(n0, || g.conv2d_input_grad(weight, params, [input.dim(2), input.dim(3)])),
            when(n1, || {
                input.conv2d_weight_grad(g, params, [weight.dim(2), weight.dim(3)])
            }),
        ],
        Op::Conv2dInputGrad {
            grad, weight, params, ..
        } => vec![
            when(n0, || g.conv2d(weight, params)),
            when(n1, || {
                g.conv2d_weight_grad(grad, params, [weight.dim(2), weight.dim(3)])
            }),
        ],
        Op::Conv2dWeightGrad {
            input, grad, params, ..
        } => vec![
            when(n0, || grad.conv2d_input_grad(g, params, [input.dim(2), input.dim(3)])),
            when(n1, || input.conv2d(g, params)),
        ],
        Op::MaxPool2d { input, indices } => vec![when(n0, || g.max_pool2d_backward(indices, input.shape()))],
        Op::MaxPool2dBackward { grad, indices, .. } => vec![when(n0, || {
            g.flatten(2, 3).gather(2, &indices.flatten(2, 3)).reshape(grad.shape())
        })],

        // Linear in each x_k and m_k, bilinear in (x_k - m_k, s_k).
        Op::ChannelAffine { inputs, has_shift } => {
            let terms = (inputs.len() - usize::from(*has_shift)) / 3;
            let sum_g = || g.channel_sum();
            let mut grads = Vec::with_capacity(inputs.len());
            for k in 0..terms {
                let (x, m, s) = (&inputs[3 * k], &inputs[3 * k + 1], &inputs[3 * k + 2]);
                grads.push(when(needs[3 * k], || Tensor::channel_affine(&[(g, None, s)], None)));
                grads.push(when(needs[3 * k + 1], || s.mul(&sum_g()).neg()));
                grads.push(when(needs[3 * k + 2], || g.channel_dot(x, &s.zeros_like(), m)));
            }
            if *has_shift {
                grads.push(when(needs[3 * terms], sum_g));
            }
            grads
        }
        // Σ (a - sa)(b - sb): each factor's gradient is the other (centred) factor times g[c].
        Op::ChannelDot([a, b, sa, sb]) => {
            let count = (a.numel() / a.dim(1).max(1)) as f64;
            vec![
                when(needs[0], || Tensor::channel_affine(&[(b, Some(sb), g)], None)),
                when(needs[1], || Tensor::channel_affine(&[(a, Some(sa), g)], None)),
                when(needs[2], || g.mul(&b.channel_sum().sub(&sb.mul_scalar(count))).neg()),
                when(needs[3], || g.mul(&a.channel_sum().sub(&sa.mul_scalar(count))).neg()),
            ]
        }
        Op::Custom(c, inputs) => c.backward(g, out, inputs, needs),
    }
}

#[cfg(test)]
mod tests {
    use crate::{grad, DType, Device, Generator, Tensor};

    /// The folded gradients of a batch-shared operand equal the per-element products summed.
    #[test]
    fn folded_matmul_gradients_match_the_batch_sum() {
        let mut gen = Generator::new(5);
        let randn = |shape: &[usize], gen: &mut Generator| {
            Tensor::randn(shape, DType::F64, &Device::Cpu, gen).requires_grad_(true)
        };
        let (a, b) = (randn(&[3, 2, 4], &mut gen), randn(&[1, 4, 5], &mut gen));
        let (a_shared, b_batched) = (randn(&[1, 2, 4], &mut gen), randn(&[3, 4, 5], &mut gen));
        let g = Tensor::randn(&[3, 2, 5], DType::F64, &Device::Cpu, &mut gen);
        for (x, y) in [(&a, &b), (&a_shared, &b_batched)] {
            let grads = grad(&[x.matmul(y).mul(&g).sum_all()], &[x.clone(), y.clone()], None, false);
            let gx = g.matmul(&y.mt()).sum_to(x.shape());
            let gy = x.mt().matmul(&g).sum_to(y.shape());
            for (got, want) in grads.iter().zip([gx, gy]) {
                let diff = got.sub(&want).abs().max_all().item();
                assert!(diff < 1e-12, "fold differs by {diff}");
            }
        }
    }
}
