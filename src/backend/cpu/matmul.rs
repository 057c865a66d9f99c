//! Batched matrix products through the `gemm` crate, which reads arbitrary strides (so transposed
//! and broadcast operands need no copy).

use super::element::FloatElement;
use super::strided::SendPtr;
use crate::Layout;
use gemm::Parallelism;
use rayon::prelude::*;

/// Below this many multiply-adds a single product stays on one thread.
const PARALLEL_GEMM_WORK: usize = 1 << 18;

/// `dst[m×n] = lhs[m×k] · rhs[k×n]` (or `+=` with `accumulate`), strides in elements
/// given as (row stride, column stride).
///
/// # Safety
/// Every pointer must be valid for the strides and sizes given, and `dst` must not alias the
/// inputs.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn gemm_strided<T: FloatElement>(
    (m, n, k): (usize, usize, usize),
    dst: *mut T,
    dst_strides: (usize, usize),
    accumulate: bool,
    lhs: *const T,
    lhs_strides: (usize, usize),
    rhs: *const T,
    rhs_strides: (usize, usize),
    parallelism: Parallelism,
) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                for j in 0..n {
                    *dst.add(i * dst_strides.0 + j * dst_strides.1) = T::zero();
                }
            }
        }
        return;
    }
    // gemm computes dst = alpha·dst + beta·lhs·rhs (alpha is ignored when read_dst is false).
    gemm::gemm(
        m,
        n,
        k,
        dst,
        dst_strides.1 as isize,
        dst_strides.0 as isize,
        accumulate,
        lhs,
        lhs_strides.1 as isize,
        lhs_strides.0 as isize,
        rhs,
        rhs_strides.1 as isize,
        rhs_strides.0 as isize,
        T::one(),
        T::one(),
        false,
        false,
        false,
        parallelism,
    );
}

/// The parallelism for one product of `work` multiply-adds run on its own.
pub(crate) fn solo_parallelism(work: usize) -> Parallelism {
    if work >= PARALLEL_GEMM_WORK && rayon::current_num_threads() > 1 {
        Parallelism::Rayon(0)
    } else {
        Parallelism::None
    }
}

/// `[B, M, K] · [B, K, N] → [B, M, N]`, any strides.
pub fn matmul<T: FloatElement>(a: &[T], al: &Layout, b: &[T], bl: &Layout) -> Vec<T> {
    let (batch, m, k) = (al.shape()[0], al.shape()[1], al.shape()[2]);
    let n = bl.shape()[2];
    let mut out = super::buffers::uninit::<T>(batch * m * n);
    let (sa, sb) = (al.strides(), bl.strides());
    let work = m * n * k;
    let product = |i: usize, dst: *mut T, par: Parallelism| unsafe {
        gemm_strided(
            (m, n, k),
            dst,
            (n, 1),
            false,
            a.as_ptr().add(al.offset() + i * sa[0]),
            (sa[1], sa[2]),
            b.as_ptr().add(bl.offset() + i * sb[0]),
            (sb[1], sb[2]),
            par,
        )
    };
    let threads = rayon::current_num_threads();
    if batch > 1 && (batch >= 2 * threads || work < PARALLEL_GEMM_WORK) && batch * work >= PARALLEL_GEMM_WORK {
        // Many products: one per task, each single-threaded.
        let dst = SendPtr(out.as_mut_ptr().cast::<T>());
        (0..batch).into_par_iter().for_each(move |i| {
            let base = dst;
            product(i, unsafe { base.0.add(i * m * n) }, Parallelism::None)
        });
    } else {
        for i in 0..batch {
            product(
                i,
                unsafe { out.as_mut_ptr().cast::<T>().add(i * m * n) },
                solo_parallelism(work),
            );
        }
    }
    // SAFETY: every product is written, by gemm without accumulation (which does not read the
    // destination) or as the zeros of k = 0.
    unsafe { super::buffers::assume_init(out) }
}
