//! Batch normalisation's fused primitives, `channel_affine` and `channel_dot`, composed on the
//! device from the broadcasting elementwise kernels and the reduction: the `[C]` vectors are
//! viewed with zero strides over `[N, C, *]`. Same arithmetic per element as the CPU's fused
//! loops ((x - centre)·scale, then the sum of terms, then + shift), at the cost of full-size
//! intermediates; a fused WGSL kernel is the next step if a bench shows the launches matter.

use super::context::Context;
use super::{elementwise, reduce, WgpuStorage};
use crate::backend::{BinaryOp, ChannelTerm, ReduceOp};
use crate::{Layout, Result};

/// A `[C]` vector viewed over `shape` (`[N, C, *]`): stride only along dim 1.
fn per_channel(v: &Layout, shape: &[usize]) -> Layout {
    let mut strides = vec![0; shape.len()];
    strides[1] = v.strides()[0];
    Layout::new(shape.to_vec(), strides, v.offset())
}

pub(crate) fn channel_affine(
    ctx: &Context,
    terms: &[ChannelTerm<'_, WgpuStorage>],
    shift: Option<(&WgpuStorage, &Layout)>,
) -> Result<WgpuStorage> {
    let shape = terms[0].x.1.shape().to_vec();
    let whole = Layout::contiguous(&shape);
    let mut total: Option<WgpuStorage> = None;
    for t in terms {
        let centred = elementwise::binary(
            ctx,
            t.x.0,
            t.x.1,
            t.centre.0,
            &per_channel(t.centre.1, &shape),
            BinaryOp::Sub,
        )?;
        let scaled = elementwise::binary(
            ctx,
            &centred,
            &whole,
            t.scale.0,
            &per_channel(t.scale.1, &shape),
            BinaryOp::Mul,
        )?;
        total = Some(match total {
            None => scaled,
            Some(acc) => elementwise::binary(ctx, &acc, &whole, &scaled, &whole, BinaryOp::Add)?,
        });
    }
    let total = total.expect("channel_affine: at least one term");
    match shift {
        None => Ok(total),
        Some((s, sl)) => elementwise::binary(ctx, &total, &whole, s, &per_channel(sl, &shape), BinaryOp::Add),
    }
}

pub(crate) fn channel_dot(
    ctx: &Context,
    a: &WgpuStorage,
    al: &Layout,
    b: &WgpuStorage,
    bl: &Layout,
    shifts: [(&WgpuStorage, &Layout); 2],
) -> Result<WgpuStorage> {
    let shape = al.shape().to_vec();
    let whole = Layout::contiguous(&shape);
    let da = elementwise::binary(
        ctx,
        a,
        al,
        shifts[0].0,
        &per_channel(shifts[0].1, &shape),
        BinaryOp::Sub,
    )?;
    let db = elementwise::binary(
        ctx,
        b,
        bl,
        shifts[1].0,
        &per_channel(shifts[1].1, &shape),
        BinaryOp::Sub,
    )?;
    let prod = elementwise::binary(ctx, &da, &whole, &db, &whole, BinaryOp::Mul)?;
    // Every dim but the channel one; the `[1, C, 1, …]` result is the contiguous `[C]`.
    let dims: Vec<usize> = (0..shape.len()).filter(|&d| d != 1).collect();
    reduce::reduce(ctx, &prod, &whole, ReduceOp::Sum, &dims)
}
