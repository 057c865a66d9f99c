//! The fast CPU kernels (GEMM-backed matmul, im2col convolution and its two adjoints, max-pool
//! and its adjoint) checked against naive reference implementations written here as plain
//! nested loops over `Vec<f64>`.
//!
//! The kernels take shortcuts — strided GEMM without copies, unrolled patches with clipped
//! ranges, a 1×1 fast path, per-sample and per-batch parallel paths, multi-threaded GEMM — and
//! every shortcut is a place for an off-by-one. So each test draws many shapes and geometries
//! from a seeded [`Generator`] (including sizes 1, odd sizes and non-contiguous views), runs
//! the kernel in `F64` and `F32`, and compares every element with the reference.
//!
//! Tolerances are relative to the sum of the absolute values of the terms of each output element
//! (the reference run on `|inputs|`), which bounds any summation-order rounding, so cancellation
//! cannot cause false failures while a missing or extra term still fails: `1e-10` in `F64` and
//! `1e-4` in `F32`. Max-pool values and indices involve no arithmetic and are compared exactly.
//! The references read tensors only through contiguous host copies; views are mirrored on the
//! host ([`Host::permute`], [`Host::narrow`]) rather than read back through the library.

use learnloss::{Conv2dParams, DType, Device, Generator, Pool2dParams, Tensor};
use std::fmt::Debug;

const DTYPES: [DType; 2] = [DType::F64, DType::F32];

// ---------------------------------------------------------------------------------------------
// Helpers: host mirrors of tensors, random draws, comparisons
// ---------------------------------------------------------------------------------------------

/// Relative tolerance (against the sum of absolute terms) for a dtype.
fn rtol(dtype: DType) -> f64 {
    match dtype {
        DType::F64 => 1e-10,
        DType::F32 => 1e-4,
        other => panic!("no tolerance for {other:?}"),
    }
}

/// A row-major host copy of a tensor's logical values, used by the references.
#[derive(Clone, Debug)]
struct Host {
    data: Vec<f64>,
    shape: Vec<usize>,
}

impl Host {
    /// The values of a freshly created (contiguous) tensor.
    fn of(t: &Tensor) -> Host {
        assert!(
            t.is_contiguous(),
            "Host::of expects a contiguous tensor, got shape {:?}",
            t.shape()
        );
        Host {
            data: t.to_f64_vec(),
            shape: t.shape().to_vec(),
        }
    }

    fn abs(&self) -> Host {
        Host {
            data: self.data.iter().map(|v| v.abs()).collect(),
            shape: self.shape.clone(),
        }
    }

    /// Result dimension `i` is dimension `perm[i]` (as `Tensor::permute`).
    fn permute(&self, perm: &[usize]) -> Host {
        let shape: Vec<usize> = perm.iter().map(|&p| self.shape[p]).collect();
        let src_strides = strides(&self.shape);
        let data = (0..self.data.len())
            .map(|flat| {
                let idx = unravel(flat, &shape);
                let src: usize = idx.iter().zip(perm).map(|(&i, &p)| i * src_strides[p]).sum();
                self.data[src]
            })
            .collect();
        Host { data, shape }
    }

    /// `len` entries of `dim` from `start` (as `Tensor::narrow`).
    fn narrow(&self, dim: usize, start: usize, len: usize) -> Host {
        let mut shape = self.shape.clone();
        shape[dim] = len;
        let src_strides = strides(&self.shape);
        let n: usize = shape.iter().product();
        let data = (0..n)
            .map(|flat| {
                let mut idx = unravel(flat, &shape);
                idx[dim] += start;
                let src: usize = idx.iter().zip(&src_strides).map(|(i, s)| i * s).sum();
                self.data[src]
            })
            .collect();
        Host { data, shape }
    }

    /// Matrix transpose of the last two dimensions (as `Tensor::mt`).
    fn mt(&self) -> Host {
        let r = self.shape.len();
        let mut perm: Vec<usize> = (0..r).collect();
        perm.swap(r - 2, r - 1);
        self.permute(&perm)
    }
}

fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * shape[d + 1];
    }
    s
}

fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        idx[d] = flat % shape[d];
        flat /= shape[d];
    }
    idx
}

/// A standard-normal tensor and its host copy.
fn randn(shape: &[usize], dtype: DType, gen: &mut Generator) -> (Tensor, Host) {
    let t = Tensor::randn(shape, dtype, &Device::Cpu, gen);
    let h = Host::of(&t);
    (t, h)
}

/// A tensor holding exactly `host` (rounded to `dtype`), and the rounded host values.
fn tensor_of(host: &Host, dtype: DType) -> (Tensor, Host) {
    let t = Tensor::from_f64s(&host.data, &host.shape, dtype, &Device::Cpu);
    let h = Host::of(&t);
    (t, h)
}

/// A uniform integer in `lo..=hi`.
fn pick(gen: &mut Generator, lo: usize, hi: usize) -> usize {
    lo + gen.below((hi - lo + 1) as u64) as usize
}

/// Checks shape and dtype of `actual`, then every element against `expected` within
/// `rtol · magnitude` (the per-element sum of absolute terms). NaN never passes.
fn assert_close(what: &str, actual: &Tensor, dtype: DType, expected: &Host, magnitude: &Host) {
    assert_eq!(actual.shape(), &expected.shape[..], "{what}: wrong output shape");
    assert_eq!(actual.dtype(), dtype, "{what}: wrong output dtype");
    let got = actual.to_f64_vec();
    let tol = rtol(dtype);
    let mut bad = 0;
    let mut first = None;
    for (i, ((&a, &e), &m)) in got.iter().zip(&expected.data).zip(&magnitude.data).enumerate() {
        let err = (a - e).abs();
        #[allow(clippy::neg_cmp_op_on_partial_ord)]
        if !(err <= tol * m) {
            bad += 1;
            first.get_or_insert((i, a, e, err, m));
        }
    }
    if let Some((i, a, e, err, m)) = first {
        panic!(
            "{what}: {bad} of {} values out of tolerance; first at index {:?} of shape {:?}: \
             got {a:e}, expected {e:e} (|error| {err:.3e} > rtol {tol:e} x magnitude {m:.3e})",
            got.len(),
            unravel(i, &expected.shape),
            expected.shape
        );
    }
}

/// Exact element-wise equality, naming the first differing position.
fn assert_same<T: PartialEq + Debug>(what: &str, shape: &[usize], actual: &[T], expected: &[T]) {
    assert_eq!(
        actual.len(),
        expected.len(),
        "{what}: {} values, expected {}",
        actual.len(),
        expected.len()
    );
    let bad = actual.iter().zip(expected).filter(|(a, e)| a != e).count();
    if let Some(i) = actual.iter().zip(expected).position(|(a, e)| a != e) {
        panic!(
            "{what}: {bad} of {} values differ; first at index {:?} of shape {shape:?}: got {:?}, expected {:?}",
            actual.len(),
            unravel(i, shape),
            actual[i],
            expected[i]
        );
    }
}

/// Runs a kernel call, turning a panic inside the library into one that names the case.
fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> T {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|e| {
        let msg = e
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| e.downcast_ref::<&str>().copied())
            .unwrap_or("(no message)");
        panic!("{what}: the library panicked: {msg}")
    })
}

/// Output length along one axis of a convolution or pooling window:
/// `floor((size + 2·padding − dilation·(kernel − 1) − 1) / stride) + 1`, or `None` when the
/// dilated kernel is longer than the padded input.
fn out_len(size: usize, kernel: usize, stride: usize, padding: usize, dilation: usize) -> Option<usize> {
    let padded = size + 2 * padding;
    let span = dilation * (kernel - 1) + 1;
    (span <= padded).then(|| (padded - span) / stride + 1)
}

/// `sum_i a_i b_i` over host values.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

// ---------------------------------------------------------------------------------------------
// Matmul
// ---------------------------------------------------------------------------------------------

/// PyTorch `matmul` by definition: a 1-D left operand is a row `[1, k]`, a 1-D right operand a
/// column `[k, 1]` (the added dimension is dropped from the result), batch dimensions broadcast
/// numpy-style (right-aligned, size 1 repeats).
fn naive_matmul(a: &Host, b: &Host) -> Host {
    let a_shape = if a.shape.len() == 1 {
        vec![1, a.shape[0]]
    } else {
        a.shape.clone()
    };
    let b_shape = if b.shape.len() == 1 {
        vec![b.shape[0], 1]
    } else {
        b.shape.clone()
    };
    let (ra, rb) = (a_shape.len(), b_shape.len());
    let (m, k) = (a_shape[ra - 2], a_shape[ra - 1]);
    let (k2, n) = (b_shape[rb - 2], b_shape[rb - 1]);
    assert_eq!(k, k2, "naive_matmul: inner dimensions differ");
    let rank = (ra - 2).max(rb - 2);
    let pad = |s: &[usize]| -> Vec<usize> {
        let mut v = vec![1; rank - s.len()];
        v.extend_from_slice(s);
        v
    };
    let (ab, bb) = (pad(&a_shape[..ra - 2]), pad(&b_shape[..rb - 2]));
    let batch: Vec<usize> = (0..rank)
        .map(|d| {
            assert!(
                ab[d] == bb[d] || ab[d] == 1 || bb[d] == 1,
                "naive_matmul: batch dims do not broadcast"
            );
            if ab[d] == 1 {
                bb[d]
            } else {
                ab[d]
            }
        })
        .collect();
    let nb: usize = batch.iter().product();
    let mut out = vec![0.0; nb * m * n];
    for bi in 0..nb {
        // Which matrix of each operand this output batch entry reads (size-1 dims repeat).
        let idx = unravel(bi, &batch);
        let (mut ia, mut ib) = (0, 0);
        for d in 0..rank {
            ia = ia * ab[d] + if ab[d] == 1 { 0 } else { idx[d] };
            ib = ib * bb[d] + if bb[d] == 1 { 0 } else { idx[d] };
        }
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0;
                for l in 0..k {
                    s += a.data[(ia * m + i) * k + l] * b.data[(ib * k + l) * n + j];
                }
                out[(bi * m + i) * n + j] = s;
            }
        }
    }
    let mut shape = batch;
    if a.shape.len() > 1 {
        shape.push(m);
    }
    if b.shape.len() > 1 {
        shape.push(n);
    }
    Host { data: out, shape }
}

/// Runs `a.matmul(b)` and compares with the reference on the host values of the operands.
fn check_matmul(what: &str, dtype: DType, a: &Tensor, ah: &Host, b: &Tensor, bh: &Host) {
    assert_eq!(
        a.shape(),
        &ah.shape[..],
        "{what}: test bug, lhs mirror has the wrong shape"
    );
    assert_eq!(
        b.shape(),
        &bh.shape[..],
        "{what}: test bug, rhs mirror has the wrong shape"
    );
    let what = format!("{what} [{dtype:?}] {:?} x {:?}", ah.shape, bh.shape);
    let out = guarded(&what, || a.matmul(b));
    let expected = naive_matmul(ah, bh);
    let magnitude = naive_matmul(&ah.abs(), &bh.abs());
    assert_close(&what, &out, dtype, &expected, &magnitude);
}

/// Draws contiguous operands of the given shapes and checks their product.
fn check_matmul_shapes(what: &str, dtype: DType, a_shape: &[usize], b_shape: &[usize], gen: &mut Generator) {
    let (a, ah) = randn(a_shape, dtype, gen);
    let (b, bh) = randn(b_shape, dtype, gen);
    check_matmul(what, dtype, &a, &ah, &b, &bh);
}

#[test]
fn matmul_2d_matches_naive() {
    let mut gen = Generator::new(1);
    let edge = [
        (1, 1, 1),
        (1, 1, 70),
        (1, 70, 1),
        (70, 1, 1),
        (70, 70, 1),
        (1, 70, 70),
        (3, 5, 7),
        (17, 1, 33),
        (64, 64, 64),
    ];
    for dtype in DTYPES {
        for &(m, k, n) in &edge {
            check_matmul_shapes("2-D edge shape", dtype, &[m, k], &[k, n], &mut gen);
        }
        for case in 0..60 {
            let (m, k, n) = (pick(&mut gen, 1, 70), pick(&mut gen, 1, 70), pick(&mut gen, 1, 70));
            check_matmul_shapes(&format!("2-D random case {case}"), dtype, &[m, k], &[k, n], &mut gen);
        }
    }
}

#[test]
fn matmul_batched_3d_matches_naive() {
    let mut gen = Generator::new(2);
    for dtype in DTYPES {
        for case in 0..25 {
            let b = pick(&mut gen, 1, 6);
            let (m, k, n) = (pick(&mut gen, 1, 40), pick(&mut gen, 1, 40), pick(&mut gen, 1, 40));
            check_matmul_shapes(
                &format!("3-D random case {case}"),
                dtype,
                &[b, m, k],
                &[b, k, n],
                &mut gen,
            );
        }
    }
}

#[test]
fn matmul_broadcasts_batch_dimensions() {
    let mut gen = Generator::new(3);
    for dtype in DTYPES {
        let fixed: [(&[usize], &[usize]); 8] = [
            (&[5, 7], &[3, 7, 4]),          // matrix times a batch
            (&[3, 5, 7], &[7, 4]),          // batch times a matrix
            (&[2, 1, 5, 7], &[3, 7, 4]),    // [b,1,m,k] x [c,k,n] -> [b,c,m,n]
            (&[1, 3, 5, 7], &[2, 1, 7, 4]), // both operands broadcast
            (&[2, 3, 1, 7], &[3, 7, 1]),    // m = n = 1
            (&[1, 1, 4, 3], &[2, 3, 3, 5]),
            (&[4, 1, 1, 6, 2], &[3, 5, 2, 9]),
            (&[1, 6, 2], &[4, 2, 9]),
        ];
        for (a, b) in fixed {
            check_matmul_shapes("broadcast fixed case", dtype, a, b, &mut gen);
        }
        // Random batch shapes of rank 0..=3 each, every dim independently 1 or shared.
        for case in 0..30 {
            let rank = pick(&mut gen, 0, 3);
            let full: Vec<usize> = (0..rank).map(|_| pick(&mut gen, 1, 4)).collect();
            let draw = |gen: &mut Generator| -> Vec<usize> {
                let r = pick(gen, 0, rank);
                full[rank - r..]
                    .iter()
                    .map(|&s| if gen.below(2) == 0 { 1 } else { s })
                    .collect()
            };
            let (mut a_shape, mut b_shape) = (draw(&mut gen), draw(&mut gen));
            let (m, k, n) = (pick(&mut gen, 1, 12), pick(&mut gen, 1, 12), pick(&mut gen, 1, 12));
            a_shape.extend_from_slice(&[m, k]);
            b_shape.extend_from_slice(&[k, n]);
            check_matmul_shapes(
                &format!("broadcast random case {case}"),
                dtype,
                &a_shape,
                &b_shape,
                &mut gen,
            );
        }
    }
}

#[test]
fn matmul_non_contiguous_operands() {
    let mut gen = Generator::new(4);
    for dtype in DTYPES {
        for case in 0..12 {
            let (m, k, n) = (pick(&mut gen, 1, 45), pick(&mut gen, 1, 45), pick(&mut gen, 1, 45));
            let what = format!("case {case}");
            // Transposed lhs, rhs, both.
            let (at, ath) = randn(&[k, m], dtype, &mut gen);
            let (bt, bth) = randn(&[n, k], dtype, &mut gen);
            let (a, ah) = randn(&[m, k], dtype, &mut gen);
            let (b, bh) = randn(&[k, n], dtype, &mut gen);
            check_matmul(&format!("{what}: lhs.mt()"), dtype, &at.mt(), &ath.mt(), &b, &bh);
            check_matmul(&format!("{what}: rhs.mt()"), dtype, &a, &ah, &bt.mt(), &bth.mt());
            check_matmul(
                &format!("{what}: both .mt()"),
                dtype,
                &at.mt(),
                &ath.mt(),
                &bt.mt(),
                &bth.mt(),
            );
            // Narrowed views: an offset and a row stride larger than the row.
            let (wide, wideh) = randn(&[m + 3, k + 4], dtype, &mut gen);
            let (av, avh) = (
                wide.narrow(0, 2, m).narrow(1, 3, k),
                wideh.narrow(0, 2, m).narrow(1, 3, k),
            );
            check_matmul(&format!("{what}: narrowed lhs"), dtype, &av, &avh, &bt.mt(), &bth.mt());
            // Batched permuted operands: [m, b, k] -> [b, m, k] and [n, k, b] -> [b, k, n].
            let batch = pick(&mut gen, 1, 4);
            let (ap, aph) = randn(&[m, batch, k], dtype, &mut gen);
            let (bp, bph) = randn(&[n, k, batch], dtype, &mut gen);
            check_matmul(
                &format!("{what}: permuted batches"),
                dtype,
                &ap.permute(&[1, 0, 2]),
                &aph.permute(&[1, 0, 2]),
                &bp.permute(&[2, 1, 0]),
                &bph.permute(&[2, 1, 0]),
            );
            // A broadcast (stride-0) batch operand made with expand, and a transposed 4-D one.
            let (e, eh) = randn(&[1, k, n], dtype, &mut gen);
            let (a3, a3h) = randn(&[batch, m, k], dtype, &mut gen);
            let expanded = e.expand(&[batch, k, n]);
            let expandedh = Host {
                data: eh.data.repeat(batch),
                shape: vec![batch, k, n],
            };
            check_matmul(
                &format!("{what}: expanded rhs"),
                dtype,
                &a3,
                &a3h,
                &expanded,
                &expandedh,
            );
            let (a4, a4h) = randn(&[2, batch, k, m], dtype, &mut gen);
            check_matmul(
                &format!("{what}: 4-D lhs.mt() x 3-D rhs.mt()"),
                dtype,
                &a4.mt(),
                &a4h.mt(),
                &bp.permute(&[2, 1, 0]),
                &bph.permute(&[2, 1, 0]),
            );
        }
    }
}

#[test]
fn matmul_one_dimensional_operands() {
    let mut gen = Generator::new(5);
    for dtype in DTYPES {
        for case in 0..10 {
            let (m, k, n, b) = (
                pick(&mut gen, 1, 30),
                pick(&mut gen, 1, 30),
                pick(&mut gen, 1, 30),
                pick(&mut gen, 1, 4),
            );
            let what = format!("1-D case {case}");
            check_matmul_shapes(&format!("{what}: dot"), dtype, &[k], &[k], &mut gen);
            check_matmul_shapes(&format!("{what}: vector x matrix"), dtype, &[k], &[k, n], &mut gen);
            check_matmul_shapes(&format!("{what}: matrix x vector"), dtype, &[m, k], &[k], &mut gen);
            check_matmul_shapes(&format!("{what}: vector x batch"), dtype, &[k], &[b, k, n], &mut gen);
            check_matmul_shapes(&format!("{what}: batch x vector"), dtype, &[b, 2, m, k], &[k], &mut gen);
            // A strided vector (a column of a matrix) on each side.
            let (c, ch) = randn(&[k, 3], dtype, &mut gen);
            let col = c.narrow(1, 1, 1).reshape(&[k]);
            let colh = Host {
                data: ch.narrow(1, 1, 1).data,
                shape: vec![k],
            };
            let (mat, math) = randn(&[m, k], dtype, &mut gen);
            check_matmul(
                &format!("{what}: matrix x strided vector"),
                dtype,
                &mat,
                &math,
                &col,
                &colh,
            );
            check_matmul(
                &format!("{what}: strided vector x matrix.mt()"),
                dtype,
                &col,
                &colh,
                &mat.mt(),
                &math.mt(),
            );
        }
        // The dot product really is 0-dimensional.
        let (a, ah) = randn(&[7], dtype, &mut gen);
        let (b, bh) = randn(&[7], dtype, &mut gen);
        let d = a.matmul(&b);
        assert!(
            d.shape().is_empty(),
            "dot [{dtype:?}]: expected a 0-d result, got shape {:?}",
            d.shape()
        );
        let expected = dot(&ah.data, &bh.data);
        let bound = dot(&ah.abs().data, &bh.abs().data);
        assert!(
            (d.item() - expected).abs() <= rtol(dtype) * bound,
            "dot [{dtype:?}]: got {}, expected {expected}",
            d.item()
        );
    }
}

/// Large enough (m·n·k ≥ 2^18) that a single product uses the multi-threaded GEMM.
#[test]
fn matmul_large_product_multithreaded() {
    let mut gen = Generator::new(6);
    for dtype in DTYPES {
        check_matmul_shapes("large 300x200x250", dtype, &[300, 200], &[200, 250], &mut gen);
        let (a, ah) = randn(&[200, 300], dtype, &mut gen);
        let (b, bh) = randn(&[251, 200], dtype, &mut gen);
        check_matmul(
            "large transposed 300x200x251",
            dtype,
            &a.mt(),
            &ah.mt(),
            &b.mt(),
            &bh.mt(),
        );
    }
    check_matmul_shapes(
        "large batched 2x130x129x131",
        DType::F32,
        &[2, 130, 129],
        &[2, 129, 131],
        &mut gen,
    );
}

/// Many small products (batch · m·n·k ≥ 2^18, each product small): one product per task.
#[test]
fn matmul_many_small_batches_parallel() {
    let mut gen = Generator::new(7);
    for dtype in DTYPES {
        check_matmul_shapes("64 batches of 16x16x16", dtype, &[64, 16, 16], &[64, 16, 16], &mut gen);
        check_matmul_shapes(
            "100 batches of 13x17x15",
            dtype,
            &[100, 13, 17],
            &[100, 17, 15],
            &mut gen,
        );
        check_matmul_shapes("8 batches of 70x69x68", dtype, &[8, 70, 69], &[8, 69, 68], &mut gen);
        check_matmul_shapes(
            "broadcast 8x8 batches of 16x16x16",
            dtype,
            &[8, 1, 16, 16],
            &[8, 16, 16],
            &mut gen,
        );
        let (a, ah) = randn(&[64, 16, 20], dtype, &mut gen);
        let (b, bh) = randn(&[64, 18, 16], dtype, &mut gen);
        check_matmul("64 transposed batches", dtype, &a.mt(), &ah.mt(), &b.mt(), &bh.mt());
    }
}

#[test]
fn matmul_empty_dimensions() {
    let mut gen = Generator::new(8);
    for dtype in DTYPES {
        // k = 0: an empty sum, so all zeros.
        check_matmul_shapes("k = 0", dtype, &[3, 0], &[0, 4], &mut gen);
        check_matmul_shapes("batched k = 0", dtype, &[2, 3, 0], &[2, 0, 4], &mut gen);
        check_matmul_shapes("m = 0", dtype, &[0, 5], &[5, 4], &mut gen);
        check_matmul_shapes("batch = 0", dtype, &[0, 3, 5], &[0, 5, 4], &mut gen);
    }
}

// ---------------------------------------------------------------------------------------------
// Conv2d and its adjoints
// ---------------------------------------------------------------------------------------------

/// One convolution geometry.
#[derive(Copy, Clone, Debug)]
struct ConvCase {
    n: usize,
    cin: usize,
    cout: usize,
    hw: [usize; 2],
    k: [usize; 2],
    p: Conv2dParams,
}

impl ConvCase {
    /// Output height and width, or `None` if the dilated kernel does not fit.
    fn out_hw(&self) -> Option<[usize; 2]> {
        let axis = |i: usize| {
            out_len(
                self.hw[i],
                self.k[i],
                self.p.stride[i],
                self.p.padding[i],
                self.p.dilation[i],
            )
        };
        Some([axis(0)?, axis(1)?])
    }

    fn x_shape(&self) -> Vec<usize> {
        vec![self.n, self.cin, self.hw[0], self.hw[1]]
    }
    fn w_shape(&self) -> Vec<usize> {
        vec![self.cout, self.cin, self.k[0], self.k[1]]
    }
    fn g_shape(&self) -> Vec<usize> {
        let [oh, ow] = self.out_hw().expect("geometry fits");
        vec![self.n, self.cout, oh, ow]
    }

    /// Calls `f(n, co, ci, oy, ox, ki, kj, iy, ix)` for every term `x[n,ci,iy,ix]·w[co,ci,ki,kj]`
    /// of `out[n,co,oy,ox]` whose input position lies inside the image.
    fn for_each_term(&self, mut f: impl FnMut([usize; 9])) {
        let [oh, ow] = self.out_hw().expect("geometry fits");
        let (s, p, d) = (self.p.stride, self.p.padding, self.p.dilation);
        for n in 0..self.n {
            for co in 0..self.cout {
                for oy in 0..oh {
                    for ox in 0..ow {
                        for ci in 0..self.cin {
                            for ki in 0..self.k[0] {
                                for kj in 0..self.k[1] {
                                    let iy = (oy * s[0] + ki * d[0]) as isize - p[0] as isize;
                                    let ix = (ox * s[1] + kj * d[1]) as isize - p[1] as isize;
                                    if iy < 0 || ix < 0 || iy >= self.hw[0] as isize || ix >= self.hw[1] as isize {
                                        continue;
                                    }
                                    f([n, co, ci, oy, ox, ki, kj, iy as usize, ix as usize]);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    fn xi(&self, n: usize, ci: usize, iy: usize, ix: usize) -> usize {
        ((n * self.cin + ci) * self.hw[0] + iy) * self.hw[1] + ix
    }
    fn wi(&self, co: usize, ci: usize, ki: usize, kj: usize) -> usize {
        ((co * self.cin + ci) * self.k[0] + ki) * self.k[1] + kj
    }
    fn gi(&self, n: usize, co: usize, oy: usize, ox: usize) -> usize {
        let [oh, ow] = self.out_hw().expect("geometry fits");
        ((n * self.cout + co) * oh + oy) * ow + ox
    }

    /// `out[n,co,oy,ox] = Σ_{ci,ki,kj} x[n,ci,oy·s0−p0+ki·d0, ox·s1−p1+kj·d1] · w[co,ci,ki,kj]`.
    fn forward(&self, x: &Host, w: &Host) -> Host {
        let shape = self.g_shape();
        let mut out = vec![0.0; shape.iter().product()];
        self.for_each_term(|[n, co, ci, oy, ox, ki, kj, iy, ix]| {
            out[self.gi(n, co, oy, ox)] += x.data[self.xi(n, ci, iy, ix)] * w.data[self.wi(co, ci, ki, kj)];
        });
        Host { data: out, shape }
    }

    /// `dx[n,ci,iy,ix] = Σ g[n,co,oy,ox] · w[co,ci,ki,kj]` over every term that reads `(iy, ix)`.
    fn input_grad(&self, g: &Host, w: &Host) -> Host {
        let shape = self.x_shape();
        let mut dx = vec![0.0; shape.iter().product()];
        self.for_each_term(|[n, co, ci, oy, ox, ki, kj, iy, ix]| {
            dx[self.xi(n, ci, iy, ix)] += g.data[self.gi(n, co, oy, ox)] * w.data[self.wi(co, ci, ki, kj)];
        });
        Host { data: dx, shape }
    }

    /// `dw[co,ci,ki,kj] = Σ_{n,oy,ox} g[n,co,oy,ox] · x[n,ci,…]`.
    fn weight_grad(&self, x: &Host, g: &Host) -> Host {
        let shape = self.w_shape();
        let mut dw = vec![0.0; shape.iter().product()];
        self.for_each_term(|[n, co, ci, oy, ox, ki, kj, iy, ix]| {
            dw[self.wi(co, ci, ki, kj)] += g.data[self.gi(n, co, oy, ox)] * x.data[self.xi(n, ci, iy, ix)];
        });
        Host { data: dw, shape }
    }
}

/// Checks forward, both adjoints and the adjoint identity for one geometry. The tensors may be
/// views; the hosts hold their logical values.
fn check_conv(
    what: &str,
    dtype: DType,
    c: &ConvCase,
    (x, xh): (&Tensor, &Host),
    (w, wh): (&Tensor, &Host),
    (g, gh): (&Tensor, &Host),
) {
    let what = format!("{what} [{dtype:?}] {c:?}");
    assert_eq!(
        c.p.output_size(c.hw, c.k),
        c.out_hw(),
        "{what}: Conv2dParams::output_size disagrees with the formula"
    );

    let y = guarded(&format!("{what}: conv2d"), || x.conv2d(w, &c.p));
    assert_close(
        &format!("{what}: conv2d"),
        &y,
        dtype,
        &c.forward(xh, wh),
        &c.forward(&xh.abs(), &wh.abs()),
    );

    let gx = guarded(&format!("{what}: conv2d_input_grad"), || {
        g.conv2d_input_grad(w, &c.p, c.hw)
    });
    assert_close(
        &format!("{what}: conv2d_input_grad"),
        &gx,
        dtype,
        &c.input_grad(gh, wh),
        &c.input_grad(&gh.abs(), &wh.abs()),
    );

    let gw = guarded(&format!("{what}: conv2d_weight_grad"), || {
        x.conv2d_weight_grad(g, &c.p, c.k)
    });
    assert_close(
        &format!("{what}: conv2d_weight_grad"),
        &gw,
        dtype,
        &c.weight_grad(xh, gh),
        &c.weight_grad(&xh.abs(), &gh.abs()),
    );

    // <g, conv(x, w)> = <input_grad(g, w), x> = <weight_grad(x, g), w>, all from kernel outputs.
    let bound = dot(&gh.abs().data, &c.forward(&xh.abs(), &wh.abs()).data);
    let via_forward = dot(&gh.data, &y.to_f64_vec());
    let via_input = dot(&gx.to_f64_vec(), &xh.data);
    let via_weight = dot(&gw.to_f64_vec(), &wh.data);
    let tol = 2.0 * rtol(dtype) * bound;
    assert!(
        (via_forward - via_input).abs() <= tol && (via_forward - via_weight).abs() <= tol,
        "{what}: adjoint identity fails: <g, conv(x,w)> = {via_forward:e}, <input_grad, x> = {via_input:e}, \
         <weight_grad, w> = {via_weight:e} (tolerance {tol:.3e})"
    );
}

/// Draws x, w and g of the case's shapes (contiguous) and checks them.
fn check_conv_random(what: &str, dtype: DType, c: &ConvCase, gen: &mut Generator) {
    let (x, xh) = randn(&c.x_shape(), dtype, gen);
    let (w, wh) = randn(&c.w_shape(), dtype, gen);
    let (g, gh) = randn(&c.g_shape(), dtype, gen);
    check_conv(what, dtype, c, (&x, &xh), (&w, &wh), (&g, &gh));
}

/// A random geometry (retrying until the kernel fits).
fn random_conv_case(gen: &mut Generator, n: usize) -> ConvCase {
    loop {
        let c = ConvCase {
            n,
            cin: pick(gen, 1, 5),
            cout: pick(gen, 1, 5),
            hw: [pick(gen, 1, 12), pick(gen, 1, 12)],
            k: if gen.below(3) == 0 {
                let k = pick(gen, 1, 7);
                [k, k]
            } else {
                [pick(gen, 1, 7), pick(gen, 1, 7)]
            },
            p: Conv2dParams {
                stride: [pick(gen, 1, 3), pick(gen, 1, 3)],
                padding: [pick(gen, 0, 3), pick(gen, 0, 3)],
                dilation: [pick(gen, 1, 2), pick(gen, 1, 2)],
            },
        };
        if c.out_hw().is_some() {
            return c;
        }
        assert_eq!(
            c.p.output_size(c.hw, c.k),
            None,
            "output_size accepts a kernel that does not fit: {c:?}"
        );
    }
}

#[test]
fn conv2d_random_geometries_match_naive() {
    let mut gen = Generator::new(10);
    for dtype in DTYPES {
        for case in 0..300 {
            let n = pick(&mut gen, 1, 4);
            let c = random_conv_case(&mut gen, n);
            check_conv_random(&format!("random case {case}"), dtype, &c, &mut gen);
        }
    }
}

/// Stride 1 with "same" width (2·padding = dilation·(kernel − 1)): the kernels copy whole runs
/// of joined rows and zero what wraps across row edges, so check every tap offset, dilations,
/// heights that do or do not match, and images so small that whole taps lie in padding.
#[test]
fn conv2d_same_width_stride_one_matches_naive() {
    let mut gen = Generator::new(12);
    for dtype in DTYPES {
        for (kw, dil) in [(1, 1), (3, 1), (3, 2), (5, 1), (7, 1), (5, 2)] {
            let pad = dil * (kw - 1) / 2;
            for (h, w, kh, pad_h) in [
                (7, 7, kw, pad),
                (5, 9, 3, 0),
                (1, 1, kw, pad),
                (2, 3, 1, 2),
                (12, 4, 2, 1),
            ] {
                let c = ConvCase {
                    n: pick(&mut gen, 1, 3),
                    cin: pick(&mut gen, 1, 4),
                    cout: pick(&mut gen, 1, 4),
                    hw: [h, w],
                    k: [kh, kw],
                    p: Conv2dParams {
                        stride: [1, 1],
                        padding: [pad_h, pad],
                        dilation: [1, dil],
                    },
                };
                if c.out_hw().is_some() {
                    check_conv_random("same width", dtype, &c, &mut gen);
                }
            }
        }
    }
}

#[test]
fn conv2d_fixed_geometries_match_naive() {
    let mut gen = Generator::new(11);
    let p = |stride: [usize; 2], padding: [usize; 2], dilation: [usize; 2]| Conv2dParams {
        stride,
        padding,
        dilation,
    };
    let cases = [
        // Kernel as large as the padded input: a single output position.
        ConvCase {
            n: 1,
            cin: 2,
            cout: 3,
            hw: [5, 5],
            k: [7, 7],
            p: p([1, 1], [1, 1], [1, 1]),
        },
        // 1×1 input, padding makes room for a 3×3 kernel.
        ConvCase {
            n: 2,
            cin: 1,
            cout: 2,
            hw: [1, 1],
            k: [3, 3],
            p: p([1, 1], [1, 1], [1, 1]),
        },
        // Output positions whose whole window lies in padding.
        ConvCase {
            n: 1,
            cin: 2,
            cout: 2,
            hw: [2, 3],
            k: [1, 1],
            p: p([1, 1], [3, 3], [1, 1]),
        },
        // Dilated, strided, asymmetric everything.
        ConvCase {
            n: 3,
            cin: 3,
            cout: 4,
            hw: [11, 7],
            k: [3, 2],
            p: p([2, 3], [2, 0], [2, 1]),
        },
        ConvCase {
            n: 2,
            cin: 5,
            cout: 1,
            hw: [12, 12],
            k: [5, 7],
            p: p([3, 1], [0, 3], [1, 2]),
        },
        // Stride larger than the kernel (input columns never read).
        ConvCase {
            n: 2,
            cin: 2,
            cout: 3,
            hw: [10, 9],
            k: [2, 2],
            p: p([3, 3], [0, 1], [1, 1]),
        },
        // 1×1 kernels that do not take the fast path.
        ConvCase {
            n: 2,
            cin: 3,
            cout: 4,
            hw: [7, 6],
            k: [1, 1],
            p: p([2, 1], [0, 0], [1, 1]),
        },
        ConvCase {
            n: 2,
            cin: 3,
            cout: 4,
            hw: [7, 6],
            k: [1, 1],
            p: p([1, 1], [1, 0], [1, 1]),
        },
    ];
    for dtype in DTYPES {
        for (i, c) in cases.iter().enumerate() {
            check_conv_random(&format!("fixed case {i}"), dtype, c, &mut gen);
        }
    }
}

/// Kernel taps that only ever read padding: a 1×1 image with a 1×7 kernel and padding 3 has
/// kernel columns left and right of the image for every output position. With stride 1 in
/// width, im2col must leave those rows zero rather than index outside the image.
#[test]
fn conv2d_kernel_taps_entirely_in_padding() {
    let mut gen = Generator::new(16);
    let p = |padding: [usize; 2]| Conv2dParams {
        stride: [1, 1],
        padding,
        dilation: [1, 1],
    };
    let cases = [
        ConvCase {
            n: 1,
            cin: 1,
            cout: 1,
            hw: [1, 1],
            k: [1, 7],
            p: p([0, 3]),
        },
        ConvCase {
            n: 1,
            cin: 1,
            cout: 1,
            hw: [1, 1],
            k: [1, 5],
            p: p([0, 2]),
        },
        ConvCase {
            n: 2,
            cin: 2,
            cout: 3,
            hw: [4, 2],
            k: [2, 7],
            p: p([0, 3]),
        },
        ConvCase {
            n: 2,
            cin: 3,
            cout: 2,
            hw: [3, 1],
            k: [3, 5],
            p: p([1, 2]),
        },
        // The same in height (rows are range-checked separately).
        ConvCase {
            n: 1,
            cin: 1,
            cout: 1,
            hw: [1, 1],
            k: [7, 1],
            p: p([3, 0]),
        },
        ConvCase {
            n: 2,
            cin: 2,
            cout: 3,
            hw: [2, 4],
            k: [7, 2],
            p: p([3, 0]),
        },
    ];
    for dtype in DTYPES {
        for (i, c) in cases.iter().enumerate() {
            check_conv_random(&format!("padding-only taps case {i}"), dtype, c, &mut gen);
        }
    }
}

/// 1×1 kernels with stride 1 and no padding skip im2col (the input is the GEMM operand).
#[test]
fn conv2d_pointwise_fast_path() {
    let mut gen = Generator::new(12);
    let pointwise = Conv2dParams::default();
    for dtype in DTYPES {
        for case in 0..12 {
            let n = [1, 2, 3, 9][case % 4];
            let c = ConvCase {
                n,
                cin: pick(&mut gen, 1, 8),
                cout: pick(&mut gen, 1, 8),
                hw: [pick(&mut gen, 1, 12), pick(&mut gen, 1, 12)],
                k: [1, 1],
                p: pointwise,
            };
            check_conv_random(&format!("pointwise case {case}"), dtype, &c, &mut gen);
        }
        // Pointwise on a non-contiguous (channels-last, then permuted) input.
        let c = ConvCase {
            n: 3,
            cin: 4,
            cout: 5,
            hw: [6, 7],
            k: [1, 1],
            p: pointwise,
        };
        let (xl, xlh) = randn(&[3, 6, 7, 4], dtype, &mut gen);
        let (w, wh) = randn(&c.w_shape(), dtype, &mut gen);
        let (g, gh) = randn(&c.g_shape(), dtype, &mut gen);
        let x = xl.permute(&[0, 3, 1, 2]);
        assert!(!x.is_contiguous());
        check_conv(
            "pointwise, channels-last input",
            dtype,
            &c,
            (&x, &xlh.permute(&[0, 3, 1, 2])),
            (&w, &wh),
            (&g, &gh),
        );
    }
}

/// N ≥ the thread count spreads samples over threads; N > 16 also puts several samples in one
/// weight-gradient partial sum.
#[test]
fn conv2d_many_samples_parallel_path() {
    let mut gen = Generator::new(13);
    for dtype in DTYPES {
        for (case, n) in [8, 9, 17, 20].into_iter().enumerate() {
            let c = random_conv_case(&mut gen, n);
            check_conv_random(&format!("batch case {case}"), dtype, &c, &mut gen);
        }
        let c = ConvCase {
            n: 12,
            cin: 3,
            cout: 4,
            hw: [9, 10],
            k: [3, 3],
            p: Conv2dParams {
                stride: [1, 2],
                padding: [1, 1],
                dilation: [1, 1],
            },
        };
        check_conv_random("batch of 12, 3x3", dtype, &c, &mut gen);
        // 7×7 "same" geometry: blocks of 11 samples, so 40 samples make four blocks (the last
        // one short) and the weight gradient's parallel partial sums.
        let c = ConvCase {
            n: 40,
            cin: 3,
            cout: 5,
            hw: [7, 7],
            k: [3, 3],
            p: Conv2dParams {
                stride: [1, 1],
                padding: [1, 1],
                dilation: [1, 1],
            },
        };
        check_conv_random("batch of 40, 7x7 same", dtype, &c, &mut gen);
        // 185 samples are 17 blocks (the last one short), whose partial sums take two blocks
        // each: nine partial sums, the last of one short block.
        let c185 = ConvCase { n: 185, ..c };
        check_conv_random("batch of 185, 7x7 same", dtype, &c185, &mut gen);
        // Planes of at least 512 positions are blocks of one sample.
        let c = ConvCase {
            n: 3,
            hw: [24, 23],
            ..c
        };
        check_conv_random("batch of 3, 24x23 same", dtype, &c, &mut gen);
        // Dilated "same" padding with an asymmetric kernel.
        let c = ConvCase {
            n: 30,
            hw: [6, 8],
            k: [3, 5],
            p: Conv2dParams {
                stride: [1, 1],
                padding: [2, 4],
                dilation: [2, 2],
            },
            ..c
        };
        check_conv_random("batch of 30, dilated same", dtype, &c, &mut gen);
    }
}

/// A single sample large enough (Cout·OH·OW·Cin·KH·KW ≥ 2^18) for the multi-threaded GEMM.
#[test]
fn conv2d_large_single_sample_multithreaded_gemm() {
    let mut gen = Generator::new(14);
    for dtype in DTYPES {
        let c = ConvCase {
            n: 1,
            cin: 16,
            cout: 16,
            hw: [32, 30],
            k: [3, 3],
            p: Conv2dParams {
                stride: [1, 1],
                padding: [1, 1],
                dilation: [1, 1],
            },
        };
        check_conv_random("large single sample", dtype, &c, &mut gen);
        let c = ConvCase {
            n: 1,
            cin: 32,
            cout: 24,
            hw: [20, 21],
            k: [1, 1],
            p: Conv2dParams::default(),
        };
        check_conv_random("large single sample, pointwise", dtype, &c, &mut gen);
    }
}

/// Permuted and narrowed views for every operand of every conv kernel.
#[test]
fn conv2d_non_contiguous_operands() {
    let mut gen = Generator::new(15);
    for dtype in DTYPES {
        let mut all_strided = 0;
        for case in 0..10 {
            let n = [1, 3][case % 2];
            let c = random_conv_case(&mut gen, n);
            let [h, w] = c.hw;
            let [oh, ow] = c.out_hw().expect("fits");
            // x: [Cin, N, H, W + 3] permuted to [N, Cin, H, W + 3], then narrowed in width.
            let (xb, xbh) = randn(&[c.cin, c.n, h, w + 3], dtype, &mut gen);
            let x = xb.permute(&[1, 0, 2, 3]).narrow(3, 2, w);
            let xh = xbh.permute(&[1, 0, 2, 3]).narrow(3, 2, w);
            // w: [Cin, Cout, KW, KH] permuted to [Cout, Cin, KH, KW].
            let (wb, wbh) = randn(&[c.cin, c.cout, c.k[1], c.k[0]], dtype, &mut gen);
            let wt = wb.permute(&[1, 0, 3, 2]);
            let wth = wbh.permute(&[1, 0, 3, 2]);
            // g: [N, Cout, OW, OH + 1], transposed and narrowed.
            let (gb, gbh) = randn(&[c.n, c.cout, ow, oh + 1], dtype, &mut gen);
            let g = gb.transpose(2, 3).narrow(2, 1, oh);
            let gh = gbh.permute(&[0, 1, 3, 2]).narrow(2, 1, oh);
            all_strided += usize::from(!x.is_contiguous() && !wt.is_contiguous() && !g.is_contiguous());
            check_conv(
                &format!("non-contiguous case {case}"),
                dtype,
                &c,
                (&x, &xh),
                (&wt, &wth),
                (&g, &gh),
            );
        }
        // Size-1 dimensions can make a view contiguous; most cases must not be.
        assert!(
            all_strided >= 6,
            "test bug: only {all_strided} cases with all three operands non-contiguous"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Max-pool
// ---------------------------------------------------------------------------------------------

/// PyTorch's `max_pool2d_with_indices` (ceil_mode = false) by definition: padding is -inf (never
/// selected), indices are `iy·W + ix` inside each plane, the first maximum in row-major window
/// order wins. `None` if the window does not fit, or if some window lies entirely in padding
/// (possible with dilation, e.g. kernel 2, padding 1, dilation 2 on a 1-wide input): there is
/// no element to select and no well-defined index (PyTorch returns -inf with an index outside
/// the window), so such geometries are left out.
fn naive_max_pool(x: &Host, p: &Pool2dParams) -> Option<(Vec<f64>, Vec<i64>, Vec<usize>)> {
    let (planes, h, w) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3]);
    let axis = |i: usize| out_len(x.shape[2 + i], p.kernel[i], p.stride[i], p.padding[i], p.dilation[i]);
    let [oh, ow] = [axis(0)?, axis(1)?];
    let mut vals = Vec::with_capacity(planes * oh * ow);
    let mut idx = Vec::with_capacity(planes * oh * ow);
    for plane in 0..planes {
        for oy in 0..oh {
            for ox in 0..ow {
                let mut best: Option<(f64, i64)> = None;
                for ki in 0..p.kernel[0] {
                    for kj in 0..p.kernel[1] {
                        let iy = (oy * p.stride[0] + ki * p.dilation[0]) as isize - p.padding[0] as isize;
                        let ix = (ox * p.stride[1] + kj * p.dilation[1]) as isize - p.padding[1] as isize;
                        if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                            continue;
                        }
                        let at = iy as usize * w + ix as usize;
                        let v = x.data[plane * h * w + at];
                        // PyTorch's rule: a later value wins when greater or NaN.
                        if best.is_none_or(|(b, _)| v > b || v.is_nan()) {
                            best = Some((v, at as i64));
                        }
                    }
                }
                let (v, i) = best?;
                vals.push(v);
                idx.push(i);
            }
        }
    }
    Some((vals, idx, vec![x.shape[0], x.shape[1], oh, ow]))
}

/// Checks values and indices exactly, then the backward pass against a naive scatter-add of a
/// random output gradient at the reference indices. Returns false (checking nothing) when the
/// reference rejects the geometry.
fn check_pool(what: &str, dtype: DType, x: &Tensor, xh: &Host, p: &Pool2dParams, gen: &mut Generator) -> bool {
    let what = format!("{what} [{dtype:?}] input {:?} {p:?}", xh.shape);
    let Some((vals, idx, out_shape)) = naive_max_pool(xh, p) else {
        return false;
    };
    assert_eq!(
        p.output_size([xh.shape[2], xh.shape[3]]),
        Some([out_shape[2], out_shape[3]]),
        "{what}: Pool2dParams::output_size"
    );
    let (v, i) = guarded(&format!("{what}: max_pool2d"), || x.max_pool2d(p));
    assert_eq!(v.shape(), &out_shape[..], "{what}: values shape");
    assert_eq!(i.shape(), &out_shape[..], "{what}: indices shape");
    assert_eq!(v.dtype(), dtype, "{what}: values dtype");
    assert_eq!(i.dtype(), DType::I64, "{what}: indices dtype");
    assert_same(
        &format!("{what}: max_pool2d indices"),
        &out_shape,
        &i.to_vec::<i64>(),
        &idx,
    );
    assert_same(
        &format!("{what}: max_pool2d values"),
        &out_shape,
        &v.to_f64_vec(),
        &vals,
    );

    // Backward: scatter-add of the output gradient at the indices (overlaps accumulate).
    let (g, gh) = randn(&out_shape, dtype, gen);
    let plane_in = xh.shape[2] * xh.shape[3];
    let plane_out = out_shape[2] * out_shape[3];
    let mut expected = Host {
        data: vec![0.0; xh.data.len()],
        shape: xh.shape.clone(),
    };
    let mut magnitude = expected.clone();
    for (o, (&gv, &at)) in gh.data.iter().zip(&idx).enumerate() {
        let dst = (o / plane_out) * plane_in + at as usize;
        expected.data[dst] += gv;
        magnitude.data[dst] += gv.abs();
    }
    let gx = guarded(&format!("{what}: max_pool2d_backward"), || {
        g.max_pool2d_backward(&i, x.shape())
    });
    assert_close(
        &format!("{what}: max_pool2d_backward"),
        &gx,
        dtype,
        &expected,
        &magnitude,
    );
    true
}

fn random_pool_params(gen: &mut Generator) -> Pool2dParams {
    let kernel = [pick(gen, 1, 4), pick(gen, 1, 4)];
    Pool2dParams {
        kernel,
        stride: [pick(gen, 1, 3), pick(gen, 1, 3)],
        padding: [pick(gen, 0, kernel[0] / 2), pick(gen, 0, kernel[1] / 2)],
        dilation: [pick(gen, 1, 2), pick(gen, 1, 2)],
    }
}

#[test]
fn max_pool2d_random_geometries_match_naive() {
    let mut gen = Generator::new(20);
    for dtype in DTYPES {
        let mut checked = 0;
        let mut overlapping = 0;
        while checked < 300 {
            let p = random_pool_params(&mut gen);
            let shape = [
                pick(&mut gen, 1, 3),
                pick(&mut gen, 1, 4),
                pick(&mut gen, 1, 12),
                pick(&mut gen, 1, 12),
            ];
            let (x, xh) = randn(&shape, dtype, &mut gen);
            if check_pool(&format!("random case {checked}"), dtype, &x, &xh, &p, &mut gen) {
                checked += 1;
                overlapping += usize::from(p.stride[0] < p.kernel[0] || p.stride[1] < p.kernel[1]);
            }
        }
        assert!(
            overlapping >= 60,
            "test bug: only {overlapping} random cases with overlapping windows"
        );
    }
}

#[test]
fn max_pool2d_fixed_geometries_match_naive() {
    let mut gen = Generator::new(21);
    let pp = |kernel: [usize; 2], stride: [usize; 2], padding: [usize; 2], dilation: [usize; 2]| Pool2dParams {
        kernel,
        stride,
        padding,
        dilation,
    };
    let cases = [
        ([2, 3, 8, 8], Pool2dParams::square(2)),
        ([2, 3, 7, 9], Pool2dParams::square(2)), // the 2×2 fast path, odd sizes (floor)
        ([1, 2, 7, 9], pp([3, 3], [1, 1], [1, 1], [1, 1])), // heavy overlap, padded borders
        ([2, 2, 9, 7], pp([3, 2], [2, 1], [1, 1], [2, 1])), // dilated, asymmetric
        ([1, 1, 5, 5], pp([4, 4], [1, 1], [2, 2], [1, 1])), // padding = kernel / 2
        ([1, 3, 1, 12], pp([1, 3], [1, 2], [0, 1], [1, 2])), // a single row
        ([3, 1, 6, 6], pp([1, 1], [3, 2], [0, 0], [1, 1])), // 1×1 windows, strided
        ([1, 2, 4, 4], pp([4, 4], [3, 3], [0, 0], [1, 1])), // one window covering everything
    ];
    check_pool_cases("fixed", &cases, &mut gen);
}

/// `check_pool` on random inputs of each (shape, geometry), in every dtype; every geometry must
/// fit its shape.
fn check_pool_cases(label: &str, cases: &[([usize; 4], Pool2dParams)], gen: &mut Generator) {
    for dtype in DTYPES {
        for (i, (shape, p)) in cases.iter().enumerate() {
            let (x, xh) = randn(shape, dtype, gen);
            assert!(
                check_pool(&format!("{label} case {i}"), dtype, &x, &xh, p, gen),
                "{label} case {i}: test bug, geometry rejected"
            );
        }
    }
}

/// On ties the first maximum in row-major window order wins (not the last, not any).
#[test]
fn max_pool2d_ties_take_first_index() {
    let mut gen = Generator::new(22);
    for dtype in DTYPES {
        // Constant input: every index is the window's first in-image position.
        let shape = [2, 2, 7, 8];
        let constant = Host {
            data: vec![1.5; shape.iter().product()],
            shape: shape.to_vec(),
        };
        let (x, xh) = tensor_of(&constant, dtype);
        for p in [
            Pool2dParams::square(2),
            Pool2dParams {
                kernel: [3, 3],
                stride: [1, 2],
                padding: [1, 1],
                dilation: [1, 2],
            },
        ] {
            assert!(check_pool("constant input", dtype, &x, &xh, &p, &mut gen));
        }
        // All -inf: still the first in-image position (it is a maximum), never a padding one.
        let neg_inf = Host {
            data: vec![f64::NEG_INFINITY; shape.iter().product()],
            shape: shape.to_vec(),
        };
        let (x, xh) = tensor_of(&neg_inf, dtype);
        let p = Pool2dParams {
            kernel: [3, 2],
            stride: [2, 1],
            padding: [1, 1],
            dilation: [1, 1],
        };
        assert!(check_pool("all -inf input", dtype, &x, &xh, &p, &mut gen));
        // Random small integers: many ties at random positions.
        let mut checked = 0;
        while checked < 40 {
            let p = random_pool_params(&mut gen);
            let shape = [
                pick(&mut gen, 1, 2),
                pick(&mut gen, 1, 3),
                pick(&mut gen, 1, 10),
                pick(&mut gen, 1, 10),
            ];
            let numel: usize = shape.iter().product();
            let ints = Host {
                data: (0..numel).map(|_| gen.below(3) as f64 - 1.0).collect(),
                shape: shape.to_vec(),
            };
            let (x, xh) = tensor_of(&ints, dtype);
            if check_pool(&format!("integer-valued case {checked}"), dtype, &x, &xh, &p, &mut gen) {
                checked += 1;
            }
        }
    }
}

/// The 2×2, stride-2 window has its own kernel (two vectorised passes): ties between every pair
/// of the four positions and NaNs anywhere in the window must give the general rule's answer
/// (first maximum in memory order, last NaN), on odd heights and widths too.
#[test]
fn max_pool2d_2x2_fast_path_ties_and_nans() {
    let mut gen = Generator::new(23);
    for dtype in DTYPES {
        for shape in [[2, 3, 8, 8], [1, 2, 7, 9], [3, 1, 2, 2], [1, 1, 5, 3]] {
            let numel: usize = shape.iter().product();
            let data: Vec<f64> = (0..numel)
                .map(|_| match gen.below(8) {
                    0 => f64::NAN,
                    k => (k % 3) as f64,
                })
                .collect();
            let host = Host {
                data,
                shape: shape.to_vec(),
            };
            let p = Pool2dParams::square(2);
            let (vals, idx, out_shape) = naive_max_pool(&host, &p).expect("2x2 fits");
            let (x, _) = tensor_of(&host, dtype);
            let (v, i) = x.max_pool2d(&p);
            let what = format!("2x2 pool with ties and NaNs [{dtype:?}] input {shape:?}");
            assert_same(&what, &out_shape, &i.to_vec::<i64>(), &idx);
            // NaN != NaN: compare values by their NaN-ness and, otherwise, exactly.
            let key = |v: f64| if v.is_nan() { None } else { Some(v) };
            let got: Vec<_> = v.to_f64_vec().into_iter().map(key).collect();
            let expected: Vec<_> = vals.into_iter().map(key).collect();
            assert_same(&what, &out_shape, &got, &expected);
        }
    }
}

/// Enough planes for several parallel tasks of whole planes (a task holds about 4096 outputs),
/// a task ending mid-batch and planes of every size class: a task given the wrong first plane,
/// or a plane skipped or pooled twice, shows as values from the wrong plane.
#[test]
fn max_pool2d_many_planes_parallel_path() {
    let mut gen = Generator::new(24);
    let overlapping = Pool2dParams {
        kernel: [3, 3],
        stride: [2, 2],
        padding: [1, 1],
        dilation: [1, 1],
    };
    let cases = [
        ([7, 300, 7, 7], Pool2dParams::square(2)),   // 2100 planes of 9 outputs
        ([3, 130, 14, 14], Pool2dParams::square(2)), // 390 planes of 49
        ([2, 45, 28, 28], Pool2dParams::square(2)),  // 90 planes of 196
        ([5, 97, 9, 9], overlapping),                // 485 planes of 25, the general path
    ];
    check_pool_cases("many planes", &cases, &mut gen);
}

#[test]
fn max_pool2d_non_contiguous_input() {
    let mut gen = Generator::new(23);
    for dtype in DTYPES {
        let mut checked = 0;
        while checked < 20 {
            let p = random_pool_params(&mut gen);
            let (n, c, h, w) = (
                pick(&mut gen, 1, 3),
                pick(&mut gen, 1, 3),
                pick(&mut gen, 1, 10),
                pick(&mut gen, 1, 10),
            );
            // [N, H, W + 2, C] -> [N, C, H, W + 2] -> narrowed width.
            let (b, bh) = randn(&[n, h, w + 2, c], dtype, &mut gen);
            let x = b.permute(&[0, 3, 1, 2]).narrow(3, 1, w);
            let xh = bh.permute(&[0, 3, 1, 2]).narrow(3, 1, w);
            if check_pool(&format!("non-contiguous case {checked}"), dtype, &x, &xh, &p, &mut gen) {
                checked += 1;
            }
        }
        // Non-contiguous output gradient for the backward pass.
        let (x, xh) = randn(&[2, 3, 9, 8], dtype, &mut gen);
        let p = Pool2dParams {
            kernel: [3, 3],
            stride: [2, 2],
            padding: [1, 1],
            dilation: [1, 1],
        };
        let (_, idx, out_shape) = naive_max_pool(&xh, &p).expect("fits");
        let (_, i) = x.max_pool2d(&p);
        let (gb, gbh) = randn(
            &[out_shape[0], out_shape[1], out_shape[3], out_shape[2]],
            dtype,
            &mut gen,
        );
        let g = gb.transpose(2, 3);
        let gh = gbh.permute(&[0, 1, 3, 2]);
        let mut expected = Host {
            data: vec![0.0; xh.data.len()],
            shape: xh.shape.clone(),
        };
        let mut magnitude = expected.clone();
        let (plane_in, plane_out) = (9 * 8, out_shape[2] * out_shape[3]);
        for (o, (&gv, &at)) in gh.data.iter().zip(&idx).enumerate() {
            expected.data[(o / plane_out) * plane_in + at as usize] += gv;
            magnitude.data[(o / plane_out) * plane_in + at as usize] += gv.abs();
        }
        assert_close(
            &format!("max_pool2d_backward, transposed gradient [{dtype:?}]"),
            &g.max_pool2d_backward(&i, x.shape()),
            dtype,
            &expected,
            &magnitude,
        );
    }
}

/// `channel_affine` and `channel_dot` (the fused BatchNorm's kernels) against plain loops on
/// random `[N, C, *]` shapes of rank 2 to 4, with a transposed (non-contiguous) operand.
#[test]
fn channel_kernels_match_naive() {
    let mut gen = Generator::new(31);
    for dtype in DTYPES {
        for case in 0..12 {
            let rank = 2 + case % 3;
            let mut shape = vec![pick(&mut gen, 1, 5), pick(&mut gen, 1, 4)];
            while shape.len() < rank {
                shape.push(pick(&mut gen, 1, 40));
            }
            let c = shape[1];
            let inner: usize = shape[2..].iter().product();
            let (x, xh) = randn(&shape, dtype, &mut gen);
            // The second operand is stored with N and C swapped, then viewed back.
            let mut swapped = shape.clone();
            swapped.swap(0, 1);
            let (y_stored, _) = randn(&swapped, dtype, &mut gen);
            let y = y_stored.transpose(0, 1);
            let yh = Host::of(&y.contiguous());
            let per_channel: Vec<(Tensor, Host)> = (0..5).map(|_| randn(&[c], dtype, &mut gen)).collect();
            let [(m1, m1h), (s1, s1h), (m2, m2h), (s2, s2h), (t, th)] = &per_channel[..] else {
                unreachable!()
            };
            let at = |n: usize, ch: usize, j: usize| (n * c + ch) * inner + j;
            let numel = xh.data.len();
            let mut expected = Host {
                data: vec![0.0; numel],
                shape: shape.clone(),
            };
            let mut magnitude = expected.clone();
            let mut dot = Host {
                data: vec![0.0; c],
                shape: vec![c],
            };
            let mut dot_magnitude = dot.clone();
            for n in 0..shape[0] {
                for ch in 0..c {
                    for j in 0..inner {
                        let i = at(n, ch, j);
                        let a = (xh.data[i] - m1h.data[ch]) * s1h.data[ch];
                        let b = (yh.data[i] - m2h.data[ch]) * s2h.data[ch];
                        expected.data[i] = a + b + th.data[ch];
                        magnitude.data[i] = a.abs() + b.abs() + th.data[ch].abs();
                        let d = (xh.data[i] - m1h.data[ch]) * (yh.data[i] - m2h.data[ch]);
                        dot.data[ch] += d;
                        dot_magnitude.data[ch] += d.abs();
                    }
                }
            }
            let what = format!("[{dtype:?}] shape {shape:?}");
            let affine = guarded(&format!("channel_affine {what}"), || {
                Tensor::channel_affine(&[(&x, Some(m1), s1), (&y, Some(m2), s2)], Some(t))
            });
            assert_close(&format!("channel_affine {what}"), &affine, dtype, &expected, &magnitude);
            let got = guarded(&format!("channel_dot {what}"), || x.channel_dot(&y, m1, m2));
            assert_close(&format!("channel_dot {what}"), &got, dtype, &dot, &dot_magnitude);
        }
    }
}
