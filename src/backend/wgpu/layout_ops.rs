//! Data movement, for any dtype (elements move as 32-bit words): contiguous copy, cat, pad.

use super::context::Context;
use super::pipelines::{elementwise_words, grid_1d, kernel, launch, layout_words};
use super::{words, WgpuStorage};
use crate::layout::contiguous_strides;
use crate::{DType, Layout, Result};

/// Copies the elements of `src` under `src_layout` to `dst` under `dst_layout` (same shape).
pub(crate) fn copy_strided(
    ctx: &Context,
    src: &WgpuStorage,
    src_layout: &Layout,
    dst: &WgpuStorage,
    dst_layout: &Layout,
) -> Result<()> {
    let n = src_layout.numel();
    if n == 0 {
        return Ok(());
    }
    let k = kernel(ctx, "copy", &[("W", words(src.dtype).to_string())], 1, 256)?;
    let lay = elementwise_words(
        src_layout.shape(),
        &[
            (src_layout.offset(), src_layout.strides()),
            (dst_layout.offset(), dst_layout.strides()),
        ],
    );
    launch(ctx, &k, &lay, &[src.buffer()], dst.buffer(), grid_1d(ctx, &k, n)?);
    Ok(())
}

/// A contiguous copy of the elements under `layout`.
pub(crate) fn copy_contiguous(ctx: &Context, src: &WgpuStorage, layout: &Layout) -> Result<WgpuStorage> {
    let out = WgpuStorage::alloc(ctx, src.dtype, layout.numel())?;
    copy_strided(ctx, src, layout, &out, &Layout::contiguous(layout.shape()))?;
    Ok(out)
}

/// The bit pattern of `value` as `dtype`, in words (as the CPU converts: truncation for int64,
/// non-zero for bool).
fn value_words(value: f64, dtype: DType) -> Vec<u32> {
    match dtype {
        DType::F32 => vec![(value as f32).to_bits()],
        DType::F64 => bytemuck::cast::<f64, [u32; 2]>(value).to_vec(),
        DType::I64 => bytemuck::cast::<i64, [u32; 2]>(value as i64).to_vec(),
        DType::Bool => vec![u32::from(value != 0.0)],
    }
}

/// `n` contiguous elements of `dtype`, all `value`.
pub(crate) fn full(ctx: &Context, dtype: DType, n: usize, value: f64) -> Result<WgpuStorage> {
    let out = WgpuStorage::alloc(ctx, dtype, n)?;
    if n > 0 {
        let k = kernel(ctx, "fill", &[("W", words(dtype).to_string())], 1, 256)?;
        let lay = layout_words(&[n], &value_words(value, dtype), &[]);
        // `fill` binds an input it does not read; the output itself would be a usage conflict.
        let dummy = WgpuStorage::alloc(ctx, DType::F32, 1)?;
        launch(ctx, &k, &lay, &[dummy.buffer()], out.buffer(), grid_1d(ctx, &k, n)?);
    }
    Ok(out)
}

pub(crate) fn cat(ctx: &Context, parts: &[(&WgpuStorage, &Layout)], dim: usize) -> Result<WgpuStorage> {
    let dtype = parts[0].0.dtype;
    let mut shape = parts[0].1.shape().to_vec();
    shape[dim] = parts.iter().map(|(_, l)| l.shape()[dim]).sum();
    let out = WgpuStorage::alloc(ctx, dtype, shape.iter().product())?;
    let whole = Layout::contiguous(&shape);
    let mut start = 0;
    for (s, l) in parts {
        assert_eq!(s.dtype, dtype, "cat: parts of dtypes {dtype} and {}", s.dtype);
        let len = l.shape()[dim];
        copy_strided(ctx, s, l, &out, &whole.narrow(dim, start, len))?;
        start += len;
    }
    Ok(out)
}

pub(crate) fn pad(
    ctx: &Context,
    src: &WgpuStorage,
    layout: &Layout,
    pads: &[(usize, usize)],
    value: f64,
) -> Result<WgpuStorage> {
    let shape: Vec<usize> = layout.shape().iter().zip(pads).map(|(&s, &(b, a))| s + b + a).collect();
    let out = full(ctx, src.dtype, shape.iter().product(), value)?;
    let strides = contiguous_strides(&shape);
    let offset = pads.iter().zip(&strides).map(|(&(b, _), &st)| b * st).sum();
    let interior = Layout::new(layout.shape().to_vec(), strides, offset);
    copy_strided(ctx, src, layout, &out, &interior)?;
    Ok(out)
}
