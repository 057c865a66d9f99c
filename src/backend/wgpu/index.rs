//! Index ops with int64 indices (read as their low 32-bit word): gather, scatter-add,
//! index-select. Gather and index-select move any dtype as words; scatter-add gathers per output
//! (no atomics: WGSL has none for floats or word pairs) and so adds in index order,
//! deterministically, in every dtype: floats, int64 (wrapping, on the word pair) and bool
//! (logical or, PyTorch's and the CPU's).

use super::context::Context;
use super::layout_ops::copy_contiguous;
use super::pipelines::{grid_1d, kernel, launch, layout_words, u32_of};
use super::{arithmetic, elem_rules, wgsl_type, words, WgpuStorage};
use crate::{DType, Layout, Result};

fn index_dtype(op: &str, index: &WgpuStorage) {
    assert_eq!(
        index.dtype,
        DType::I64,
        "{op}: expected an int64 index tensor, got {}",
        index.dtype
    );
}

pub(crate) fn gather(
    ctx: &Context,
    a: &WgpuStorage,
    l: &Layout,
    dim: usize,
    index: &WgpuStorage,
    il: &Layout,
) -> Result<WgpuStorage> {
    index_dtype("gather", index);
    let n = il.numel();
    let out = WgpuStorage::alloc(ctx, a.dtype, n)?;
    if n > 0 {
        let k = kernel(ctx, "gather", &[("W", words(a.dtype).to_string())], 2, 256)?;
        let lay = layout_words(
            il.shape(),
            &[dim as u32],
            &[(l.offset(), l.strides()), (il.offset(), il.strides())],
        );
        launch(
            ctx,
            &k,
            &lay,
            &[a.buffer(), index.buffer()],
            out.buffer(),
            grid_1d(ctx, &k, n)?,
        );
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn scatter_add(
    ctx: &Context,
    a: &WgpuStorage,
    l: &Layout,
    dim: usize,
    index: &WgpuStorage,
    il: &Layout,
    src: &WgpuStorage,
    sl: &Layout,
) -> Result<WgpuStorage> {
    index_dtype("scatter_add", index);
    assert_eq!(
        a.dtype, src.dtype,
        "scatter_add: base and source must share a dtype, got {} and {}",
        a.dtype, src.dtype
    );
    arithmetic(ctx, "scatter_add", a.dtype)?;
    let n = l.numel();
    if il.numel() == 0 {
        return copy_contiguous(ctx, a, l);
    }
    let out = WgpuStorage::alloc(ctx, a.dtype, n)?;
    if n > 0 {
        // Bool words are 0 or 1, so or-ing the words is logical or.
        let combine = if a.dtype == DType::Bool {
            "acc | v"
        } else {
            "e_add(acc, v)"
        };
        let subs = [
            ("ELEM", elem_rules(a.dtype).to_string()),
            ("COMBINE", combine.to_string()),
            ("T", wgsl_type(a.dtype).to_string()),
        ];
        let k = kernel(ctx, "scatter_add", &subs, 3, 256)?;
        let mut lay = layout_words(
            l.shape(),
            &[dim as u32, u32_of(il.shape()[dim]), 0],
            &[(l.offset(), l.strides())],
        );
        lay[4] = lay.len() as u32;
        lay.push(u32_of(il.offset()));
        lay.extend(il.strides().iter().map(|&s| u32_of(s)));
        lay.push(u32_of(sl.offset()));
        lay.extend(sl.strides().iter().map(|&s| u32_of(s)));
        lay.extend(il.shape().iter().map(|&s| u32_of(s)));
        launch(
            ctx,
            &k,
            &lay,
            &[a.buffer(), index.buffer(), src.buffer()],
            out.buffer(),
            grid_1d(ctx, &k, n)?,
        );
    }
    Ok(out)
}

pub(crate) fn index_select(
    ctx: &Context,
    a: &WgpuStorage,
    l: &Layout,
    dim: usize,
    index: &WgpuStorage,
    il: &Layout,
) -> Result<WgpuStorage> {
    index_dtype("index_select", index);
    let mut shape = l.shape().to_vec();
    shape[dim] = il.numel();
    let n: usize = shape.iter().product();
    let out = WgpuStorage::alloc(ctx, a.dtype, n)?;
    if n > 0 {
        let k = kernel(ctx, "index_select", &[("W", words(a.dtype).to_string())], 2, 256)?;
        let lay = layout_words(
            &shape,
            &[dim as u32, u32_of(il.offset()), u32_of(il.strides()[0])],
            &[(l.offset(), l.strides())],
        );
        launch(
            ctx,
            &k,
            &lay,
            &[a.buffer(), index.buffer()],
            out.buffer(),
            grid_1d(ctx, &k, n)?,
        );
    }
    Ok(out)
}
