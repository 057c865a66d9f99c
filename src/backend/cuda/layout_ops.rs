//! Data movement on the device: strided copies (contiguous copies, `cat`, `pad`'s interior,
//! in-place assignment), fills, and the contiguous view other kernels take their inputs through.

use super::launch::{grid_1d, launch_typed};
use super::strided::Strided;
use super::{same_device, CudaStorage};
use crate::layout::contiguous_strides;
use crate::{Layout, Result};

/// Copies the elements of `src` under `src_layout` to the elements of `dst` under
/// `dst_layout` (same shape and dtype), on the device's stream.
pub fn copy_strided(src: &CudaStorage, src_layout: &Layout, dst: &CudaStorage, dst_layout: &Layout) -> Result<()> {
    debug_assert_eq!(src_layout.shape(), dst_layout.shape());
    same_device("copy", src, dst);
    let n = src_layout.numel();
    if n == 0 {
        return Ok(());
    }
    let args = (
        dst.ptr(),
        Strided::of(dst_layout)?,
        src.ptr(),
        Strided::of(src_layout)?,
        n as i64,
    );
    launch_typed(src.ctx(), "copy", "copy", src.dtype, grid_1d(n), args)
}

/// A contiguous copy of the elements under `layout`.
pub fn copy_contiguous(src: &CudaStorage, layout: &Layout) -> Result<CudaStorage> {
    let out = CudaStorage::alloc(src.ctx(), src.dtype, layout.numel())?;
    copy_strided(src, layout, &out, &Layout::contiguous(layout.shape()))?;
    Ok(out)
}

/// Sets the first `n` elements of `out` to `value` (converted as the CPU converts an f64).
pub fn fill(out: &CudaStorage, n: usize, value: f64) -> Result<()> {
    if n == 0 {
        return Ok(());
    }
    launch_typed(
        out.ctx(),
        "copy",
        "fill",
        out.dtype,
        grid_1d(n),
        (out.ptr(), n as i64, value),
    )
}

/// Contiguous data for a kernel that wants it: the storage itself when the layout already is
/// contiguous (from its offset), else a packed copy.
pub enum Contiguous<'a> {
    Borrowed(&'a CudaStorage, usize),
    Owned(CudaStorage),
}

impl Contiguous<'_> {
    /// The storage holding the data and the offset of its first element.
    pub fn storage_and_offset(&self) -> (&CudaStorage, usize) {
        match self {
            Contiguous::Borrowed(s, offset) => (s, *offset),
            Contiguous::Owned(s) => (s, 0),
        }
    }

    /// Device address of the first element.
    // Used by the matmul / convolution kernels (helper B); kept here beside its enum.
    #[allow(dead_code)]
    pub fn ptr(&self) -> u64 {
        match self {
            Contiguous::Borrowed(s, offset) => s.ptr_at(*offset),
            Contiguous::Owned(s) => s.ptr(),
        }
    }
}

/// `src` under `layout` as contiguous row-major data (a copy only when needed).
pub fn contiguous<'a>(src: &'a CudaStorage, layout: &Layout) -> Result<Contiguous<'a>> {
    Ok(match layout.contiguous_range() {
        Some(r) => Contiguous::Borrowed(src, r.start),
        None => Contiguous::Owned(copy_contiguous(src, layout)?),
    })
}

/// Concatenation along `dim`: each part is copied into its slab of the output.
pub fn cat(parts: &[(&CudaStorage, &Layout)], dim: usize) -> Result<CudaStorage> {
    let (first, first_layout) = parts[0];
    for (p, _) in parts {
        assert!(
            p.dtype == first.dtype,
            "cat: all tensors must share a dtype, got {} and {}",
            first.dtype,
            p.dtype
        );
    }
    let mut shape = first_layout.shape().to_vec();
    shape[dim] = parts.iter().map(|(_, l)| l.shape()[dim]).sum();
    let strides = contiguous_strides(&shape);
    let out = CudaStorage::alloc(first.ctx(), first.dtype, shape.iter().product())?;
    let mut start = 0;
    for (part, layout) in parts {
        let slab = Layout::new(layout.shape().to_vec(), strides.clone(), start * strides[dim]);
        copy_strided(part, layout, &out, &slab)?;
        start += layout.shape()[dim];
    }
    Ok(out)
}

/// Constant padding: fill with `value`, then copy the input into the interior.
pub fn pad(src: &CudaStorage, layout: &Layout, pads: &[(usize, usize)], value: f64) -> Result<CudaStorage> {
    let shape: Vec<usize> = layout.shape().iter().zip(pads).map(|(&s, &(b, a))| s + b + a).collect();
    let strides = contiguous_strides(&shape);
    let n: usize = shape.iter().product();
    let out = CudaStorage::alloc(src.ctx(), src.dtype, n)?;
    fill(&out, n, value)?;
    let interior = strides.iter().zip(pads).map(|(s, (b, _))| s * b).sum();
    copy_strided(
        src,
        layout,
        &out,
        &Layout::new(layout.shape().to_vec(), strides, interior),
    )?;
    Ok(out)
}
