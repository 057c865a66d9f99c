//! 2-D max-pool with PyTorch's indices (position inside each `H·W` plane) and its adjoint.

use super::buffers;
use super::element::FloatElement;
use super::strided::contiguous_cow;
use crate::backend::Pool2dParams;
use crate::Layout;
use rayon::prelude::*;
use std::mem::MaybeUninit;

pub fn max_pool2d<T: FloatElement>(x: &[T], xl: &Layout, p: &Pool2dParams) -> (Vec<T>, Vec<i64>) {
    let s = xl.shape();
    let (planes, h, w) = (s[0] * s[1], s[2], s[3]);
    let [oh, ow] = p
        .output_size([h, w])
        .expect("max_pool2d: geometry checked by the front end");
    let x = contiguous_cow(x, xl);
    let mut vals = buffers::uninit(planes * oh * ow);
    let mut idx = buffers::uninit(planes * oh * ow);
    if vals.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let plain_2x2 = p.kernel == [2, 2] && p.stride == [2, 2] && p.padding == [0, 0] && p.dilation == [1, 1];
    let plane_out = oh * ow;
    // Whole groups of planes a task, each with one scratch, rather than a rayon item a plane:
    // a 7×7 plane is only 9 windows (batch-128 7×7 pool 0.47 against 0.49–0.50 ms a plane an
    // item, benches/RESULTS.md, 2026-12-03 night).
    let planes_per_task = (OUTPUTS_PER_TASK / plane_out).max(1);
    vals.par_chunks_mut(planes_per_task * plane_out)
        .zip(idx.par_chunks_mut(planes_per_task * plane_out))
        .enumerate()
        .for_each(|(task, (v, ix))| {
            let mut scratch = Scratch::default();
            let first = task * planes_per_task;
            let outputs = v.chunks_exact_mut(plane_out).zip(ix.chunks_exact_mut(plane_out));
            for (i, (v, ix)) in outputs.enumerate() {
                let src = &x[(first + i) * h * w..(first + i + 1) * h * w];
                if plain_2x2 {
                    pool_2x2(src, w, oh, ow, v, ix, &mut scratch);
                } else {
                    pool_any([h, w], [oh, ow], p, src, v, ix);
                }
            }
        });
    // SAFETY: every plane's `OH·OW` values and indices are written, by `pool_2x2` (every row,
    // every pair) or by `pool_any` (every window).
    unsafe { (buffers::assume_init(vals), buffers::assume_init(idx)) }
}

/// Outputs (windows) a parallel task aims for.
const OUTPUTS_PER_TASK: usize = 4096;

/// Any window geometry, one window at a time.
fn pool_any<T: FloatElement>(
    [h, w]: [usize; 2],
    [oh, ow]: [usize; 2],
    p: &Pool2dParams,
    src: &[T],
    v: &mut [MaybeUninit<T>],
    ix: &mut [MaybeUninit<i64>],
) {
    for oy in 0..oh {
        for ox in 0..ow {
            let mut best = T::neg_infinity();
            let mut best_i: i64 = -1;
            for ki in 0..p.kernel[0] {
                let iy = (oy * p.stride[0] + ki * p.dilation[0]) as isize - p.padding[0] as isize;
                if iy < 0 || iy >= h as isize {
                    continue;
                }
                for kj in 0..p.kernel[1] {
                    let jx = (ox * p.stride[1] + kj * p.dilation[1]) as isize - p.padding[1] as isize;
                    if jx < 0 || jx >= w as isize {
                        continue;
                    }
                    let at = iy as usize * w + jx as usize;
                    let val = src[at];
                    // PyTorch's rule: first maximum wins, NaN beats everything.
                    if best_i < 0 || val > best || val.is_nan() {
                        best = val;
                        best_i = at as i64;
                    }
                }
            }
            v[oy * ow + ox].write(best);
            ix[oy * ow + ox].write(best_i);
        }
    }
}

/// The winners of the vertical pairs of one row pair: values and their plane indices.
struct Scratch<T> {
    best: Vec<T>,
    index: Vec<usize>,
}

impl<T> Default for Scratch<T> {
    fn default() -> Self {
        Scratch {
            best: Vec::new(),
            index: Vec::new(),
        }
    }
}

/// The common 2×2, stride 2 window (every CNN here), in two branch-free passes over whole rows
/// so that the compiler can vectorise them: first the larger of each vertical pair (top row,
/// bottom row), then of each horizontal pair of those. Same result as `pool_any` (and
/// PyTorch), which scans the window in memory order taking a later value when it is greater or
/// NaN: the maximum, the first one on ties, the last NaN if there is one. Which of the four wins
/// is unpredictable on real data, so any branch here is mispredicted half the time.
///
/// Kept out of line: inlined into the parallel loop's closure it compiled to code twice as slow
/// on 14×14 planes and three times on 7×7 (benches/RESULTS.md, 2026-12-03 night).
#[inline(never)]
fn pool_2x2<T: FloatElement>(
    src: &[T],
    w: usize,
    oh: usize,
    ow: usize,
    v: &mut [MaybeUninit<T>],
    ix: &mut [MaybeUninit<i64>],
    scratch: &mut Scratch<T>,
) {
    scratch.best.resize(2 * ow, T::zero());
    scratch.index.resize(2 * ow, 0);
    let (col_best, col_index) = (&mut scratch.best, &mut scratch.index);
    let rows = v.chunks_exact_mut(ow).zip(ix.chunks_exact_mut(ow)).take(oh);
    for (oy, (v_row, ix_row)) in rows.enumerate() {
        let top_start = 2 * oy * w;
        let top = &src[top_start..top_start + 2 * ow];
        let bottom = &src[top_start + w..top_start + w + 2 * ow];
        // Vertical pairs: the bottom value comes later in memory order.
        for (j, ((&t, &b), (best, index))) in top
            .iter()
            .zip(bottom)
            .zip(col_best.iter_mut().zip(col_index.iter_mut()))
            .enumerate()
        {
            let take = (b > t) | b.is_nan();
            *best = if take { b } else { t };
            *index = top_start + j + if take { w } else { 0 };
        }
        // Horizontal pairs: either may come first in memory order, so ties and NaNs compare
        // indices.
        let pairs = col_best.chunks_exact(2).zip(col_index.chunks_exact(2));
        for ((vals, idxs), (out_v, out_i)) in pairs.zip(v_row.iter_mut().zip(ix_row.iter_mut())) {
            let (a, b, ia, ib) = (vals[0], vals[1], idxs[0], idxs[1]);
            let (a_nan, b_nan) = (a.is_nan(), b.is_nan());
            let b_later = ib > ia;
            let take = (b_nan & (!a_nan | b_later)) | (!a_nan & !b_nan & ((b > a) | ((b == a) & !b_later)));
            out_v.write(if take { b } else { a });
            out_i.write((if take { ib } else { ia }) as i64);
        }
    }
}

/// The adjoint of max-pool: each window's gradient goes to the input cell its index names.
pub fn max_pool2d_backward<T: FloatElement>(
    g: &[T],
    gl: &Layout,
    idx: &[i64],
    il: &Layout,
    input_shape: &[usize],
) -> Vec<T> {
    let plane_in = input_shape[2] * input_shape[3];
    let plane_out = gl.shape()[2] * gl.shape()[3];
    let (g, idx) = (contiguous_cow(g, gl), contiguous_cow(idx, il));
    let numel = input_shape.iter().product();
    if numel == 0 || plane_out == 0 {
        return buffers::zeroed(numel);
    }
    let mut out = buffers::uninit(numel);
    out.par_chunks_mut(plane_in).enumerate().for_each(|(plane, dst)| {
        let (gs, is) = (
            &g[plane * plane_out..(plane + 1) * plane_out],
            &idx[plane * plane_out..(plane + 1) * plane_out],
        );
        // Cleared plane by plane, in the parallel loop, just before its scatter reads it from
        // L1: clearing the whole buffer first was a single-threaded pass through memory.
        let dst = buffers::clear(dst);
        for (&v, &i) in gs.iter().zip(is) {
            assert!(
                i >= 0 && (i as usize) < plane_in,
                "max_pool2d_backward: index {i} outside a plane of {plane_in}"
            );
            dst[i as usize] += v;
        }
    });
    // SAFETY: the planes cover the buffer and each is cleared before its scatter.
    unsafe { buffers::assume_init(out) }
}
