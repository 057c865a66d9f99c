//! Reductions over any set of dimensions and arg-reductions along one, deterministic: the work
//! split depends only on the shapes, and partial results combine in a fixed tree (no atomics).

use super::launch::{blocks, grid_1d, grid_warps, launch_typed};
use super::layout_ops::fill;
use super::strided::Strided;
use super::CudaStorage;
use crate::backend::{ArgReduceOp, ReduceOp};
use crate::{DType, Layout, Result};

/// `LL_SUM`... in kernels/reduce.cu.
fn reduce_code(op: ReduceOp) -> i32 {
    match op {
        ReduceOp::Sum => 0,
        ReduceOp::Max => 1,
        ReduceOp::Min => 2,
    }
}

/// `LL_ARGMAX`, `LL_ARGMIN` in kernels/arg_reduce.cu.
fn arg_reduce_code(op: ArgReduceOp) -> i32 {
    match op {
        ArgReduceOp::ArgMax => 0,
        ArgReduceOp::ArgMin => 1,
    }
}

/// Reductions shorter than this take one thread per output, up to [`WARP_MAX`] one warp.
const THREAD_MAX: usize = 32;
const WARP_MAX: usize = 4096;
/// A block-per-output reduction is split in chunks of at least this many elements when there
/// are too few outputs to fill the GPU, until about [`TARGET_TASKS`] blocks run.
const MIN_CHUNK: usize = 2048;
const TARGET_TASKS: usize = 512;

/// `dims` (reduced) and the other dimensions of `layout` as two descriptors: kept (with the
/// layout's offset) and reduced (offset 0).
fn split(layout: &Layout, dims: &[usize]) -> Result<(Strided, usize, Strided, usize)> {
    let (shape, strides) = (layout.shape(), layout.strides());
    let part = |keep: bool| -> (Vec<usize>, Vec<usize>) {
        (0..layout.rank())
            .filter(|d| dims.contains(d) != keep)
            .map(|d| (shape[d], strides[d]))
            .unzip()
    };
    let (kept_shape, kept_strides) = part(true);
    let (red_shape, red_strides) = part(false);
    Ok((
        Strided::merged(&kept_shape, &kept_strides, layout.offset())?,
        kept_shape.iter().product(),
        Strided::merged(&red_shape, &red_strides, 0)?,
        red_shape.iter().product(),
    ))
}

/// How a block reduction of `n_inner` (>= WARP_MAX) elements per output splits into chunks:
/// (chunks, chunk_len), every chunk non-empty, together covering all elements.
fn chunking(n_out: usize, n_inner: usize) -> (usize, usize) {
    let wanted = TARGET_TASKS.div_ceil(n_out).clamp(1, n_inner.div_ceil(MIN_CHUNK));
    let chunk_len = n_inner.div_ceil(wanted);
    (n_inner.div_ceil(chunk_len), chunk_len)
}

/// Launches the reduction of `n_inner` elements for each of `n_out` outputs into `out`.
fn launch_reduce(
    out: &CudaStorage,
    x: &CudaStorage,
    outer: Strided,
    n_out: usize,
    inner: Strided,
    n_inner: usize,
    code: i32,
) -> Result<()> {
    let (ctx, dtype) = (x.ctx(), x.dtype);
    let base = (out.ptr(), x.ptr(), outer, inner, n_out as i64, n_inner as i64);
    if n_inner < THREAD_MAX {
        let args = (base.0, base.1, base.2, base.3, base.4, base.5, code);
        return launch_typed(ctx, "reduce", "reduce_thread", dtype, grid_1d(n_out), args);
    }
    if n_inner < WARP_MAX {
        let args = (base.0, base.1, base.2, base.3, base.4, base.5, code);
        return launch_typed(ctx, "reduce", "reduce_warp", dtype, grid_warps(n_out), args);
    }
    // One block per (output, chunk). With a single chunk the block writes the output; with
    // more, the chunks' partials [n_out, chunks] are reduced by a second launch.
    let (chunks, chunk_len) = chunking(n_out, n_inner);
    let block_args = |dst: u64| {
        (
            dst,
            base.1,
            base.2,
            base.3,
            base.4,
            base.5,
            chunks as i64,
            chunk_len as i64,
            code,
        )
    };
    if chunks == 1 {
        return launch_typed(
            ctx,
            "reduce",
            "reduce_block",
            dtype,
            blocks(n_out),
            block_args(out.ptr()),
        );
    }
    let partial = CudaStorage::alloc(ctx, dtype, n_out * chunks)?;
    launch_typed(
        ctx,
        "reduce",
        "reduce_block",
        dtype,
        blocks(n_out * chunks),
        block_args(partial.ptr()),
    )?;
    let rows = Strided::merged(&[n_out], &[chunks], 0)?;
    let cols = Strided::contiguous(chunks, 0);
    launch_reduce(out, &partial, rows, n_out, cols, chunks, code)
}

pub fn reduce(x: &CudaStorage, layout: &Layout, op: ReduceOp, dims: &[usize]) -> Result<CudaStorage> {
    assert!(
        x.dtype != DType::Bool,
        "{op:?}: cannot reduce a bool tensor; convert it to a number type first"
    );
    let (outer, n_out, inner, n_inner) = split(layout, dims)?;
    let out = CudaStorage::alloc(x.ctx(), x.dtype, n_out)?;
    if n_out == 0 {
        return Ok(out);
    }
    if n_inner == 0 {
        assert!(
            op == ReduceOp::Sum,
            "{op:?}: cannot reduce an empty dimension (shape {:?})",
            layout.shape()
        );
        fill(&out, n_out, 0.0)?;
        return Ok(out);
    }
    launch_reduce(&out, x, outer, n_out, inner, n_inner, reduce_code(op))?;
    Ok(out)
}

pub fn arg_reduce(x: &CudaStorage, layout: &Layout, op: ArgReduceOp, dim: usize) -> Result<CudaStorage> {
    let (outer, n_out, _, len) = split(layout, &[dim])?;
    assert!(
        len > 0 || n_out == 0,
        "{op:?}: cannot reduce an empty dimension (shape {:?})",
        layout.shape()
    );
    let out = CudaStorage::alloc(x.ctx(), DType::I64, n_out)?;
    if n_out == 0 {
        return Ok(out);
    }
    let args = (
        out.ptr(),
        x.ptr(),
        outer,
        len as i64,
        layout.strides()[dim] as i64,
        n_out as i64,
        arg_reduce_code(op),
    );
    launch_typed(x.ctx(), "arg_reduce", "arg_reduce", x.dtype, grid_warps(n_out), args)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kept and reduced descriptors address exactly the elements the CPU reduces: output o
    /// (row-major over the kept dims) and reduced element r (row-major over `dims`).
    #[test]
    fn split_descriptors_address_every_element_once() {
        let base = Layout::contiguous(&[3, 4, 5, 2]);
        for layout in [base.clone(), base.permute(&[2, 0, 3, 1]), base.narrow(2, 1, 3)] {
            for dims in [vec![0], vec![1, 3], vec![0, 1, 2, 3], vec![2]] {
                let (outer, n_out, inner, n_inner) = split(&layout, &dims).unwrap();
                let plain = crate::backend::cuda::Strided::unmerged(&layout).unwrap();
                let shape = layout.shape();
                let kept: Vec<usize> = (0..shape.len()).filter(|d| !dims.contains(d)).collect();
                let mut seen = std::collections::HashSet::new();
                for o in 0..n_out {
                    for r in 0..n_inner {
                        // The coordinates: o over the kept dims, r over `dims`, both row-major.
                        let mut coord = vec![0; shape.len()];
                        let (mut a, mut b) = (o, r);
                        for &d in kept.iter().rev() {
                            coord[d] = a % shape[d];
                            a /= shape[d];
                        }
                        for &d in dims.iter().rev() {
                            coord[d] = b % shape[d];
                            b /= shape[d];
                        }
                        let flat = coord.iter().zip(shape).fold(0, |acc, (&c, &s)| acc * s + c);
                        let want = plain.offset_of(flat);
                        assert_eq!(
                            outer.offset_of(o) + inner.offset_of(r),
                            want,
                            "{layout:?} dims {dims:?}"
                        );
                        assert!(seen.insert(want));
                    }
                }
            }
        }
    }

    #[test]
    fn chunks_cover_the_reduction_without_empty_ones() {
        for n_out in [1, 2, 7, 511, 512, 100_000] {
            for n_inner in [WARP_MAX, WARP_MAX + 1, 65_537, 1 << 20, 123_456_789] {
                let (chunks, len) = chunking(n_out, n_inner);
                assert!(
                    chunks * len >= n_inner && (chunks - 1) * len < n_inner,
                    "{n_out} {n_inner}"
                );
                assert!(chunks < WARP_MAX, "the second pass is a warp pass");
                assert!(
                    chunks == 1 || len >= MIN_CHUNK / 2,
                    "{n_out} {n_inner}: {chunks} x {len}"
                );
            }
        }
    }
}
