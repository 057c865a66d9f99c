//! 2-D convolution by im2col + GEMM, and its two adjoints.
//!
//! Samples are taken in blocks of S whose patches are unrolled side by side into one
//! `[Cin·KH·KW, S·OH·OW]` matrix (im2col), so the forward pass is one large GEMM with the
//! `[Cout, Cin·KH·KW]` weight (per-sample GEMMs at 7×7 would have only 49 columns); the input
//! gradient is the transposed GEMM followed by the adjoint scatter (col2im); the weight gradient
//! sums `grad · colsᵀ` over blocks. "Same" geometries (stride 1, output the input's size)
//! unroll and fold back a whole block at once, one shifted pass per tap; others go row by row.
//! 1×1 convolutions with stride 1 and no padding skip the unrolling. Blocks run in parallel;
//! the weight gradient adds fixed partial sums in a fixed order, so results do not depend on
//! the thread count.

use super::buffers;
use super::element::FloatElement;
use super::matmul::{gemm_strided, solo_parallelism};
use super::strided::contiguous_cow;
use crate::backend::Conv2dParams;
use crate::Layout;
use gemm::Parallelism;
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Number of partial sums of the weight gradient (fixed: results must not depend on threads).
const WEIGHT_GRAD_CHUNKS: usize = 16;

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

    /// Unrolls one sample `[Cin, H, W]` into columns `c0..c0 + OH·OW` of `col`, a
    /// `[Cin·KH·KW, ld]` matrix.
    fn im2col<T: FloatElement>(&self, x: &[T], col: &mut [MaybeUninit<T>], ld: usize, c0: usize) {
        let (ow, s1) = (self.ow, self.p.stride[1]);
        self.for_each_run(|row, oy, (lo, hi), base| {
            let start = row * ld + c0 + oy * ow;
            let dst = &mut col[start..start + ow];
            dst[..lo].fill(MaybeUninit::new(T::zero()));
            dst[hi..].fill(MaybeUninit::new(T::zero()));
            if hi <= lo {
                return;
            }
            if s1 == 1 {
                let first = (base + lo as isize) as usize;
                buffers::write_copy(&mut dst[lo..hi], &x[first..first + (hi - lo)]);
            } else {
                for (ox, d) in dst.iter_mut().enumerate().take(hi).skip(lo) {
                    d.write(x[(base + (ox * s1) as isize) as usize]);
                }
            }
        });
    }

    /// The adjoint of `im2col`: adds columns `c0..c0 + OH·OW` of `col` back into one sample's
    /// input gradient.
    fn col2im<T: FloatElement>(&self, col: &[T], ld: usize, c0: usize, dx: &mut [T]) {
        let (ow, s1) = (self.ow, self.p.stride[1]);
        self.for_each_run(|row, oy, (lo, hi), base| {
            let start = row * ld + c0 + oy * ow;
            if hi <= lo {
                return;
            }
            let src = &col[start + lo..start + hi];
            let first = (base + (lo * s1) as isize) as usize;
            if s1 == 1 {
                // Contiguous run: a slice add the compiler vectorises.
                for (d, &v) in dx[first..first + src.len()].iter_mut().zip(src) {
                    *d += v;
                }
            } else {
                for (i, &v) in src.iter().enumerate() {
                    dx[first + i * s1] += v;
                }
            }
        });
    }

    /// Stride 1 and an output plane the input plane's size ("same" padding, every seed model):
    /// then every tap maps a whole block of stacked planes onto itself by one shift
    /// (`im2col_block`, `col2im_block`).
    fn same_size(&self) -> bool {
        self.p.stride == [1, 1] && [self.oh, self.ow] == [self.h, self.w]
    }

    /// For `same_size` geometries, per kernel tap, `count` stacked planes of masks (all ones or
    /// zero, `FloatElement::keep_mask`): whether input position i receives the tap's column
    /// entry at i - shift (an output position inside the image whose tap reads i), as
    /// `[KH·KW, count·H·W]`.
    fn tap_masks<T: FloatElement>(&self, count: usize) -> Vec<T::Bits> {
        let (h, w) = (self.h as isize, self.w as isize);
        let mut masks = Vec::with_capacity(self.kh * self.kw * count * self.h * self.w);
        for ki in 0..self.kh {
            let dy = (ki * self.p.dilation[0]) as isize - self.p.padding[0] as isize;
            for kj in 0..self.kw {
                let dx = (kj * self.p.dilation[1]) as isize - self.p.padding[1] as isize;
                let plane = (0..h)
                    .flat_map(|iy| (0..w).map(move |ix| (0..h).contains(&(iy - dy)) && (0..w).contains(&(ix - dx))));
                let plane: Vec<T::Bits> = plane.map(T::keep_mask).collect();
                for _ in 0..count {
                    masks.extend_from_slice(&plane);
                }
            }
        }
        masks
    }

    /// Unrolls `count` samples `[count, Cin, H, W]` into a block's column matrix
    /// `[Cin·KH·KW, count·OH·OW]`: for `same_size` geometries (when `masks` are given) at once
    /// by `im2col_block`, several samples' planes first copied side by side into `planes`;
    /// else sample by sample.
    fn unroll_block<'a, T: FloatElement>(
        &self,
        xs: &[T],
        count: usize,
        col: &'a mut [MaybeUninit<T>],
        planes: &mut Vec<MaybeUninit<T>>,
        masks: Option<&[T::Bits]>,
        mask_ld: usize,
    ) -> &'a [T] {
        let (ld, plane, in_size) = (count * self.ohw(), self.h * self.w, self.cin * self.h * self.w);
        match masks {
            // One sample's `[Cin, H·W]` is already its planes side by side.
            Some(masks) if count == 1 => self.im2col_block(xs, ld, masks, mask_ld, col),
            Some(masks) => {
                let planes = samples_to_columns(xs, self.cin, plane, buffers::scratch(planes, self.cin * ld));
                self.im2col_block(planes, ld, masks, mask_ld, col);
            }
            None => {
                for s in 0..count {
                    self.im2col(&xs[s * in_size..(s + 1) * in_size], col, ld, s * self.ohw());
                }
            }
        }
        // SAFETY: both unrollings write every entry of the block's column matrix.
        unsafe { buffers::assume_written(col) }
    }

    /// The tap masks of `same_size` geometries for blocks of up to `per` samples, with their row
    /// length (`tap_masks`).
    fn block_masks<T: FloatElement>(&self, per: usize) -> (Option<Vec<T::Bits>>, usize) {
        (self.same_size().then(|| self.tap_masks::<T>(per)), per * self.ohw())
    }

    /// `im2col` for a whole block of `same_size` geometry at once, from its planes side by side
    /// (`[Cin, ld]`): each column-matrix row is the block shifted by the tap's offset, zero where
    /// the shift crosses a row or plane edge (the mask of the input position read, as in
    /// `col2im_block`). One long vectorised pass per row instead of one per row and sample.
    fn im2col_block<T: FloatElement>(
        &self,
        xc: &[T],
        ld: usize,
        masks: &[T::Bits],
        mask_ld: usize,
        col: &mut [MaybeUninit<T>],
    ) {
        let taps = self.kh * self.kw;
        let w = self.w as isize;
        for (c, plane) in xc.chunks_exact(ld).enumerate().take(self.cin) {
            for t in 0..taps {
                let shift = self.tap_shift(t, w);
                let row = &mut col[(c * taps + t) * ld..(c * taps + t + 1) * ld];
                // Positions p whose source p + shift lies in the block.
                let lo = (-shift).clamp(0, ld as isize) as usize;
                let hi = (ld as isize - shift).clamp(lo as isize, ld as isize) as usize;
                row[..lo].fill(MaybeUninit::new(T::zero()));
                row[hi..].fill(MaybeUninit::new(T::zero()));
                if lo >= hi {
                    continue;
                }
                let (from, to) = ((lo as isize + shift) as usize, (hi as isize + shift) as usize);
                let mask = &masks[t * mask_ld + from..t * mask_ld + to];
                for ((d, &v), &m) in row[lo..hi].iter_mut().zip(&plane[from..to]).zip(mask) {
                    d.write(v.masked(m));
                }
            }
        }
    }

    /// The offset in a plane from an output position to the input position tap `t` reads.
    fn tap_shift(&self, t: usize, w: isize) -> isize {
        let dy = ((t / self.kw) * self.p.dilation[0]) as isize - self.p.padding[0] as isize;
        let dx = ((t % self.kw) * self.p.dilation[1]) as isize - self.p.padding[1] as isize;
        dy * w + dx
    }

    /// The adjoint of `im2col` for a whole block of `same_size` geometry at once, into
    /// `[Cin, ld]` (the block's planes side by side, as the column matrix holds them): each tap
    /// adds its column-matrix row shifted by one offset over the whole block, masked where the
    /// shift crosses a row or plane edge. One long vectorised pass per tap, where the per-sample
    /// `col2im` made a pass per tap and sample of at most `H·W` (49 at 7×7) entries, which was
    /// a fifth of a 7×7 input gradient. Same sums in the same order as `col2im`.
    fn col2im_block<T: FloatElement>(
        &self,
        col: &[T],
        ld: usize,
        masks: &[T::Bits],
        mask_ld: usize,
        dxc: &mut [MaybeUninit<T>],
    ) {
        let taps = self.kh * self.kw;
        let w = self.w as isize;
        for (c, out) in dxc.chunks_exact_mut(ld).enumerate().take(self.cin) {
            let out = buffers::clear(out);
            for t in 0..taps {
                let shift = self.tap_shift(t, w);
                // Positions i whose source i - shift lies in the block.
                let lo = shift.clamp(0, ld as isize) as usize;
                let hi = (ld as isize + shift).clamp(0, ld as isize) as usize;
                if lo >= hi {
                    continue;
                }
                let row = &col[(c * taps + t) * ld..(c * taps + t + 1) * ld];
                let src = &row[(lo as isize - shift) as usize..(hi as isize - shift) as usize];
                let mask = &masks[t * mask_ld + lo..t * mask_ld + hi];
                for ((o, &v), &m) in out[lo..hi].iter_mut().zip(src).zip(mask) {
                    *o += v.masked(m);
                }
            }
        }
    }

    /// Samples unrolled side by side into one column matrix, so that each GEMM has about
    /// `TARGET_COLUMNS` columns: per-sample products at small spatial sizes (7×7 = 49
    /// columns) waste most of the GEMM's tiles and repeat its packing per sample.
    fn samples_per_block(&self, n: usize) -> usize {
        if self.is_pointwise() {
            return 1;
        }
        TARGET_COLUMNS.div_ceil(self.ohw().max(1)).clamp(1, n.max(1))
    }
}

/// Column count a batched im2col aims for (measured on the seed's shapes: benches/RESULTS.md).
const TARGET_COLUMNS: usize = 512;

/// Copies `[S, C, L]` (S samples, contiguous) into a `[C, S·L]` matrix and back.
fn samples_to_columns<'a, T: FloatElement>(src: &[T], c: usize, l: usize, dst: &'a mut [MaybeUninit<T>]) -> &'a [T] {
    let s = src.len() / (c * l).max(1);
    assert_eq!(
        dst.len(),
        s * c * l,
        "samples_to_columns: {s}×{c}×{l} into {}",
        dst.len()
    );
    for i in 0..s {
        for ch in 0..c {
            buffers::write_copy(
                &mut dst[ch * s * l + i * l..ch * s * l + (i + 1) * l],
                &src[(i * c + ch) * l..(i * c + ch + 1) * l],
            );
        }
    }
    // SAFETY: the copies above cover `dst` (S·C runs of L, at every offset).
    unsafe { buffers::assume_written(dst) }
}

fn columns_to_samples<T: FloatElement>(src: &[T], c: usize, l: usize, dst: &mut [MaybeUninit<T>]) {
    let s = dst.len() / (c * l).max(1);
    for i in 0..s {
        for ch in 0..c {
            buffers::write_copy(
                &mut dst[(i * c + ch) * l..(i * c + ch + 1) * l],
                &src[ch * s * l + i * l..ch * s * l + (i + 1) * l],
            );
        }
    }
}

/// Scratch buffers of one task: the column matrix and a samples-as-columns copy, grown without
/// being cleared (`buffers::scratch`).
type Scratch<T> = (Vec<MaybeUninit<T>>, Vec<MaybeUninit<T>>);

/// Runs `run(first_sample, block, scratch, parallelism)` over the blocks of `per` samples of
/// `out` (`item` elements a sample). With enough blocks, contiguous groups of blocks run in
/// parallel (a few groups a thread for balance), each allocating its scratch once — rayon's
/// `for_each_init` would re-create and re-zero megabytes of scratch for every stolen job.
/// With fewer blocks than threads, blocks run in turn with a multi-threaded GEMM.
fn for_each_block<T: FloatElement, O: Send>(
    out: &mut [O],
    item: usize,
    per: usize,
    work_per_block: usize,
    run: impl Fn(usize, &mut [O], &mut Scratch<T>, Parallelism) + Sync,
) {
    let n = out.len() / item.max(1);
    let blocks = n.div_ceil(per);
    let threads = rayon::current_num_threads();
    if blocks >= threads && blocks > 1 {
        let groups = (threads * 4).min(blocks);
        let blocks_per_group = blocks.div_ceil(groups);
        out.par_chunks_mut(blocks_per_group * per * item)
            .enumerate()
            .for_each(|(group, dst)| {
                let mut scratch = (Vec::new(), Vec::new());
                for (b, block) in dst.chunks_mut(per * item).enumerate() {
                    run(
                        (group * blocks_per_group + b) * per,
                        block,
                        &mut scratch,
                        Parallelism::None,
                    );
                }
            });
    } else {
        let mut scratch = (Vec::new(), Vec::new());
        for (b, block) in out.chunks_mut(per * item).enumerate() {
            run(b * per, block, &mut scratch, solo_parallelism(work_per_block));
        }
    }
}

fn dims4(l: &Layout) -> [usize; 4] {
    let s = l.shape();
    [s[0], s[1], s[2], s[3]]
}

pub fn conv2d<T: FloatElement>(x: &[T], xl: &Layout, w: &[T], wl: &Layout, p: &Conv2dParams) -> Vec<T> {
    let [n, cin, h, wd] = dims4(xl);
    let [cout, _, kh, kw] = dims4(wl);
    let g = Geometry::new(cin, [h, wd], [kh, kw], p);
    let (x, w) = (contiguous_cow(x, xl), contiguous_cow(w, wl));
    let (ckk, ohw, in_size) = (g.ckk(), g.ohw(), cin * h * wd);
    let mut out = buffers::uninit::<T>(n * cout * ohw);
    if out.is_empty() {
        return Vec::new();
    }
    let per = g.samples_per_block(n);
    let (masks, mask_ld) = g.block_masks::<T>(per);
    // One block of samples: out_block[s] = W · cols_s, computed as W · [cols_0 … cols_S-1].
    let run = |first: usize, dst: &mut [MaybeUninit<T>], bufs: &mut Scratch<T>, par: Parallelism| {
        let count = dst.len() / (cout * ohw);
        let xs = &x[first * in_size..(first + count) * in_size];
        if g.is_pointwise() {
            unsafe {
                gemm_strided(
                    (cout, ohw, ckk),
                    dst.as_mut_ptr().cast::<T>(),
                    (ohw, 1),
                    false,
                    w.as_ptr(),
                    (ckk, 1),
                    xs.as_ptr(),
                    (ohw, 1),
                    par,
                )
            };
            return;
        }
        let ld = count * ohw;
        let (col, tmp) = bufs;
        // `tmp` holds the block's planes until it holds the product.
        let col = g.unroll_block(
            xs,
            count,
            buffers::scratch(col, ckk * ld),
            tmp,
            masks.as_deref(),
            mask_ld,
        );
        let target = if count == 1 {
            dst.as_mut_ptr().cast::<T>()
        } else {
            buffers::scratch(tmp, cout * ld).as_mut_ptr().cast::<T>()
        };
        unsafe {
            gemm_strided(
                (cout, ld, ckk),
                target,
                (ld, 1),
                false,
                w.as_ptr(),
                (ckk, 1),
                col.as_ptr(),
                (ld, 1),
                par,
            )
        };
        if count > 1 {
            // SAFETY: the GEMM wrote the whole product.
            columns_to_samples(
                unsafe { buffers::assume_written(&mut tmp[..cout * ld]) },
                cout,
                ohw,
                dst,
            );
        }
    };
    for_each_block(&mut out, cout * ohw, per, cout * ohw * ckk * per, run);
    // SAFETY: every block is written, by its GEMM (which does not read the destination) or by
    // the copy out of the block's columns.
    unsafe { buffers::assume_init(out) }
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
    let gr = contiguous_cow(gr, gl);
    let (ckk, ohw, in_size) = (g.ckk(), g.ohw(), cin * input_hw[0] * input_hw[1]);
    let mut dx = buffers::uninit::<T>(n * in_size);
    if dx.is_empty() {
        return Vec::new();
    }
    // Wᵀ stored `[ckk, cout]`. `gemm` computes the row-major product as its transpose, where
    // the weight is the right side; with `cout` contiguous it is read in place instead of being
    // packed, by gathering, for every block (7 % of a 7×7 input gradient).
    let wt = transposed(&contiguous_cow(w, wl), cout, ckk);
    let per = g.samples_per_block(n);
    let (masks, mask_ld) = g.block_masks::<T>(per);
    // cols = Wᵀ · [g_0 … g_S-1].
    let run = |first: usize, dst: &mut [MaybeUninit<T>], bufs: &mut Scratch<T>, par: Parallelism| {
        let count = dst.len() / in_size;
        let gs = &gr[first * cout * ohw..(first + count) * cout * ohw];
        if g.is_pointwise() {
            unsafe {
                gemm_strided(
                    (ckk, ohw, cout),
                    dst.as_mut_ptr().cast::<T>(),
                    (ohw, 1),
                    false,
                    wt.as_ptr(),
                    (cout, 1),
                    gs.as_ptr(),
                    (ohw, 1),
                    par,
                )
            };
            return;
        }
        let ld = count * ohw;
        let (col, gmat) = bufs;
        let rhs = if count == 1 {
            gs.as_ptr()
        } else {
            samples_to_columns(gs, cout, ohw, buffers::scratch(gmat, cout * ld)).as_ptr()
        };
        let col = buffers::scratch(col, ckk * ld);
        unsafe {
            gemm_strided(
                (ckk, ld, cout),
                col.as_mut_ptr().cast::<T>(),
                (ld, 1),
                false,
                wt.as_ptr(),
                (cout, 1),
                rhs,
                (ld, 1),
                par,
            )
        };
        // SAFETY: the GEMM wrote the whole product.
        let col = unsafe { buffers::assume_written(col) };
        match &masks {
            Some(masks) if count == 1 => g.col2im_block(col, ld, masks, mask_ld, dst),
            Some(masks) => {
                // The block's planes side by side, then back to samples.
                let planes = buffers::scratch(gmat, cin * ld);
                g.col2im_block(col, ld, masks, mask_ld, planes);
                // SAFETY: col2im_block clears every plane before adding into it.
                columns_to_samples(unsafe { buffers::assume_written(planes) }, cin, ohw, dst);
            }
            None => {
                // Cleared block by block where it is added into (the block stays in cache).
                let dst = buffers::clear(dst);
                for s in 0..count {
                    g.col2im(col, ld, s * ohw, &mut dst[s * in_size..(s + 1) * in_size]);
                }
            }
        }
    };
    for_each_block(&mut dx, in_size, per, cout * ohw * ckk * per, run);
    // SAFETY: every block is written: by the GEMM (pointwise), by the copy out of the block's
    // planes, or cleared and then added into.
    unsafe { buffers::assume_init(dx) }
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
    let per = g.samples_per_block(n);
    let (masks, mask_ld) = g.block_masks::<T>(per);
    // Adds [g_0 … g_S-1] · [cols_0 … cols_S-1]ᵀ for every block of samples in `range`, into a
    // column-major `[cout, ckk]` accumulator. `gemm` computes a row-major product as its
    // transpose, which made the large column matrix the left side it packs by gathering one
    // element at a time (12 % of a 7×7 weight gradient); column-major, the gradient block is
    // the side packed (4.5× smaller at 7×7) and the columns are read in place.
    // `acc` is written by the range's first GEMM before anything reads it.
    let accumulate = |range: std::ops::Range<usize>, acc: *mut T, (col, gmat): &mut Scratch<T>, par: Parallelism| {
        let mut first = range.start;
        while first < range.end {
            let count = per.min(range.end - first);
            let ld = count * ohw;
            let gs = &gr[first * cout * ohw..(first + count) * cout * ohw];
            let xs = &x[first * in_size..(first + count) * in_size];
            let cols: &[T] = if g.is_pointwise() {
                xs
            } else {
                g.unroll_block(
                    xs,
                    count,
                    buffers::scratch(col, ckk * ld),
                    gmat,
                    masks.as_deref(),
                    mask_ld,
                )
            };
            let lhs: &[T] = if count == 1 {
                gs
            } else {
                samples_to_columns(gs, cout, ohw, buffers::scratch(gmat, cout * ld))
            };
            let accumulating = first > range.start;
            unsafe {
                gemm_strided(
                    (cout, ckk, ld),
                    acc,
                    (1, cout),
                    accumulating,
                    lhs.as_ptr(),
                    (ld, 1),
                    cols.as_ptr(),
                    (1, ld),
                    par,
                )
            };
            first += count;
        }
    };
    // The sum over a non-empty range of samples, in a new column-major accumulator.
    let range_sum = |range: std::ops::Range<usize>, scratch: &mut Scratch<T>, par: Parallelism| {
        let mut acc = buffers::uninit::<T>(wsize);
        accumulate(range, acc.as_mut_ptr().cast::<T>(), scratch, par);
        // SAFETY: written by the range's first GEMM (the range is not empty).
        unsafe { buffers::assume_init(acc) }
    };
    // Fixed partial sums over fixed sample ranges (block-aligned, none empty), added in order:
    // the result does not depend on the thread count.
    let blocks = n.div_ceil(per);
    let blocks_per_chunk = blocks.div_ceil(WEIGHT_GRAD_CHUNKS.min(blocks));
    let chunks = blocks.div_ceil(blocks_per_chunk);
    let range_of = |c: usize| c * blocks_per_chunk * per..((c + 1) * blocks_per_chunk * per).min(n);
    if chunks > 1 && chunks >= rayon::current_num_threads() {
        let partials: Vec<Vec<T>> = (0..chunks)
            .into_par_iter()
            // Scratch made once per rayon job, not per chunk.
            .map_init(Scratch::default, |scratch, c| {
                range_sum(range_of(c), scratch, Parallelism::None)
            })
            .collect();
        sum_transposed(&partials, ckk, cout)
    } else {
        let par = solo_parallelism(cout * ohw * ckk * per);
        transposed(&range_sum(0..n, &mut Scratch::default(), par), ckk, cout)
    }
}

/// The `[cols, rows]` transpose of the sum of `[rows, cols]` partial sums, added in their order
/// (the same sum whatever the thread count); the sum runs in parallel over contiguous slices.
fn sum_transposed<T: FloatElement>(parts: &[Vec<T>], rows: usize, cols: usize) -> Vec<T> {
    const SLICE: usize = 4096;
    let mut total = buffers::uninit::<T>(rows * cols);
    total.par_chunks_mut(SLICE).enumerate().for_each(|(i, dst)| {
        let at = i * SLICE..i * SLICE + dst.len();
        let dst = buffers::write_copy(dst, &parts[0][at.clone()]);
        for part in &parts[1..] {
            for (d, &v) in dst.iter_mut().zip(&part[at.clone()]) {
                *d += v;
            }
        }
    });
    // SAFETY: every slice is written by the copy of the first partial sum.
    transposed(&unsafe { buffers::assume_init(total) }, rows, cols)
}

/// The `[cols, rows]` transpose of a `[rows, cols]` matrix.
fn transposed<T: FloatElement>(m: &[T], rows: usize, cols: usize) -> Vec<T> {
    (0..cols)
        .flat_map(|c| (0..rows).map(move |r| m[r * cols + c]))
        .collect()
}
