//! 2-D convolution by im2col + GEMM, and its two adjoints.
//!
//! Per sample, the input patches are unrolled into a `[Cin·KH·KW, OH·OW]` matrix (im2col), so
//! the forward pass is one GEMM with the `[Cout, Cin·KH·KW]` weight; the input gradient is the
//! transposed GEMM followed by the adjoint scatter (col2im); the weight gradient sums
//! `grad · colsᵀ` over samples. 1×1 convolutions with stride 1 and no padding skip the unrolling.
//! Samples run in parallel; the weight gradient sums fixed chunks in a fixed order so that
//! results do not depend on the thread count.

use super::element::FloatElement;
use super::matmul::{gemm_strided, solo_parallelism};
use super::strided::contiguous_cow;
use crate::backend::Conv2dParams;
use crate::Layout;
use gemm::Parallelism;
use rayon::prelude::*;

/// Number of partial sums of the weight gradient (fixed: results must not depend on threads).
const WEIGHT_GRAD_CHUNKS: usize = 16;

#[derive(Copy, Clone)]
struct Geometry {
    cin: usize,
    h: usize,
    w: usize,
    kh: usize,
    kw: usize,
    oh: usize,
    ow: usize,
    p: Conv2dParams,
}

impl Geometry {
    fn new(cin: usize, [h, w]: [usize; 2], [kh, kw]: [usize; 2], p: &Conv2dParams) -> Geometry {
        let [oh, ow] = p
            .output_size([h, w], [kh, kw])
            .expect("conv2d: geometry checked by the front end");
        Geometry {
            cin,
            h,
            w,
            kh,
            kw,
            oh,
            ow,
            p: *p,
        }
    }

    fn ckk(&self) -> usize {
        self.cin * self.kh * self.kw
    }

    fn ohw(&self) -> usize {
        self.oh * self.ow
    }

    fn is_pointwise(&self) -> bool {
        self.kh == 1 && self.kw == 1 && self.p.stride == [1, 1] && self.p.padding == [0, 0]
    }

    /// Output positions `lo..hi` along one axis whose input coordinate `o·stride + off` is inside
    /// `0..size`.
    fn valid(out: usize, stride: usize, off: isize, size: usize) -> (usize, usize) {
        let s = stride as isize;
        let lo = if off >= 0 { 0 } else { ((-off) + s - 1) / s };
        let hi = if (size as isize) - 1 - off < 0 {
            0
        } else {
            ((size as isize - 1 - off) / s) + 1
        };
        let (lo, hi) = (lo.max(0) as usize, (hi.max(0) as usize).min(out));
        (lo.min(hi), hi)
    }

    /// Visits every (col row, output row, valid ox range, input offset of ox = 0, x stride).
    fn for_each_run(&self, mut f: impl FnMut(usize, usize, (usize, usize), isize)) {
        let (s0, s1) = (self.p.stride[0], self.p.stride[1]);
        let (d0, d1) = (self.p.dilation[0], self.p.dilation[1]);
        let (p0, p1) = (self.p.padding[0] as isize, self.p.padding[1] as isize);
        for c in 0..self.cin {
            for ki in 0..self.kh {
                for kj in 0..self.kw {
                    let row = (c * self.kh + ki) * self.kw + kj;
                    let xoff = kj as isize * d1 as isize - p1;
                    let range = Self::valid(self.ow, s1, xoff, self.w);
                    for oy in 0..self.oh {
                        let iy = (oy * s0) as isize + (ki * d0) as isize - p0;
                        if iy < 0 || iy >= self.h as isize {
                            f(row, oy, (0, 0), 0);
                            continue;
                        }
                        let base = (c * self.h * self.w) as isize + iy * self.w as isize + xoff;
                        f(row, oy, range, base);
                    }
                }
            }
        }
    }

    /// Unrolls one sample `[Cin, H, W]` into `col` `[Cin·KH·KW, OH·OW]`.
    fn im2col<T: FloatElement>(&self, x: &[T], col: &mut [T]) {
        let (ow, ohw, s1) = (self.ow, self.ohw(), self.p.stride[1]);
        self.for_each_run(|row, oy, (lo, hi), base| {
            let dst = &mut col[row * ohw + oy * ow..row * ohw + (oy + 1) * ow];
            dst[..lo].fill(T::zero());
            dst[hi..].fill(T::zero());
            if hi <= lo {
                return;
            }
            if s1 == 1 {
                let start = (base + lo as isize) as usize;
                dst[lo..hi].copy_from_slice(&x[start..start + (hi - lo)]);
            } else {
                for (ox, d) in dst.iter_mut().enumerate().take(hi).skip(lo) {
                    *d = x[(base + (ox * s1) as isize) as usize];
                }
            }
        });
    }

    /// The adjoint of `im2col`: adds `col` back into one sample's input gradient.
    fn col2im<T: FloatElement>(&self, col: &[T], dx: &mut [T]) {
        let (ow, ohw, s1) = (self.ow, self.ohw(), self.p.stride[1]);
        self.for_each_run(|row, oy, (lo, hi), base| {
            let src = &col[row * ohw + oy * ow..row * ohw + (oy + 1) * ow];
            for (ox, &v) in src.iter().enumerate().take(hi).skip(lo) {
                dx[(base + (ox * s1) as isize) as usize] += v;
            }
        });
    }
}

fn dims4(l: &Layout) -> [usize; 4] {
    let s = l.shape();
    [s[0], s[1], s[2], s[3]]
}

/// Whether to spread samples over threads (each GEMM single-threaded) or run samples in turn
/// with multi-threaded GEMMs.
fn per_sample_parallel(n: usize) -> bool {
    n >= rayon::current_num_threads() && n > 1
}

pub fn conv2d<T: FloatElement>(x: &[T], xl: &Layout, w: &[T], wl: &Layout, p: &Conv2dParams) -> Vec<T> {
    let [n, cin, h, wd] = dims4(xl);
    let [cout, _, kh, kw] = dims4(wl);
    let g = Geometry::new(cin, [h, wd], [kh, kw], p);
    let (x, w) = (contiguous_cow(x, xl), contiguous_cow(w, wl));
    let (ckk, ohw, in_size) = (g.ckk(), g.ohw(), cin * h * wd);
    let mut out = vec![T::zero(); n * cout * ohw];
    let run = |i: usize, col: &mut Vec<T>, dst: &mut [T], par: Parallelism| {
        let xs = &x[i * in_size..(i + 1) * in_size];
        let cols: &[T] = if g.is_pointwise() {
            xs
        } else {
            col.resize(ckk * ohw, T::zero());
            g.im2col(xs, col);
            col
        };
        unsafe {
            gemm_strided(
                (cout, ohw, ckk),
                dst.as_mut_ptr(),
                (ohw, 1),
                false,
                w.as_ptr(),
                (ckk, 1),
                cols.as_ptr(),
                (ohw, 1),
                par,
            )
        };
    };
    if out.is_empty() {
        return out;
    }
    if per_sample_parallel(n) {
        out.par_chunks_mut(cout * ohw)
            .enumerate()
            .for_each_init(Vec::new, |col, (i, dst)| run(i, col, dst, Parallelism::None));
    } else {
        let mut col = Vec::new();
        for (i, dst) in out.chunks_mut(cout * ohw).enumerate() {
            run(i, &mut col, dst, solo_parallelism(cout * ohw * ckk));
        }
    }
    out
}

pub fn conv2d_input_grad<T: FloatElement>(
    gr: &[T],
    gl: &Layout,
    w: &[T],
    wl: &Layout,
    p: &Conv2dParams,
    input_hw: [usize; 2],
) -> Vec<T> {
    let [n, cout, _, _] = dims4(gl);
    let [_, cin, kh, kw] = dims4(wl);
    let g = Geometry::new(cin, input_hw, [kh, kw], p);
    let (gr, w) = (contiguous_cow(gr, gl), contiguous_cow(w, wl));
    let (ckk, ohw, in_size) = (g.ckk(), g.ohw(), cin * input_hw[0] * input_hw[1]);
    let mut dx = vec![T::zero(); n * in_size];
    let run = |i: usize, col: &mut Vec<T>, dst: &mut [T], par: Parallelism| {
        let gs = &gr[i * cout * ohw..(i + 1) * cout * ohw];
        // cols = Wᵀ · g: Wᵀ[r][c] = W[c][r], so the row stride is 1 and the column stride ckk.
        let target: *mut T = if g.is_pointwise() {
            dst.as_mut_ptr()
        } else {
            col.resize(ckk * ohw, T::zero());
            col.as_mut_ptr()
        };
        unsafe {
            gemm_strided(
                (ckk, ohw, cout),
                target,
                (ohw, 1),
                false,
                w.as_ptr(),
                (1, ckk),
                gs.as_ptr(),
                (ohw, 1),
                par,
            )
        };
        if !g.is_pointwise() {
            g.col2im(col, dst);
        }
    };
    if dx.is_empty() {
        return dx;
    }
    if per_sample_parallel(n) {
        dx.par_chunks_mut(in_size)
            .enumerate()
            .for_each_init(Vec::new, |col, (i, dst)| run(i, col, dst, Parallelism::None));
    } else {
        let mut col = Vec::new();
        for (i, dst) in dx.chunks_mut(in_size).enumerate() {
            run(i, &mut col, dst, solo_parallelism(cout * ohw * ckk));
        }
    }
    dx
}

pub fn conv2d_weight_grad<T: FloatElement>(
    x: &[T],
    xl: &Layout,
    gr: &[T],
    gl: &Layout,
    p: &Conv2dParams,
    kernel_hw: [usize; 2],
) -> Vec<T> {
    let [n, cin, h, wd] = dims4(xl);
    let cout = gl.shape()[1];
    let g = Geometry::new(cin, [h, wd], kernel_hw, p);
    let (x, gr) = (contiguous_cow(x, xl), contiguous_cow(gr, gl));
    let (ckk, ohw, in_size) = (g.ckk(), g.ohw(), cin * h * wd);
    let wsize = cout * ckk;
    if n == 0 || wsize == 0 {
        return vec![T::zero(); wsize];
    }
    // Adds g_i · col_iᵀ for samples in `range` into `acc`.
    let accumulate = |range: std::ops::Range<usize>, acc: &mut [T], col: &mut Vec<T>, par: Parallelism| {
        for (step, i) in range.enumerate() {
            let xs = &x[i * in_size..(i + 1) * in_size];
            let cols: &[T] = if g.is_pointwise() {
                xs
            } else {
                col.resize(ckk * ohw, T::zero());
                g.im2col(xs, col);
                col
            };
            let gs = &gr[i * cout * ohw..(i + 1) * cout * ohw];
            unsafe {
                gemm_strided(
                    (cout, ckk, ohw),
                    acc.as_mut_ptr(),
                    (ckk, 1),
                    step > 0,
                    gs.as_ptr(),
                    (ohw, 1),
                    cols.as_ptr(),
                    (1, ohw),
                    par,
                )
            };
        }
    };
    let chunks = WEIGHT_GRAD_CHUNKS.min(n);
    let per = n.div_ceil(chunks);
    if per_sample_parallel(n) {
        let partials: Vec<Vec<T>> = (0..chunks)
            .into_par_iter()
            .map(|c| {
                let mut acc = vec![T::zero(); wsize];
                let range = c * per..((c + 1) * per).min(n);
                if !range.is_empty() {
                    accumulate(range, &mut acc, &mut Vec::new(), Parallelism::None);
                }
                acc
            })
            .collect();
        let mut total = partials[0].clone();
        for part in &partials[1..] {
            for (t, &v) in total.iter_mut().zip(part) {
                *t += v;
            }
        }
        total
    } else {
        let mut acc = vec![T::zero(); wsize];
        accumulate(0..n, &mut acc, &mut Vec::new(), solo_parallelism(cout * ohw * ckk));
        acc
    }
}
