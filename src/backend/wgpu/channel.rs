//! Per-channel kernels of `[N, C, *]` tensors (batch normalisation's fused passes): the affine
//! combination (one thread per output element) and the centred dot product (one workgroup per
//! channel, a shared-memory tree). The `[C]` vectors are first packed into one buffer, so a
//! launch binds at most three inputs whatever the number of terms.

use super::context::Context;
use super::layout_ops;
use super::pipelines::{elementwise_words, grid, grid_1d, kernel, launch, layout_words, merge_dims, u32_of};
use super::{arithmetic, wgsl_type, WgpuStorage};
use crate::backend::ChannelTerm;
use crate::{Layout, Result};

/// `(N, C, inner)` of a `[N, C, *]` shape.
fn split(shape: &[usize]) -> (usize, usize, usize) {
    (shape[0], shape[1], shape[2..].iter().product())
}

fn check(op: &str, ctx: &Context, operands: &[&WgpuStorage]) -> Result<()> {
    let dtype = operands[0].dtype;
    assert!(dtype.is_float(), "{op}: expected a float tensor, got {dtype}");
    for s in operands {
        assert_eq!(s.dtype, dtype, "{op}: dtypes {dtype} and {} differ", s.dtype);
    }
    arithmetic(ctx, op, dtype)
}

/// The `[C]` vectors `parts` packed one after another into a contiguous buffer.
fn pack(ctx: &Context, parts: &[(&WgpuStorage, &Layout)]) -> Result<WgpuStorage> {
    layout_ops::cat(ctx, parts, 0)
}

pub(crate) fn channel_affine(
    ctx: &Context,
    terms: &[ChannelTerm<'_, WgpuStorage>],
    shift: Option<(&WgpuStorage, &Layout)>,
) -> Result<WgpuStorage> {
    assert!(
        matches!(terms.len(), 1 | 2),
        "channel_affine: expected one or two terms, got {}",
        terms.len()
    );
    let mut operands: Vec<&WgpuStorage> = Vec::new();
    for t in terms {
        operands.extend([t.x.0, t.centre.0, t.scale.0]);
    }
    operands.extend(shift.map(|(s, _)| s));
    check("channel_affine", ctx, &operands)?;
    let (x0, l0) = terms[0].x;
    let shape = l0.shape();
    let (_, c, inner) = split(shape);
    let n = l0.numel();
    let out = WgpuStorage::alloc(ctx, x0.dtype, n)?;
    if n == 0 {
        return Ok(out);
    }
    let mut per_channel: Vec<(&WgpuStorage, &Layout)> = Vec::new();
    for t in terms {
        per_channel.extend([t.centre, t.scale]);
    }
    per_channel.extend(shift);
    let pc = pack(ctx, &per_channel)?;
    let mut value = String::from("(xa[operand_offset(0u, i)] - pc[c]) * pc[cn + c]");
    if terms.len() == 2 {
        value.push_str(" + (xb[operand_offset(1u, i)] - pc[2u * cn + c]) * pc[3u * cn + c]");
    }
    if shift.is_some() {
        value.push_str(&format!(" + pc[{}u * cn + c]", 2 * terms.len()));
    }
    let subs = [("VALUE", value), ("T", wgsl_type(x0.dtype).to_string())];
    let k = kernel(ctx, "channel_affine", &subs, 3, 256)?;
    let xs: Vec<(usize, &[usize])> = terms.iter().map(|t| (t.x.1.offset(), t.x.1.strides())).collect();
    let mut lay = elementwise_words(shape, &xs);
    lay[2] = u32_of(c);
    lay[3] = u32_of(inner);
    let xb = terms.get(1).map_or(x0, |t| t.x.0);
    launch(
        ctx,
        &k,
        &lay,
        &[x0.buffer(), xb.buffer(), pc.buffer()],
        out.buffer(),
        grid_1d(ctx, &k, n)?,
    );
    Ok(out)
}

pub(crate) fn channel_dot(
    ctx: &Context,
    a: &WgpuStorage,
    al: &Layout,
    b: &WgpuStorage,
    bl: &Layout,
    shifts: [(&WgpuStorage, &Layout); 2],
) -> Result<WgpuStorage> {
    check("channel_dot", ctx, &[a, b, shifts[0].0, shifts[1].0])?;
    let shape = al.shape();
    let (n, c, inner) = split(shape);
    let out = WgpuStorage::alloc(ctx, a.dtype, c)?;
    if c == 0 {
        return Ok(out);
    }
    let pc = pack(ctx, &shifts)?;
    // [N, C] kept as they are, the plane's dims merged where both operands walk them in step.
    let (plane_shape, plane_strides) = merge_dims(&shape[2..], [&al.strides()[2..], &bl.strides()[2..]].into_iter());
    let mut launch_shape = vec![n, c];
    launch_shape.extend(&plane_shape);
    let strides = |l: &Layout, k: usize| {
        let mut s = l.strides()[..2].to_vec();
        s.extend(&plane_strides[k]);
        s
    };
    let (sa, sb) = (strides(al, 0), strides(bl, 1));
    let lay = layout_words(
        &launch_shape,
        &[u32_of(inner)],
        &[(al.offset(), &sa), (bl.offset(), &sb)],
    );
    let wg = ((n * inner).next_power_of_two() as u32).clamp(32, 256);
    let k = kernel(ctx, "channel_dot", &[("T", wgsl_type(a.dtype).to_string())], 3, wg)?;
    launch(
        ctx,
        &k,
        &lay,
        &[a.buffer(), b.buffer(), pc.buffer()],
        out.buffer(),
        grid(ctx, u32_of(c))?,
    );
    Ok(out)
}
