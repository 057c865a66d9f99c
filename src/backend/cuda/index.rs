//! gather, index_select and scatter-add. Out-of-range indices are recorded on the device and
//! reported at the next read-back (see `fault.rs`); scatter-add is computed per output element
//! in the CPU's order, so it is deterministic and bit-identical to the CPU without atomics.

use super::launch::{grid_1d, launch_typed};
use super::strided::Strided;
use super::{same_device, CudaStorage};
use crate::{DType, Layout, Result};

fn expect_index(op: &str, index: &CudaStorage) {
    assert_eq!(
        index.dtype,
        DType::I64,
        "{op}: expected an int64 index tensor, got {}",
        index.dtype
    );
}

/// `layout`'s strides over `shape` with dimension `dim`'s stride zeroed (the index supplies
/// that coordinate).
fn without_dim(layout: &Layout, shape: &[usize], dim: usize) -> Result<Strided> {
    let mut strides = layout.strides().to_vec();
    strides[dim] = 0;
    Strided::merged(shape, &strides, layout.offset())
}

pub fn gather(src: &CudaStorage, layout: &Layout, dim: usize, index: &CudaStorage, il: &Layout) -> Result<CudaStorage> {
    expect_index("gather", index);
    same_device("gather", src, index);
    let ctx = src.ctx();
    let n = il.numel();
    let out = CudaStorage::alloc(ctx, src.dtype, n)?;
    if n > 0 {
        let args = (
            out.ptr(),
            src.ptr(),
            without_dim(layout, il.shape(), dim)?,
            layout.shape()[dim] as i64,
            layout.strides()[dim] as i64,
            index.ptr(),
            Strided::of(il)?,
            n as i64,
            dim as i32,
            ctx.fault_ptr,
        );
        launch_typed(ctx, "index", "gather", src.dtype, grid_1d(n), args)?;
    }
    Ok(out)
}

pub fn index_select(
    src: &CudaStorage,
    layout: &Layout,
    dim: usize,
    index: &CudaStorage,
    il: &Layout,
) -> Result<CudaStorage> {
    expect_index("index_select", index);
    same_device("index_select", src, index);
    let ctx = src.ctx();
    let count = il.numel();
    let mut shape = layout.shape().to_vec();
    shape[dim] = count;
    let n: usize = shape.iter().product();
    let out = CudaStorage::alloc(ctx, src.dtype, n)?;
    if n > 0 {
        let inner: usize = shape[dim + 1..].iter().product();
        let args = (
            out.ptr(),
            src.ptr(),
            without_dim(layout, &shape, dim)?,
            layout.shape()[dim] as i64,
            layout.strides()[dim] as i64,
            index.ptr(),
            il.offset() as i64,
            il.strides().first().copied().unwrap_or(0) as i64,
            inner as i64,
            count as i64,
            n as i64,
            dim as i32,
            ctx.fault_ptr,
        );
        launch_typed(ctx, "index", "index_select", src.dtype, grid_1d(n), args)?;
    }
    Ok(out)
}

pub fn scatter_add(
    base: &CudaStorage,
    layout: &Layout,
    dim: usize,
    index: &CudaStorage,
    il: &Layout,
    src: &CudaStorage,
    sl: &Layout,
) -> Result<CudaStorage> {
    expect_index("scatter_add", index);
    assert!(
        base.dtype == src.dtype && base.dtype != DType::Bool,
        "scatter_add: base and source must share a number dtype, got {} and {}",
        base.dtype,
        src.dtype
    );
    same_device("scatter_add", base, index);
    same_device("scatter_add", base, src);
    let ctx = base.ctx();
    let n = layout.numel();
    let out = CudaStorage::alloc(ctx, base.dtype, n)?;
    if n > 0 {
        let args = (
            out.ptr(),
            base.ptr(),
            Strided::unmerged(layout)?,
            index.ptr(),
            Strided::unmerged(il)?,
            src.ptr(),
            Strided::unmerged(sl)?,
            dim as i32,
            il.shape()[dim] as i64,
            il.strides()[dim] as i64,
            sl.strides()[dim] as i64,
            layout.shape()[dim] as i64,
            n as i64,
            ctx.fault_ptr,
        );
        launch_typed(ctx, "index", "scatter_add", base.dtype, grid_1d(n), args)?;
    }
    Ok(out)
}
