//! Reductions over dims (one workgroup per output, shared-memory tree) and arg-reductions (one
//! thread per output, a sequential scan so ties resolve to the first index like the CPU).

use super::context::Context;
use super::pipelines::{grid, grid_1d, kernel, launch, layout_words, u32_of};
use super::{arithmetic, elem_rules, wgsl_type, WgpuStorage};
use crate::backend::{ArgReduceOp, ReduceOp};
use crate::{DType, Layout, Result};

/// The combine body of `op`. Max/min let a NaN win, as the CPU does.
fn combine(op: ReduceOp) -> &'static str {
    match op {
        ReduceOp::Sum => "return e_add(a, b);",
        ReduceOp::Max => "if (e_nan(a) || e_lt(b, a)) { return a; } return b;",
        ReduceOp::Min => "if (e_nan(a) || e_lt(a, b)) { return a; } return b;",
    }
}

pub(crate) fn reduce(ctx: &Context, a: &WgpuStorage, l: &Layout, op: ReduceOp, dims: &[usize]) -> Result<WgpuStorage> {
    assert!(
        a.dtype != DType::Bool,
        "{op:?}: cannot reduce a bool tensor; convert it to a number type first"
    );
    arithmetic(ctx, op.name(), a.dtype)?;
    let shape = l.shape();
    let mut out_shape = shape.to_vec();
    let mut red_shape = Vec::new();
    let mut red_strides = Vec::new();
    for &d in dims {
        out_shape[d] = 1;
        red_shape.push(shape[d]);
        red_strides.push(l.strides()[d]);
    }
    let outputs: usize = out_shape.iter().product();
    let count: usize = red_shape.iter().product();
    assert!(
        count > 0 || op == ReduceOp::Sum || outputs == 0,
        "{op:?}: cannot reduce an empty dimension (shape {shape:?})"
    );
    let out = WgpuStorage::alloc(ctx, a.dtype, outputs)?;
    if outputs == 0 {
        return Ok(out);
    }
    // Small reductions get small workgroups: one workgroup per output either way.
    let wg = (count.next_power_of_two() as u32).clamp(32, 256);
    let subs = [
        ("ELEM", elem_rules(a.dtype).to_string()),
        ("COMBINE", combine(op).to_string()),
        ("T", wgsl_type(a.dtype).to_string()),
    ];
    let k = kernel(ctx, "reduce", &subs, 1, wg)?;
    let strides: Vec<usize> = l.strides().to_vec();
    let mut lay = layout_words(&out_shape, &[], &[(l.offset(), &strides)]);
    let extra = lay.len() as u32;
    lay[2] = extra;
    lay.push(u32_of(count));
    lay.push(red_shape.len() as u32);
    lay.extend(red_shape.iter().map(|&s| u32_of(s)));
    lay.extend(red_strides.iter().map(|&s| u32_of(s)));
    launch(ctx, &k, &lay, &[a.buffer()], out.buffer(), grid(ctx, u32_of(outputs))?);
    Ok(out)
}

pub(crate) fn arg_reduce(
    ctx: &Context,
    a: &WgpuStorage,
    l: &Layout,
    op: ArgReduceOp,
    dim: usize,
) -> Result<WgpuStorage> {
    arithmetic(ctx, op.name(), a.dtype)?;
    let shape = l.shape();
    assert!(
        shape[dim] > 0 || l.numel() == 0,
        "{op:?}: cannot reduce an empty dimension (shape {shape:?})"
    );
    let mut out_shape = shape.to_vec();
    out_shape[dim] = 1;
    let outputs: usize = out_shape.iter().product();
    let out = WgpuStorage::alloc(ctx, DType::I64, outputs)?;
    if outputs == 0 || shape[dim] == 0 {
        return Ok(out);
    }
    let better = match op {
        ArgReduceOp::ArgMax => "return e_lt(b, v);",
        ArgReduceOp::ArgMin => "return e_lt(v, b);",
    };
    let subs = [
        ("ELEM", elem_rules(a.dtype).to_string()),
        ("BETTER", better.to_string()),
        ("T", wgsl_type(a.dtype).to_string()),
    ];
    let k = kernel(ctx, "arg_reduce", &subs, 1, 256)?;
    let lay = layout_words(
        &out_shape,
        &[u32_of(shape[dim]), u32_of(l.strides()[dim])],
        &[(l.offset(), l.strides())],
    );
    launch(ctx, &k, &lay, &[a.buffer()], out.buffer(), grid_1d(ctx, &k, outputs)?);
    Ok(out)
}
