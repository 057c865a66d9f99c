//! Per-channel kernels of `[N, C, *]` tensors: batch normalisation's passes (DESIGN §2: fused
//! because the composed form made four full-size passes where these make one).

use super::buffers;
use super::element::FloatElement;
use super::reduce::{run_partials, sum_run};
use super::strided::{contiguous_cow, PAR_THRESHOLD};
use crate::Layout;
use rayon::prelude::*;
use std::borrow::Cow;
use std::mem::MaybeUninit;

/// `(N, C, inner)` of a `[N, C, *]` shape.
fn split(shape: &[usize]) -> (usize, usize, usize) {
    (shape[0], shape[1], shape[2..].iter().product())
}

/// One term of [`affine`]: the tensor and its per-channel centre and scale, contiguous.
pub struct Term<'a, T: FloatElement + 'a> {
    pub x: Cow<'a, [T]>,
    pub centre: Cow<'a, [T]>,
    pub scale: Cow<'a, [T]>,
}

impl<'a, T: FloatElement> Term<'a, T>
where
    [T]: ToOwned<Owned = Vec<T>>,
{
    pub fn new(x: (&'a [T], &Layout), centre: (&'a [T], &Layout), scale: (&'a [T], &Layout)) -> Term<'a, T> {
        Term {
            x: contiguous_cow(x.0, x.1),
            centre: contiguous_cow(centre.0, centre.1),
            scale: contiguous_cow(scale.0, scale.1),
        }
    }
}

/// `out[n, c, …] = Σ_k (x_k[n, c, …] - m_k[c])·s_k[c] + shift[c]` (one or two terms).
pub fn affine<T: FloatElement>(shape: &[usize], terms: &[Term<'_, T>], shift: Option<&[T]>) -> Vec<T> {
    let (n, c, inner) = split(shape);
    let mut out = buffers::uninit(n * c * inner);
    let row = c * inner;
    if out.is_empty() {
        return Vec::new();
    }
    let fill = |(i, dst): (usize, &mut [MaybeUninit<T>])| {
        for ch in 0..c {
            let seg = &mut dst[ch * inner..(ch + 1) * inner];
            let at = i * row + ch * inner;
            let t = shift.map_or(T::zero(), |s| s[ch]);
            match terms {
                [a] => {
                    let (xa, ma, sa) = (&a.x[at..at + inner], a.centre[ch], a.scale[ch]);
                    for (o, &x) in seg.iter_mut().zip(xa) {
                        o.write((x - ma) * sa + t);
                    }
                }
                [a, b] => {
                    let (xa, ma, sa) = (&a.x[at..at + inner], a.centre[ch], a.scale[ch]);
                    let (xb, mb, sb) = (&b.x[at..at + inner], b.centre[ch], b.scale[ch]);
                    for ((o, &x), &y) in seg.iter_mut().zip(xa).zip(xb) {
                        o.write((x - ma) * sa + (y - mb) * sb + t);
                    }
                }
                _ => unreachable!("channel_affine takes one or two terms (checked by the front end)"),
            }
        }
    };
    if out.len() < PAR_THRESHOLD {
        out.chunks_mut(row).enumerate().for_each(fill);
    } else {
        let rows_per_task = PAR_THRESHOLD.div_ceil(row).max(1);
        out.par_chunks_mut(row * rows_per_task)
            .enumerate()
            .for_each(|(task, block)| {
                for (j, dst) in block.chunks_mut(row).enumerate() {
                    fill((task * rows_per_task + j, dst));
                }
            });
    }
    // SAFETY: the rows cover the buffer and `fill` writes every channel segment of its row.
    unsafe { buffers::assume_init(out) }
}

/// `out[c] = Σ_{n, …} (a - sa[c])·(b - sb[c])`, each channel summed in a fixed order (one run
/// of `inner` per sample, then the per-sample sums), so results do not depend on threads. The
/// per-sample sums are formed sample by sample, reading `a` and `b` front to back (see
/// `reduce::reduce_runs_in_memory_order`: channel by channel, the short runs a stride apart
/// were slow).
pub fn dot<T: FloatElement>(shape: &[usize], a: &[T], b: &[T], sa: &[T], sb: &[T]) -> Vec<T> {
    let (n, c, inner) = split(shape);
    let sample = |i: usize, row: &mut [T], products: &mut Vec<T>| {
        for (ch, p) in row.iter_mut().enumerate() {
            let at = (i * c + ch) * inner;
            let (ma, mb) = (sa[ch], sb[ch]);
            for ((q, &x), &y) in products.iter_mut().zip(&a[at..at + inner]).zip(&b[at..at + inner]) {
                *q = (x - ma) * (y - mb);
            }
            *p = sum_run(products);
        }
    };
    let products = || vec![T::zero(); inner];
    let partials: Vec<T> = if n * c * inner < PAR_THRESHOLD {
        let (mut partials, mut scratch) = (vec![T::zero(); n * c], products());
        for (i, row) in partials.chunks_mut(c.max(1)).enumerate() {
            sample(i, row, &mut scratch);
        }
        partials
    } else {
        run_partials(n, c, c * inner, products, sample)
    };
    (0..c)
        .map(|ch| {
            let column: Vec<T> = partials.iter().skip(ch).step_by(c).copied().collect();
            sum_run(&column)
        })
        .collect()
}
