//! Reductions over any set of dimensions, and arg-reductions along one.
//!
//! The reduced dimensions are permuted to the back and the data made contiguous, so each output
//! element reduces one contiguous run; output elements are computed in parallel, each in a fixed
//! order, so results do not depend on the thread count.

use super::element::Element;
use super::strided::{contiguous_cow, PAR_THRESHOLD};
use crate::backend::{ArgReduceOp, ReduceOp};
use crate::Layout;
use rayon::prelude::*;

/// The layout with kept dims first and `dims` last, and the sizes (outer, inner) of that split.
fn split_layout(layout: &Layout, dims: &[usize]) -> (Layout, usize, usize) {
    let kept: Vec<usize> = (0..layout.rank()).filter(|d| !dims.contains(d)).collect();
    let perm: Vec<usize> = kept.iter().chain(dims.iter()).copied().collect();
    let inner: usize = dims.iter().map(|&d| layout.shape()[d]).product();
    let outer: usize = kept.iter().map(|&d| layout.shape()[d]).product();
    (layout.permute(&perm), outer, inner)
}

/// Sum of a run with eight independent accumulators: vectorises and keeps rounding error low.
pub(super) fn sum_run<T: Element>(x: &[T]) -> T {
    let mut acc = [T::ZERO; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for i in 0..8 {
            acc[i] = acc[i].plus(c[i]);
        }
    }
    let mut tail = T::ZERO;
    for &v in chunks.remainder() {
        tail = tail.plus(v);
    }
    let a = acc[0].plus(acc[4]).plus(acc[1].plus(acc[5]));
    let b = acc[2].plus(acc[6]).plus(acc[3].plus(acc[7]));
    a.plus(b).plus(tail)
}

/// Max (or min, with `better = <`) of a run; NaN wins, as in PyTorch.
fn extreme_run<T: Element>(x: &[T], better: impl Fn(T, T) -> bool) -> T {
    let mut best = x[0];
    for &v in &x[1..] {
        if best.is_nan_value() {
            break;
        }
        if v.is_nan_value() || better(v, best) {
            best = v;
        }
    }
    best
}

/// A sum over `dims` that adds whole rows: `dims` are one run of adjacent dimensions followed
/// by kept dimensions, and those trailing dimensions are contiguous (row-major) in memory. The
/// leading kept dimensions may have any strides, e.g. zero for a tensor expanded along them.
struct RowSum {
    /// Offset of the `[R, K]` block of each leading index, in row-major order.
    bases: Vec<usize>,
    run: usize,
    inner: usize,
}

fn row_sum_plan(layout: &Layout, dims: &[usize]) -> Option<RowSum> {
    let mut sorted = dims.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let (&first, &last) = (sorted.first()?, sorted.last()?);
    let (shape, strides) = (layout.shape(), layout.strides());
    let adjacent = last - first + 1 == sorted.len();
    if !adjacent || last + 1 >= shape.len() {
        return None;
    }
    let mut expected = 1;
    for d in (first..shape.len()).rev() {
        if shape[d] != 1 && strides[d] != expected {
            return None;
        }
        expected *= shape[d];
    }
    let size = |r: std::ops::Range<usize>| shape[r].iter().product::<usize>();
    let leading: Vec<usize> = (0..first).collect();
    Some(RowSum {
        bases: offsets(layout.offset(), shape, strides, &leading),
        run: size(first..last + 1),
        inner: size(last + 1..shape.len()),
    })
}

/// `out[o, k] = Σ_r x[o, r, k]`, r in order for every output element (deterministic whatever
/// the thread count), rows of K added as vectors. Batch sums of gradients take this path.
fn sum_rows<T: Element>(x: &[T], plan: &RowSum) -> Vec<T> {
    let (outer, run, inner) = (plan.bases.len(), plan.run, plan.inner);
    let mut out = super::buffers::zeroed(outer * inner);
    // Chunks of columns large enough to amortise a task, small enough to stay in L1.
    let cols = inner.min(1024);
    let task = |(index, dst): (usize, &mut [T])| {
        let per_outer = inner.div_ceil(cols);
        let (o, c0) = (index / per_outer, (index % per_outer) * cols);
        let base = plan.bases[o] + c0;
        for r in 0..run {
            let row = &x[base + r * inner..base + r * inner + dst.len()];
            for (d, &v) in dst.iter_mut().zip(row) {
                *d = d.plus(v);
            }
        }
    };
    let chunks = out.chunks_mut(inner).flat_map(|row| row.chunks_mut(cols)).enumerate();
    if outer * run * inner < PAR_THRESHOLD {
        chunks.for_each(task);
    } else {
        chunks.collect::<Vec<_>>().into_par_iter().for_each(task);
    }
    out
}

/// Whether `dims` are the last dimensions (a contiguous input then reduces in one pass).
fn is_trailing(dims: &[usize], rank: usize) -> bool {
    dims.iter().all(|&d| d >= rank - dims.len())
}

/// A reduction that reads runs in place: every output element reduces `runs.len()` contiguous
/// runs of `run` elements, at `bases[o] + runs[j]`. This is the shape of a reduction over
/// trailing dimensions plus some others, e.g. batch-norm statistics over (N, H, W) of
/// `[N, C, H, W]`: without it the whole tensor was first copied into `[C, N, H, W]` order.
struct RunPlan {
    bases: Vec<usize>,
    runs: Vec<usize>,
    run: usize,
}

/// Offsets of every multi-index over `dims` (row-major order), from `start`.
fn offsets(start: usize, shape: &[usize], strides: &[usize], dims: &[usize]) -> Vec<usize> {
    let mut out = vec![start];
    for &d in dims {
        out = out
            .iter()
            .flat_map(|&b| (0..shape[d]).map(move |i| b + i * strides[d]))
            .collect();
    }
    out
}

/// Runs shorter than this are cheaper to gather with one contiguous copy first.
const MIN_RUN: usize = 16;

fn run_plan(layout: &Layout, dims: &[usize]) -> Option<RunPlan> {
    let (shape, strides) = (layout.shape(), layout.strides());
    let mut sorted = dims.to_vec();
    sorted.sort_unstable();
    // The longest trailing block of reduced dimensions that is contiguous in memory.
    let (mut run, mut expected, mut first_run_dim) = (1, 1, shape.len());
    for &d in sorted.iter().rev() {
        if d + 1 != first_run_dim || (shape[d] != 1 && strides[d] != expected) {
            break;
        }
        run *= shape[d];
        expected *= shape[d];
        first_run_dim = d;
    }
    if run < MIN_RUN || first_run_dim == shape.len() {
        return None;
    }
    let outer_reduced: Vec<usize> = sorted.iter().copied().filter(|&d| d < first_run_dim).collect();
    let kept: Vec<usize> = (0..first_run_dim).filter(|d| !sorted.contains(d)).collect();
    Some(RunPlan {
        bases: offsets(layout.offset(), shape, strides, &kept),
        runs: offsets(0, shape, strides, &outer_reduced),
        run,
    })
}

/// Reduces each output's runs with `f` (applied to every run, then to the per-run results, in a
/// fixed order, so the result does not depend on the thread count).
fn reduce_runs<T: Element>(x: &[T], plan: &RunPlan, f: impl Fn(&[T]) -> T + Sync) -> Vec<T> {
    if plan.bases.len() * plan.runs.len() * plan.run >= PAR_THRESHOLD && interleaved(plan) {
        return reduce_runs_in_memory_order(x, plan, f);
    }
    let one = |base: usize| {
        let partial = |&r: &usize| f(&x[base + r..base + r + plan.run]);
        let partials: Vec<T> = if plan.bases.len() == 1 && plan.runs.len() * plan.run >= PAR_THRESHOLD {
            plan.runs.par_iter().map(partial).collect()
        } else {
            plan.runs.iter().map(partial).collect()
        };
        f(&partials)
    };
    if plan.bases.len() * plan.runs.len() * plan.run < PAR_THRESHOLD {
        plan.bases.iter().map(|&b| one(b)).collect()
    } else {
        plan.bases.par_iter().map(|&b| one(b)).collect()
    }
}

/// Whether all the bases' runs lie between one run offset and the next, as the channels of one
/// sample do in a per-channel reduction of `[N, C, H, W]`.
fn interleaved(plan: &RunPlan) -> bool {
    let (Some(&first), Some(&last)) = (plan.bases.iter().min(), plan.bases.iter().max()) else {
        return false;
    };
    let span = last - first + plan.run;
    plan.bases.len() > 1 && plan.runs.len() > 1 && plan.runs.windows(2).all(|w| w[1] >= w[0] + span)
}

/// [`reduce_runs`] for an [`interleaved`] plan: the same partials (every run reduced by `f`,
/// then each base's partials in run order, so the results are bitwise the same), computed runs
/// outer and bases inner so that `x` is read front to back, a few runs per task. Base by base,
/// a channel's runs are a stride apart and too short for the prefetcher (49 elements after a
/// 7×7 convolution): on the learnable training step the statistics of its BatchNorms took a
/// seventh of the time that way.
fn reduce_runs_in_memory_order<T: Element>(x: &[T], plan: &RunPlan, f: impl Fn(&[T]) -> T + Sync) -> Vec<T> {
    let bases = plan.bases.len();
    let partials = run_partials(
        plan.runs.len(),
        bases,
        bases * plan.run,
        || (),
        |r, row, _| {
            for (p, &base) in row.iter_mut().zip(&plan.bases) {
                let at = base + plan.runs[r];
                *p = f(&x[at..at + plan.run]);
            }
        },
    );
    (0..bases)
        .map(|b| {
            let column: Vec<T> = partials.iter().skip(b).step_by(bases).copied().collect();
            f(&column)
        })
        .collect()
}

/// A `[rows, width]` table of partial results, row `r` filled by `fill(r, row, scratch)` (which
/// reads about `row_cost` elements), rows split over tasks of about [`PAR_THRESHOLD`] elements,
/// each task with one `scratch()` of its own.
pub(super) fn run_partials<T: Element, S>(
    rows: usize,
    width: usize,
    row_cost: usize,
    scratch: impl Fn() -> S + Sync,
    fill: impl Fn(usize, &mut [T], &mut S) + Sync,
) -> Vec<T> {
    let mut partials = vec![T::ZERO; rows * width];
    if width == 0 {
        return partials;
    }
    let per_task = (PAR_THRESHOLD / row_cost.max(1)).max(1);
    partials
        .par_chunks_mut(width * per_task)
        .enumerate()
        .for_each(|(task, block)| {
            let mut scratch = scratch();
            for (j, row) in block.chunks_mut(width).enumerate() {
                fill(task * per_task + j, row, &mut scratch);
            }
        });
    partials
}

pub fn reduce<T: Element>(src: &[T], layout: &Layout, op: ReduceOp, dims: &[usize]) -> Vec<T> {
    if op == ReduceOp::Sum {
        if let Some(plan) = row_sum_plan(layout, dims).filter(|p| p.inner >= 8) {
            return sum_rows(src, &plan);
        }
    }
    let (perm, outer, inner) = split_layout(layout, dims);
    if inner == 0 {
        assert!(
            op == ReduceOp::Sum || outer == 0,
            "{op:?}: cannot reduce an empty dimension (shape {:?})",
            layout.shape()
        );
        return vec![T::ZERO; outer];
    }
    let f = |row: &[T]| match op {
        ReduceOp::Sum => sum_run(row),
        ReduceOp::Max => extreme_run(row, |a, b| a > b),
        ReduceOp::Min => extreme_run(row, |a, b| a < b),
    };
    if layout.contiguous_range().is_none() || !is_trailing(dims, layout.rank()) {
        if let Some(plan) = run_plan(layout, dims) {
            return reduce_runs(src, &plan, f);
        }
    }
    let data = contiguous_cow(src, &perm);
    if outer * inner < PAR_THRESHOLD || outer == 1 {
        data.chunks(inner).map(f).collect()
    } else {
        data.par_chunks(inner).map(f).collect()
    }
}

pub fn arg_reduce<T: Element>(src: &[T], layout: &Layout, op: ArgReduceOp, dim: usize) -> Vec<i64> {
    let (perm, outer, inner) = split_layout(layout, &[dim]);
    assert!(
        inner > 0 || outer == 0,
        "{op:?}: cannot reduce an empty dimension (shape {:?})",
        layout.shape()
    );
    let data = contiguous_cow(src, &perm);
    let f = |row: &[T]| {
        let mut best = 0;
        for (i, &v) in row.iter().enumerate().skip(1) {
            let b = row[best];
            if b.is_nan_value() {
                break;
            }
            let wins = match op {
                ArgReduceOp::ArgMax => v > b,
                ArgReduceOp::ArgMin => v < b,
            };
            if v.is_nan_value() || wins {
                best = i;
            }
        }
        best as i64
    };
    if outer * inner < PAR_THRESHOLD {
        data.chunks(inner.max(1)).map(f).collect()
    } else {
        data.par_chunks(inner).map(f).collect()
    }
}
