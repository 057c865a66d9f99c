//! The forward Laplacian's activation step and the Linear after it, as one pass over memory
//! forward and one backward.
//!
//! Per sample, the step takes the pre-activation `z` (`[H]`, plus a bias), the C tangents `J`
//! (`[C, H]`: the Jacobian of `z` in p) and the Laplacian `L` (`[H]`), forms the packed state
//! `S` `[C + 2, H]` — row 0 `σ(z)`, rows `1..=C` `σ'(z)·J_i`, row `C + 1`
//! `σ'(z)·L + σ''(z)·Σ_i J_i²` — and writes `S·Wᵀ` `[C + 2, N]` for the next layer's weight
//! `W` `[N, H]`. `S` exists only a few samples at a time, in cache: it is the largest tensor
//! of the whole pass (`[B, C + 2, H]`), and the backward recomputes it instead of keeping it.
//! Composed from primitives the step was eleven passes over `[B, H]` or `[B, C, H]` tensors
//! forward and about twice as many backward per layer (see
//! `learnable::trace::tangent_activation`, which owns the differentiable rule).
//!
//! The backward, for the output gradient `G` `[C + 2, N]` per sample: `∂S = G·W`,
//! `∂W = Σ_b G_bᵀ·S_b`, then with `∂S`'s rows `g_z`, `G_i`, `g_L`:
//! - `∂z = g_z·σ' + (Σ_i G_i·J_i)·σ'' + g_L·(σ''·L + σ'''·Σ_i J_i²)`,
//! - `∂J_i = G_i·σ' + 2·g_L·σ''·J_i`,
//! - `∂L = g_L·σ'`.

use super::buffers;
use super::element::FloatElement;
use super::matmul::gemm_strided;
use gemm::Parallelism;
use rayon::prelude::*;

/// Where one batch's inputs lie. Sample `b`'s pre-activation is `z[b·z_stride..][..H]`, its
/// tangents `tangents[b·tangent_stride..][..C·H]` (stride 0: one block shared by every sample,
/// as the first layer's), its Laplacian `lap[b·lap_stride..][..H]` (none: zero).
#[derive(Copy, Clone)]
pub struct Inputs<'a, T> {
    pub batch: usize,
    pub directions: usize,
    pub width: usize,
    pub z: &'a [T],
    pub z_stride: usize,
    pub bias: Option<&'a [T]>,
    pub tangents: &'a [T],
    pub tangent_stride: usize,
    pub lap: Option<&'a [T]>,
    pub lap_stride: usize,
}

impl<'a, T: FloatElement> Inputs<'a, T> {
    /// The layout of a packed state `[B, C + 2, H]` (the previous step's output times a weight).
    pub fn packed(pre: &'a [T], batch: usize, directions: usize, width: usize, bias: Option<&'a [T]>) -> Self {
        let row = (directions + 2) * width;
        assert_eq!(
            pre.len(),
            batch * row,
            "tangent activation: packed input of {} elements for [{batch}, {}, {width}]",
            pre.len(),
            directions + 2
        );
        Inputs {
            batch,
            directions,
            width,
            z: pre,
            z_stride: row,
            bias,
            tangents: &pre[width..],
            tangent_stride: row,
            lap: Some(&pre[(directions + 1) * width..]),
            lap_stride: row,
        }
    }

    /// Separate `z` `[B, H]` and one tangent block `[C, H]` shared by every sample, no Laplacian.
    pub fn shared(z: &'a [T], tangents: &'a [T], batch: usize, directions: usize, width: usize) -> Self {
        assert!(
            z.len() == batch * width && tangents.len() == directions * width,
            "tangent activation: z of {} and tangents of {} elements for B = {batch}, C = {directions}, H = {width}",
            z.len(),
            tangents.len()
        );
        Inputs {
            batch,
            directions,
            width,
            z,
            z_stride: width,
            bias: None,
            tangents,
            tangent_stride: 0,
            lap: None,
            lap_stride: 0,
        }
    }

    /// Sample `b`'s pre-activation (bias added), into `out`.
    fn z_row(&self, b: usize, out: &mut [T]) {
        let z = &self.z[b * self.z_stride..][..self.width];
        match self.bias {
            Some(bias) => out.iter_mut().zip(z).zip(bias).for_each(|((o, &z), &c)| *o = z + c),
            None => out.copy_from_slice(z),
        }
    }

    fn tangent(&self, b: usize, i: usize) -> &'a [T] {
        &self.tangents[b * self.tangent_stride + i * self.width..][..self.width]
    }

    fn lap_row(&self, b: usize) -> Option<&'a [T]> {
        self.lap.map(|l| &l[b * self.lap_stride..][..self.width])
    }
}

/// Per-task scratch rows of width H.
struct Scratch<T> {
    /// The pre-activation `z` (bias added).
    pre: Vec<T>,
    /// `Σ_i J_i²`; in the backward reused for the coefficient of `J_i` in `∂J_i`.
    norms: Vec<T>,
    /// `Σ_i G_i·J_i` (backward only).
    dots: Vec<T>,
}

impl<T: FloatElement> Scratch<T> {
    fn new(width: usize) -> Self {
        let row = || vec![T::zero(); width];
        Scratch {
            pre: row(),
            norms: row(),
            dots: row(),
        }
    }
}

/// Samples per parallel task: about this many elements of `S` at a time (it stays in cache).
const TASK_ELEMENTS: usize = 1 << 14;

fn samples_per_task<T>(inputs: &Inputs<'_, T>, out_width: usize) -> usize {
    let row = (inputs.directions + 2) * inputs.width.max(out_width);
    (TASK_ELEMENTS / row.max(1)).clamp(1, inputs.batch.max(1))
}

/// Sample `b`'s activation rows `[4, H]`: `σ`, `σ'`, `σ''` and `σ'''` at its `z`.
#[inline(always)]
fn fill_activation<T: FloatElement>(
    inputs: &Inputs<'_, T>,
    b: usize,
    z: &mut [T],
    act: &mut [T],
    derivatives: &impl Fn(T) -> [T; 4],
) {
    let h = inputs.width;
    inputs.z_row(b, z);
    let (f0, rest) = act.split_at_mut(h);
    let (f1, rest) = rest.split_at_mut(h);
    let (f2, f3) = rest.split_at_mut(h);
    for ((((f0, f1), f2), f3), &z) in f0.iter_mut().zip(f1).zip(f2).zip(f3).zip(z.iter()) {
        [*f0, *f1, *f2, *f3] = derivatives(z);
    }
}

/// Sample `b`'s packed state `[C + 2, H]` into `dst`, from its activation rows.
fn fill_state<T: FloatElement>(inputs: &Inputs<'_, T>, b: usize, norms: &mut [T], act: &[T], dst: &mut [T]) {
    let (c, h) = (inputs.directions, inputs.width);
    let (value, d1, d2) = (&act[..h], &act[h..2 * h], &act[2 * h..3 * h]);
    let (value_out, rest) = dst.split_at_mut(h);
    value_out.copy_from_slice(value);
    norms.fill(T::zero());
    let (tangents, lap_out) = rest.split_at_mut(c * h);
    for (i, t_out) in tangents.chunks_mut(h).enumerate() {
        let t = inputs.tangent(b, i);
        for (((o, &t), &d1), n) in t_out.iter_mut().zip(t).zip(d1).zip(norms.iter_mut()) {
            *o = d1 * t;
            *n += t * t;
        }
    }
    match inputs.lap_row(b) {
        Some(l) => {
            for ((((o, &l), &d1), &d2), &n) in lap_out.iter_mut().zip(l).zip(d1).zip(d2).zip(norms.iter()) {
                *o = d1 * l + d2 * n;
            }
        }
        None => {
            for ((o, &d2), &n) in lap_out.iter_mut().zip(d2).zip(norms.iter()) {
                *o = d2 * n;
            }
        }
    }
}

/// Sample `b`'s input gradient `[C + 2, H]` (rows `∂z`, `∂J_i`, `∂L`) into `dst`, from its state
/// gradient `g` `[C + 2, H]` and its activation rows.
fn fill_input_grad<T: FloatElement>(
    inputs: &Inputs<'_, T>,
    b: usize,
    s: &mut Scratch<T>,
    g: &[T],
    act: &[T],
    dst: &mut [T],
) {
    let (c, h) = (inputs.directions, inputs.width);
    let (d1, d2, d3) = (&act[h..2 * h], &act[2 * h..3 * h], &act[3 * h..4 * h]);
    let two = T::one() + T::one();
    let (g_z, g_rest) = g.split_at(h);
    let (g_tangents, g_lap) = g_rest.split_at(c * h);
    let (norms, dots) = (&mut s.norms, &mut s.dots);
    norms.fill(T::zero());
    dots.fill(T::zero());
    for (i, gt) in g_tangents.chunks(h).enumerate() {
        let t = inputs.tangent(b, i);
        for (((n, d), &t), &gt) in norms.iter_mut().zip(dots.iter_mut()).zip(t).zip(gt) {
            *n += t * t;
            *d += gt * t;
        }
    }
    let (dz, rest) = dst.split_at_mut(h);
    let (d_tangents, d_lap) = rest.split_at_mut(c * h);
    let lap = inputs.lap_row(b);
    for k in 0..h {
        let (d1, d2, gl) = (d1[k], d2[k], g_lap[k]);
        let l = lap.map_or(T::zero(), |l| l[k]);
        dz[k] = g_z[k] * d1 + dots[k] * d2 + gl * (d2 * l + d3[k] * norms[k]);
        d_lap[k] = gl * d1;
        // Reused: the coefficient of J_i in ∂J_i.
        norms[k] = two * gl * d2;
    }
    for (i, (dt, gt)) in d_tangents.chunks_mut(h).zip(g_tangents.chunks(h)).enumerate() {
        let t = inputs.tangent(b, i);
        for ((((o, &gt), &t), &d1), &coef) in dt.iter_mut().zip(gt).zip(t).zip(d1).zip(norms.iter()) {
            *o = gt * d1 + coef * t;
        }
    }
}

/// `dst[m×n] (+)= lhs[m×k]·rhs[k×n]` on slices, on this thread; strides are (row, column).
fn product<T: FloatElement>(
    (m, n, k): (usize, usize, usize),
    dst: &mut [T],
    accumulate: bool,
    (lhs, lhs_strides): (&[T], (usize, usize)),
    (rhs, rhs_strides): (&[T], (usize, usize)),
) {
    let last = |(r, c): (usize, usize), rows: usize, cols: usize| (rows.max(1) - 1) * r + (cols.max(1) - 1) * c;
    assert!(
        dst.len() >= m * n && lhs.len() > last(lhs_strides, m, k) && rhs.len() > last(rhs_strides, k, n),
        "tangent activation: product operands too short for {m}×{k}·{k}×{n}"
    );
    // SAFETY: the extents were checked above, and `dst` is a unique borrow, so it aliases
    // neither input.
    unsafe {
        gemm_strided(
            (m, n, k),
            dst.as_mut_ptr(),
            (n, 1),
            accumulate,
            lhs.as_ptr(),
            lhs_strides,
            rhs.as_ptr(),
            rhs_strides,
            Parallelism::None,
        )
    }
}

/// A buffer every element of which the caller writes before reading it.
fn unwritten<T: FloatElement>(len: usize) -> Vec<T> {
    // SAFETY: floats have no invalid bit patterns, and every caller writes each element before
    // reading it (stale values never reach a result).
    unsafe { buffers::assume_init(buffers::uninit(len)) }
}

/// `S·Wᵀ`, `[B, C + 2, N]`, for the weight `W` `[N, H]` (row-major), and the activation rows
/// `[B, 4, H]` the backward reads; `derivatives(z)` is `[σ(z), σ'(z), σ''(z), σ'''(z)]`.
pub fn forward<T: FloatElement>(
    inputs: &Inputs<'_, T>,
    weight: &[T],
    out_width: usize,
    derivatives: impl Fn(T) -> [T; 4] + Sync,
) -> (Vec<T>, Vec<T>) {
    let (h, n, rows) = (inputs.width, out_width, inputs.directions + 2);
    assert_eq!(
        weight.len(),
        n * h,
        "tangent activation: weight of {} elements for [{n}, {h}]",
        weight.len()
    );
    let per_task = samples_per_task(inputs, n);
    let mut out = unwritten(inputs.batch * rows * n);
    let mut act = unwritten(inputs.batch * 4 * h);
    if out.is_empty() || act.is_empty() {
        out.fill(T::zero());
        act.fill(T::zero());
        return (out, act);
    }
    out.par_chunks_mut(per_task * rows * n)
        .zip(act.par_chunks_mut(per_task * 4 * h))
        .enumerate()
        .for_each(|(task, (dst, act))| {
            let samples = dst.len() / (rows * n);
            let mut scratch = Scratch::new(h);
            let mut state = unwritten(samples * rows * h);
            for (j, (block, act)) in state.chunks_mut(rows * h).zip(act.chunks_mut(4 * h)).enumerate() {
                let b = task * per_task + j;
                fill_activation(inputs, b, &mut scratch.pre, act, &derivatives);
                fill_state(inputs, b, &mut scratch.norms, act, block);
            }
            // [samples·(C + 2), H]·Wᵀ with Wᵀ[k, j] = W[j·H + k].
            product((samples * rows, n, h), dst, false, (&state, (h, 1)), (weight, (1, h)));
        });
    (out, act)
}
/// The gradients of [`forward`]'s inputs.
pub struct Gradients<T> {
    /// Packed inputs: `[B, C + 2, H]` (rows `∂z`, `∂J_i`, `∂L`); shared tangents: `∂z` `[B, H]`.
    pub input: Vec<T>,
    /// Shared tangents only: `∂J` `[C, H]`, summed over the batch.
    pub shared_tangents: Option<Vec<T>>,
    /// `∂W` `[N, H]`.
    pub weight: Vec<T>,
}

/// One task's sums of the gradients that every sample adds to.
struct Sums<T> {
    weight: Vec<T>,
    tangents: Option<Vec<T>>,
}

impl<T: FloatElement> Sums<T> {
    fn add(mut self, other: Sums<T>) -> Sums<T> {
        self.weight.iter_mut().zip(&other.weight).for_each(|(a, &b)| *a += b);
        if let (Some(a), Some(b)) = (&mut self.tangents, &other.tangents) {
            a.iter_mut().zip(b).for_each(|(a, &b)| *a += b);
        }
        self
    }
}

/// The gradients of [`forward`]'s inputs for the output gradient `grad` `[B, C + 2, N]`
/// (contiguous) and the forward's activation rows `act`. `S` is recomputed a task's samples at
/// a time.
pub fn backward<T: FloatElement>(
    inputs: &Inputs<'_, T>,
    weight: &[T],
    out_width: usize,
    grad: &[T],
    act: &[T],
) -> Gradients<T> {
    let (c, h, n) = (inputs.directions, inputs.width, out_width);
    let rows = c + 2;
    assert_eq!(
        grad.len(),
        inputs.batch * rows * n,
        "tangent activation backward: gradient of {} elements for [{}, {rows}, {n}]",
        grad.len(),
        inputs.batch
    );
    assert_eq!(
        act.len(),
        inputs.batch * 4 * h,
        "tangent activation backward: activation rows"
    );
    let shared = inputs.tangent_stride == 0;
    // With shared tangents only ∂z is kept per sample; ∂J is summed in the task.
    let input_row = if shared { h } else { rows * h };
    let per_task = samples_per_task(inputs, n);
    let mut input = unwritten(inputs.batch * input_row);
    let zero_sums = || Sums {
        weight: vec![T::zero(); n * h],
        tangents: shared.then(|| vec![T::zero(); c * h]),
    };
    if input.is_empty() {
        let sums = zero_sums();
        return Gradients {
            input,
            shared_tangents: sums.tangents,
            weight: sums.weight,
        };
    }
    let sums = input
        .par_chunks_mut(per_task * input_row)
        .enumerate()
        .fold(zero_sums, |mut sums, (task, dst)| {
            let samples = dst.len() / input_row;
            let first = task * per_task;
            let g = &grad[first * rows * n..][..samples * rows * n];
            let act = &act[first * 4 * h..][..samples * 4 * h];
            let mut scratch = Scratch::new(h);
            let mut state = unwritten(samples * rows * h);
            let mut state_grad = unwritten(samples * rows * h);
            for (j, (block, act)) in state.chunks_mut(rows * h).zip(act.chunks(4 * h)).enumerate() {
                fill_state(inputs, first + j, &mut scratch.norms, act, block);
            }
            // ∂S = G·W ([samples·(C + 2), N]·[N, H]); ∂W += Gᵀ·S.
            product(
                (samples * rows, h, n),
                &mut state_grad,
                false,
                (g, (n, 1)),
                (weight, (h, 1)),
            );
            product(
                (n, h, samples * rows),
                &mut sums.weight,
                true,
                (g, (1, n)),
                (&state, (h, 1)),
            );
            for (j, (gs, act)) in state_grad.chunks(rows * h).zip(act.chunks(4 * h)).enumerate() {
                let b = first + j;
                // The state is no longer needed: its block takes the sample's gradient.
                let sample = &mut state[j * rows * h..][..rows * h];
                match &mut sums.tangents {
                    None => fill_input_grad(inputs, b, &mut scratch, gs, act, &mut dst[j * input_row..][..input_row]),
                    Some(acc) => {
                        fill_input_grad(inputs, b, &mut scratch, gs, act, sample);
                        dst[j * h..][..h].copy_from_slice(&sample[..h]);
                        acc.iter_mut().zip(&sample[h..][..c * h]).for_each(|(a, &v)| *a += v);
                    }
                }
            }
            sums
        })
        .reduce(zero_sums, Sums::add);
    Gradients {
        input,
        shared_tangents: sums.tangents,
        weight: sums.weight,
    }
}
