//! Walking several strided operands of one shape in row-major order, in parallel.
//!
//! Dimensions of size 1 are dropped and neighbouring dimensions that are contiguous with respect
//! to each other in *every* operand are merged, so a contiguous tensor becomes one long row and
//! the inner loops see the longest possible runs.

use super::buffers;
use super::element::Element;
use crate::Layout;
use rayon::prelude::*;

/// Below this many elements a loop runs on the calling thread: rayon's dispatch costs more.
pub const PAR_THRESHOLD: usize = 1 << 15;

/// A row-major iteration plan over `outer_shape × inner` for several operands.
#[derive(Clone, Debug)]
pub struct Plan {
    outer_shape: Vec<usize>,
    /// Per operand, its stride along each outer dimension.
    outer_strides: Vec<Vec<usize>>,
    /// Per operand, its stride along the inner (last, merged) dimension.
    pub inner_strides: Vec<usize>,
    pub inner: usize,
    offsets: Vec<usize>,
    numel: usize,
}

impl Plan {
    /// Plans a walk over `shape`; every layout must have that shape.
    pub fn new(shape: &[usize], layouts: &[&Layout]) -> Plan {
        let numel: usize = shape.iter().product();
        let ops = layouts.len();
        // Dims kept (size > 1), each with its strides per operand.
        let mut dims: Vec<(usize, Vec<usize>)> = Vec::new();
        for (d, &size) in shape.iter().enumerate() {
            if size == 1 {
                continue;
            }
            let strides: Vec<usize> = layouts.iter().map(|l| l.strides()[d]).collect();
            if let Some((prev_size, prev_strides)) = dims.last_mut() {
                let mergeable = (0..ops).all(|o| prev_strides[o] == strides[o] * size);
                if mergeable {
                    *prev_size *= size;
                    *prev_strides = strides;
                    continue;
                }
            }
            dims.push((size, strides));
        }
        let (inner, inner_strides) = match dims.pop() {
            Some((size, strides)) => (size, strides),
            None => (1, vec![1; ops]),
        };
        Plan {
            outer_shape: dims.iter().map(|(s, _)| *s).collect(),
            outer_strides: (0..ops).map(|o| dims.iter().map(|(_, st)| st[o]).collect()).collect(),
            inner_strides,
            inner,
            offsets: layouts.iter().map(|l| l.offset()).collect(),
            numel,
        }
    }

    pub fn numel(&self) -> usize {
        self.numel
    }

    pub fn rows(&self) -> usize {
        self.numel.checked_div(self.inner).unwrap_or(0)
    }

    /// Offsets of every operand at the start of row `row`.
    fn row_offsets(&self, row: usize, out: &mut [usize], index: &mut [usize]) {
        let mut rem = row;
        for d in (0..self.outer_shape.len()).rev() {
            index[d] = rem % self.outer_shape[d];
            rem /= self.outer_shape[d];
        }
        for (o, off) in out.iter_mut().enumerate() {
            *off = self.offsets[o]
                + index
                    .iter()
                    .zip(&self.outer_strides[o])
                    .map(|(i, s)| i * s)
                    .sum::<usize>();
        }
    }

    /// Advances `index`/`offsets` to the next row.
    fn next_row(&self, offsets: &mut [usize], index: &mut [usize]) {
        for d in (0..self.outer_shape.len()).rev() {
            index[d] += 1;
            for (o, off) in offsets.iter_mut().enumerate() {
                *off += self.outer_strides[o][d];
            }
            if index[d] < self.outer_shape[d] {
                return;
            }
            for (o, off) in offsets.iter_mut().enumerate() {
                *off -= self.outer_strides[o][d] * self.outer_shape[d];
            }
            index[d] = 0;
        }
    }

    /// Calls `f(row, offsets)` for rows `start..end` in order.
    pub fn for_rows_in(&self, start: usize, end: usize, mut f: impl FnMut(usize, &[usize])) {
        if start >= end {
            return;
        }
        let mut offsets = vec![0; self.offsets.len()];
        let mut index = vec![0; self.outer_shape.len()];
        self.row_offsets(start, &mut offsets, &mut index);
        for row in start..end {
            f(row, &offsets);
            if row + 1 < end {
                self.next_row(&mut offsets, &mut index);
            }
        }
    }

    /// Fills a contiguous output of `numel` elements row by row, in parallel for large outputs:
    /// `f(out_row, operand_offsets)` writes one row of `inner` elements.
    pub fn fill_rows<T: Send>(&self, out: &mut [T], f: impl Fn(&mut [T], &[usize]) + Sync) {
        debug_assert_eq!(out.len(), self.numel);
        if self.numel == 0 {
            return;
        }
        let inner = self.inner;
        if self.numel < PAR_THRESHOLD {
            let mut rows = out.chunks_mut(inner);
            self.for_rows_in(0, self.rows(), |_, offs| f(rows.next().expect("row count"), offs));
            return;
        }
        let rows_per_task = PAR_THRESHOLD.div_ceil(inner).max(1);
        out.par_chunks_mut(rows_per_task * inner)
            .enumerate()
            .for_each(|(task, chunk)| {
                let start = task * rows_per_task;
                let end = start + chunk.len() / inner;
                let mut rows = chunk.chunks_mut(inner);
                self.for_rows_in(start, end, |_, offs| f(rows.next().expect("row count"), offs));
            });
    }
}

/// Raw pointer that may cross into rayon tasks writing disjoint regions.
#[derive(Copy, Clone)]
pub struct SendPtr<T>(pub *mut T);
// SAFETY: users only write disjoint index ranges from different tasks.
unsafe impl<T> Send for SendPtr<T> {}
unsafe impl<T> Sync for SendPtr<T> {}

/// Copies the elements of `src` under `layout` into a new contiguous vector.
pub fn contiguous_copy<T: Element>(src: &[T], layout: &Layout) -> Vec<T> {
    if let Some(range) = layout.contiguous_range() {
        let mut out = buffers::uninit(range.len());
        buffers::write_copy(&mut out, &src[range]);
        // SAFETY: the copy wrote every element.
        return unsafe { buffers::assume_init(out) };
    }
    let plan = Plan::new(layout.shape(), &[layout]);
    let mut out = buffers::uninit(plan.numel());
    let stride = plan.inner_strides[0];
    plan.fill_rows(&mut out, |row, offs| {
        let base = offs[0];
        for (i, o) in row.iter_mut().enumerate() {
            o.write(src[base + i * stride]);
        }
    });
    // SAFETY: `fill_rows` hands every row to the closure, which writes each element.
    unsafe { buffers::assume_init(out) }
}

/// Borrows the elements when they are already contiguous, copies them otherwise.
pub fn contiguous_cow<'a, T: Element>(src: &'a [T], layout: &Layout) -> std::borrow::Cow<'a, [T]>
where
    [T]: ToOwned<Owned = Vec<T>>,
{
    match layout.contiguous_range() {
        Some(range) => std::borrow::Cow::Borrowed(&src[range]),
        None => std::borrow::Cow::Owned(contiguous_copy(src, layout)),
    }
}
