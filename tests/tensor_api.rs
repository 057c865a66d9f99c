//! Integration tests of the tensor front end, with PyTorch as the reference: creation and
//! read-back, seeded randomness, views (storage sharing and values), in-place `assign`, dtype
//! conversion, comparisons and `where`, reductions and arg-reductions, composed numerics
//! (softmax family, clamp, softplus, sigmoid at large |x|), data movement (cat, stack, pad,
//! gather, scatter-add, index-select), matmul's 1-D rules, `Display`, and the panics that report
//! programmer errors. Expected values are hand-computed.

use learnloss::{Conv2dParams, DType, Device, Generator, Tensor};
use std::panic::{catch_unwind, AssertUnwindSafe};

mod common;
use common::{assert_close, panic_message, t, values, DEV};

/// `0, 1, …, n-1` as an f64 tensor of `shape`.
fn iota(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::arange(0.0, n as f64, 1.0, DType::F64, &DEV).reshape(shape)
}

fn assert_panics_with(f: impl FnOnce(), fragments: &[&str]) {
    let msg = panic_message(f);
    for frag in fragments {
        assert!(msg.contains(frag), "panic message {msg:?} does not contain {frag:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Creation and read-back
// ---------------------------------------------------------------------------------------------

#[test]
fn constant_constructors_have_shape_dtype_and_values() {
    let z = Tensor::zeros(&[2, 3], DType::F64, &DEV);
    assert_eq!(z.shape(), &[2, 3]);
    assert_eq!(z.rank(), 2);
    assert_eq!(z.numel(), 6);
    assert_eq!(z.dim(1), 3);
    assert_eq!(z.dtype(), DType::F64);
    assert_eq!(z.device(), &Device::Cpu);
    assert!(z.is_contiguous());
    assert!(z.is_leaf() && !z.requires_grad());
    assert_eq!(values(&z), vec![0.0; 6]);

    let o = Tensor::ones(&[4], DType::F32, &DEV);
    assert_eq!(o.dtype(), DType::F32);
    assert_eq!(o.to_vec::<f32>(), vec![1.0f32; 4]);

    assert_eq!(values(&Tensor::full(&[3], 2.5, DType::F64, &DEV)), vec![2.5; 3]);
    // Integer fill truncates toward zero; bool fill is "non-zero".
    assert_eq!(Tensor::full(&[2], -3.7, DType::I64, &DEV).to_vec::<i64>(), vec![-3, -3]);
    assert_eq!(
        Tensor::full(&[2], 0.5, DType::Bool, &DEV).to_vec::<bool>(),
        vec![true, true]
    );
    assert_eq!(
        Tensor::zeros(&[2], DType::Bool, &DEV).to_vec::<bool>(),
        vec![false, false]
    );

    let base = Tensor::ones(&[2, 2], DType::I64, &DEV);
    let zl = base.zeros_like();
    assert_eq!((zl.shape(), zl.dtype()), (&[2usize, 2][..], DType::I64));
    assert_eq!(zl.to_vec::<i64>(), vec![0; 4]);
    assert_eq!(base.ones_like().to_vec::<i64>(), vec![1; 4]);
    assert_eq!(base.full_like(7.0).to_vec::<i64>(), vec![7; 4]);

    // A 0-d scalar.
    let s = Tensor::scalar(4.5, DType::F64, &DEV);
    assert_eq!(s.shape(), &[] as &[usize]);
    assert_eq!((s.rank(), s.numel()), (0, 1));
    assert_eq!(s.item(), 4.5);
    let sl = s.scalar_like(-1.0);
    assert_eq!((sl.rank(), sl.dtype(), sl.item()), (0, DType::F64, -1.0));
}

#[test]
fn from_vec_slice_and_f64s_in_every_dtype() {
    let f = Tensor::from_vec(vec![1.5f32, -2.0, 3.25, 0.0], &[2, 2], &DEV);
    assert_eq!(f.dtype(), DType::F32);
    assert_eq!(f.to_vec::<f32>(), vec![1.5, -2.0, 3.25, 0.0]);
    assert_eq!(f.to_f64_vec(), vec![1.5, -2.0, 3.25, 0.0]);

    let d = Tensor::from_slice(&[1.0f64, 2.0, 3.0], &[3], &DEV);
    assert_eq!((d.dtype(), d.to_vec::<f64>()), (DType::F64, vec![1.0, 2.0, 3.0]));

    let i = Tensor::from_vec(vec![-5i64, 0, 7], &[3], &DEV);
    assert_eq!(i.dtype(), DType::I64);
    assert_eq!(i.to_vec::<i64>(), vec![-5, 0, 7]);
    assert_eq!(i.to_f64_vec(), vec![-5.0, 0.0, 7.0]);

    let b = Tensor::from_vec(vec![true, false, true], &[3], &DEV);
    assert_eq!(b.dtype(), DType::Bool);
    assert_eq!(b.to_vec::<bool>(), vec![true, false, true]);
    assert_eq!(b.to_f64_vec(), vec![1.0, 0.0, 1.0]);

    let c = Tensor::from_f64s(&[1.9, -2.9, 0.0], &[3], DType::I64, &DEV);
    assert_eq!(c.to_vec::<i64>(), vec![1, -2, 0]);
    let c = Tensor::from_f64s(&[1.9, -2.9, 0.0], &[3], DType::Bool, &DEV);
    assert_eq!(c.to_vec::<bool>(), vec![true, true, false]);
    let c = Tensor::from_f64s(&[0.1, 2.0], &[1, 2], DType::F32, &DEV);
    assert_eq!((c.shape(), c.to_vec::<f32>()), (&[1usize, 2][..], vec![0.1f32, 2.0]));

    // A one-element tensor of any rank has an item.
    assert_eq!(Tensor::from_vec(vec![9i64], &[1, 1], &DEV).item(), 9.0);
    assert_eq!(Tensor::from_vec(vec![true], &[1], &DEV).item(), 1.0);
}

#[test]
fn read_back_errors_panic() {
    let x = t(&[1.0, 2.0], &[2]);
    assert_panics_with(|| drop(x.to_vec::<f32>()), &["to_vec", "float64", "float32"]);
    assert_panics_with(|| drop(x.to_vec::<bool>()), &["to_vec", "float64", "bool"]);
    assert_panics_with(
        || {
            let _ = x.item();
        },
        &["item", "2 elements", "[2]"],
    );
    assert_panics_with(
        || drop(Tensor::from_vec(vec![1.0f64; 3], &[2, 2], &DEV)),
        &["3 values", "[2, 2]"],
    );
}

#[test]
fn arange_follows_torch_arange() {
    assert_eq!(
        values(&Tensor::arange(0.0, 5.0, 1.0, DType::F64, &DEV)),
        vec![0.0, 1.0, 2.0, 3.0, 4.0]
    );
    assert_eq!(
        values(&Tensor::arange(1.0, 2.0, 0.25, DType::F64, &DEV)),
        vec![1.0, 1.25, 1.5, 1.75]
    );
    // A partial last step is included (ceil), the end is excluded.
    assert_eq!(
        values(&Tensor::arange(0.0, 5.0, 2.0, DType::F64, &DEV)),
        vec![0.0, 2.0, 4.0]
    );
    // Negative step counts down, end excluded.
    assert_eq!(
        values(&Tensor::arange(5.0, 0.0, -1.5, DType::F64, &DEV)),
        vec![5.0, 3.5, 2.0, 0.5]
    );
    assert_eq!(
        values(&Tensor::arange(3.0, -1.0, -1.0, DType::F64, &DEV)),
        vec![3.0, 2.0, 1.0, 0.0]
    );
    // Empty ranges: equal ends, or a step pointing away from the end.
    for (s, e, st) in [(3.0, 3.0, 1.0), (5.0, 0.0, 1.0), (0.0, 5.0, -1.0)] {
        let r = Tensor::arange(s, e, st, DType::F64, &DEV);
        assert_eq!(r.shape(), &[0], "arange({s}, {e}, {st})");
        assert_eq!(r.numel(), 0);
        assert!(values(&r).is_empty());
    }
    let i = Tensor::arange(0.0, 7.0, 3.0, DType::I64, &DEV);
    assert_eq!((i.dtype(), i.to_vec::<i64>()), (DType::I64, vec![0, 3, 6]));
    let f = Tensor::arange(-1.0, 1.0, 0.5, DType::F32, &DEV);
    assert_eq!(f.to_vec::<f32>(), vec![-1.0, -0.5, 0.0, 0.5]);
    assert_panics_with(
        || drop(Tensor::arange(0.0, 1.0, 0.0, DType::F64, &DEV)),
        &["arange", "step"],
    );
}

#[test]
fn eye_is_the_identity() {
    let e = Tensor::eye(3, DType::F64, &DEV);
    assert_eq!(e.shape(), &[3, 3]);
    assert_eq!(values(&e), vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
    assert_eq!(Tensor::eye(2, DType::I64, &DEV).to_vec::<i64>(), vec![1, 0, 0, 1]);
    assert_eq!(
        Tensor::eye(2, DType::Bool, &DEV).to_vec::<bool>(),
        vec![true, false, false, true]
    );
    assert_eq!(Tensor::eye(0, DType::F64, &DEV).shape(), &[0, 0]);
}

#[test]
fn rand_is_uniform_in_unit_interval() {
    let mut gen = Generator::new(1);
    for dtype in [DType::F64, DType::F32] {
        let r = Tensor::rand(&[50, 40], dtype, &DEV, &mut gen);
        assert_eq!((r.shape(), r.dtype()), (&[50usize, 40][..], dtype));
        let v = r.to_f64_vec();
        assert!(
            v.iter().all(|&x| (0.0..1.0).contains(&x)),
            "{dtype:?}: a value outside [0, 1)"
        );
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        assert!((mean - 0.5).abs() < 0.03, "{dtype:?}: mean {mean}");
        let min = v.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        assert!(
            min < 0.01 && max > 0.99,
            "{dtype:?}: range [{min}, {max}] does not cover [0, 1)"
        );
    }
    assert_panics_with(
        || drop(Tensor::rand(&[2], DType::I64, &DEV, &mut gen)),
        &["rand", "int64"],
    );
}

#[test]
fn randn_is_reproducible_per_seed_and_standard_normal() {
    let a = Tensor::randn(&[10_000], DType::F64, &DEV, &mut Generator::new(42));
    let b = Tensor::randn(&[10_000], DType::F64, &DEV, &mut Generator::new(42));
    let c = Tensor::randn(&[10_000], DType::F64, &DEV, &mut Generator::new(43));
    assert_eq!(values(&a), values(&b), "same seed, same values");
    let same = values(&a).iter().zip(values(&c)).filter(|(x, y)| *x == y).count();
    assert_eq!(same, 0, "different seeds gave {same} equal values");

    let v = values(&a);
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    assert!(mean.abs() < 0.05, "mean {mean}");
    assert!((var - 1.0).abs() < 0.08, "variance {var}");
    assert!(v.iter().any(|&x| x < -2.0) && v.iter().any(|&x| x > 2.0), "no tails");

    let f = Tensor::randn(&[8], DType::F32, &DEV, &mut Generator::new(42));
    assert_eq!(f.dtype(), DType::F32);
    assert_eq!(
        f.to_vec::<f32>(),
        Tensor::randn(&[8], DType::F32, &DEV, &mut Generator::new(42)).to_vec::<f32>()
    );
    assert_panics_with(
        || drop(Tensor::randn(&[2], DType::Bool, &DEV, &mut Generator::new(0))),
        &["randn", "bool"],
    );
}

#[test]
fn generator_state_resumes_the_same_stream() {
    let mut gen = Generator::new(7);
    let _ = Tensor::randn(&[13], DType::F64, &DEV, &mut gen); // advance, by an odd amount
    let _ = Tensor::rand(&[5], DType::F32, &DEV, &mut gen);
    let saved = gen.state();
    let next_u = values(&Tensor::rand(&[6], DType::F64, &DEV, &mut gen));
    let next_n = values(&Tensor::randn(&[6], DType::F64, &DEV, &mut gen));
    let after = gen.state();
    assert_ne!(saved, after, "drawing must advance the state");

    let mut resumed = Generator::from_state(&saved);
    assert_eq!(resumed.state(), saved);
    assert_eq!(values(&Tensor::rand(&[6], DType::F64, &DEV, &mut resumed)), next_u);
    assert_eq!(values(&Tensor::randn(&[6], DType::F64, &DEV, &mut resumed)), next_n);
    assert_eq!(resumed.state(), after);

    // The scalar draws follow the same stream too.
    let mut g1 = Generator::new(9);
    let s = g1.state();
    let (u, n, k) = (g1.uniform(), g1.normal(), g1.below(10));
    let mut g2 = Generator::from_state(&s);
    assert_eq!((g2.uniform(), g2.normal(), g2.below(10)), (u, n, k));
    assert!((0.0..1.0).contains(&u) && k < 10);
}

#[test]
fn uniform_is_an_affine_map_of_rand() {
    let u = Tensor::uniform(&[2000], -2.0, 3.0, DType::F64, &DEV, &mut Generator::new(5));
    let r = Tensor::rand(&[2000], DType::F64, &DEV, &mut Generator::new(5));
    let v = values(&u);
    assert!(v.iter().all(|&x| (-2.0..3.0).contains(&x)));
    assert!(v.iter().any(|&x| x < -1.9) && v.iter().any(|&x| x > 2.9));
    let expected: Vec<f64> = values(&r).iter().map(|x| x * 5.0 - 2.0).collect();
    assert_close(&v, &expected, 1e-15);
    assert!(u.is_leaf() && !u.requires_grad());
}

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

#[test]
fn reshape_of_contiguous_is_a_view() {
    let x = iota(&[2, 3]);
    for shape in [&[3, 2][..], &[6], &[1, 6, 1], &[2, 1, 3]] {
        let r = x.reshape(shape);
        assert_eq!(r.shape(), shape);
        assert!(r.shares_storage_with(&x), "reshape to {shape:?} copied");
        assert!(r.is_contiguous());
        assert_eq!(values(&r), vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    }
    // A view of a narrowed (offset) contiguous block.
    let rows = iota(&[4, 3]).narrow(0, 1, 2);
    let r = rows.reshape(&[6]);
    assert!(r.shares_storage_with(&rows));
    assert_eq!(values(&r), vec![3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
}

#[test]
fn reshape_of_permuted_is_a_view_where_possible_and_a_copy_otherwise() {
    let x = iota(&[2, 3, 4]);
    let p = x.permute(&[1, 0, 2]); // p[i][j][k] = x[j][i][k] = 12j + 4i + k, shape [3, 2, 4]
    let mut expected = Vec::new();
    for i in 0..3 {
        for j in 0..2 {
            for k in 0..4 {
                expected.push((12 * j + 4 * i + k) as f64);
            }
        }
    }
    assert_eq!(values(&p), expected);
    assert!(!p.is_contiguous());

    // Splitting the last (contiguous) dim is possible without a copy.
    let v = p.reshape(&[3, 2, 2, 2]);
    assert!(v.shares_storage_with(&x), "splitting the last dim should be a view");
    assert_eq!(v.layout().strides(), &[4, 12, 2, 1]);
    assert_eq!(values(&v), expected);

    // Merging dims 0 and 1 (strides 4 and 12) needs a copy, with the same row-major values.
    for shape in [&[6, 4][..], &[24], &[3, 8]] {
        let c = p.reshape(shape);
        assert!(!c.shares_storage_with(&x), "reshape to {shape:?} cannot be a view");
        assert_eq!(c.shape(), shape);
        assert_eq!(values(&c), expected);
    }

    // A transposed matrix flattened.
    let m = iota(&[2, 3]).mt();
    let f = m.flatten_all();
    assert!(!f.shares_storage_with(&m));
    assert_eq!(values(&f), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    // Adding / removing unit dims of a transposed matrix stays a view.
    let u = m.reshape(&[3, 1, 2]);
    assert!(u.shares_storage_with(&m));
    assert_eq!(values(&u), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
}

/// Every way to write `n` as an ordered product of at most `max_len` factors > 1, plus those
/// with a trailing unit dimension.
fn factorizations(n: usize, max_len: usize) -> Vec<Vec<usize>> {
    fn rec(n: usize, max_len: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if n == 1 {
            out.push(cur.clone());
            if cur.len() < max_len {
                let mut with_unit = cur.clone();
                with_unit.push(1);
                out.push(with_unit);
            }
            return;
        }
        if cur.len() >= max_len {
            return;
        }
        for f in (2..=n).filter(|f| n.is_multiple_of(*f)) {
            cur.push(f);
            rec(n / f, max_len, cur, out);
            cur.pop();
        }
    }
    let mut out = Vec::new();
    rec(n, max_len, &mut Vec::new(), &mut out);
    out
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for i in 0..=p.len() {
            let mut q = p.clone();
            q.insert(i, n - 1);
            out.push(q);
        }
    }
    out
}

/// Exhaustive: every permutation of a few shapes, narrowed along each dim or expanded, reshaped to
/// every factorisation of its size, gives the values of reshaping a contiguous copy — whether the
/// library chose a view or a copy. Views must actually occur (and copies too).
#[test]
fn reshape_of_any_strided_layout_matches_a_contiguous_copy() {
    let (mut views, mut copies) = (0, 0);
    for base_shape in [vec![2usize, 3, 4], vec![4, 1, 6], vec![2, 2, 2, 3]] {
        let x = iota(&base_shape);
        for perm in permutations(base_shape.len()) {
            let xp = x.permute(&perm);
            let mut variants = vec![xp.clone()];
            for dim in (0..xp.rank()).filter(|&d| xp.dim(d) > 1) {
                variants.push(xp.narrow(dim, 1, xp.dim(dim) - 1));
            }
            let mut wide = xp.shape().to_vec();
            wide.insert(1, 3);
            variants.push(xp.unsqueeze(1).expand(&wide));
            for v in variants {
                let reference = values(&v.contiguous());
                for shape in factorizations(v.numel(), 5) {
                    let r = v.reshape(&shape);
                    assert_eq!(r.shape(), &shape[..]);
                    assert_eq!(
                        values(&r),
                        reference,
                        "shape {:?} strides {:?} offset {} reshaped to {shape:?}",
                        v.shape(),
                        v.layout().strides(),
                        v.layout().offset()
                    );
                    if r.shares_storage_with(&x) {
                        views += 1;
                    } else {
                        copies += 1;
                    }
                }
            }
        }
    }
    assert!(views > 500 && copies > 500, "views {views}, copies {copies}");
}

#[test]
fn permute_transpose_and_mt() {
    let x = iota(&[2, 3, 4]);
    let p = x.permute(&[2, 0, 1]); // p[k][i][j] = x[i][j][k]
    assert_eq!(p.shape(), &[4, 2, 3]);
    assert!(p.shares_storage_with(&x));
    assert_eq!(p.layout().strides(), &[1, 12, 4]);
    let pv = values(&p);
    for k in 0..4 {
        for i in 0..2 {
            for j in 0..3 {
                assert_eq!(pv[k * 6 + i * 3 + j], (12 * i + 4 * j + k) as f64);
            }
        }
    }

    let tr = x.transpose(0, 2);
    assert_eq!(tr.shape(), &[4, 3, 2]);
    assert!(tr.shares_storage_with(&x));
    assert_eq!(values(&tr.transpose(2, 0)), values(&x));

    let m = iota(&[2, 2, 3]).mt();
    assert_eq!(m.shape(), &[2, 3, 2]);
    assert_eq!(
        values(&m),
        vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0, 6.0, 9.0, 7.0, 10.0, 8.0, 11.0]
    );

    assert_panics_with(|| drop(x.permute(&[0, 0, 1])), &["permute", "[0, 0, 1]"]);
    assert_panics_with(|| drop(x.permute(&[0, 1])), &["permute", "[2, 3, 4]"]);
    assert_panics_with(|| drop(iota(&[3]).mt()), &["mt", "[3]"]);
}

#[test]
fn narrow_and_select() {
    let x = iota(&[3, 4]);
    let n = x.narrow(1, 1, 2);
    assert_eq!(n.shape(), &[3, 2]);
    assert!(n.shares_storage_with(&x));
    assert_eq!(values(&n), vec![1.0, 2.0, 5.0, 6.0, 9.0, 10.0]);
    assert_eq!(values(&x.narrow(0, 2, 1)), vec![8.0, 9.0, 10.0, 11.0]);
    // A narrow of a narrow.
    assert_eq!(values(&n.narrow(0, 1, 2).narrow(1, 1, 1)), vec![6.0, 10.0]);

    let row = x.select(0, 1);
    assert_eq!((row.shape(), values(&row)), (&[4usize][..], vec![4.0, 5.0, 6.0, 7.0]));
    assert!(row.shares_storage_with(&x));
    let col = x.select(1, 2);
    assert_eq!((col.shape(), values(&col)), (&[3usize][..], vec![2.0, 6.0, 10.0]));
    assert!(col.shares_storage_with(&x));
    let s = col.select(0, 2);
    assert_eq!((s.rank(), s.item()), (0, 10.0));

    assert_panics_with(|| drop(x.narrow(1, 3, 2)), &["narrow", "3..5", "[3, 4]"]);
}

#[test]
fn expand_broadcasts_with_zero_strides() {
    let c = t(&[1.0, 2.0, 3.0], &[3, 1]);
    let e = c.expand(&[3, 4]);
    assert_eq!(e.shape(), &[3, 4]);
    assert_eq!(e.layout().strides(), &[1, 0]);
    assert!(e.shares_storage_with(&c));
    assert_eq!(
        values(&e),
        vec![1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0, 3.0]
    );

    let r = t(&[1.0, 2.0, 3.0], &[3]).expand(&[2, 3]);
    assert_eq!(r.layout().strides(), &[0, 1]);
    assert_eq!(values(&r), vec![1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);

    let s = Tensor::scalar(5.0, DType::F64, &DEV).expand(&[2, 2]);
    assert_eq!(s.layout().strides(), &[0, 0]);
    assert_eq!(values(&s), vec![5.0; 4]);

    // Reducing an expanded view reads every (repeated) element.
    assert_eq!(e.sum_all().item(), 24.0);
    assert_panics_with(
        || drop(t(&[1.0, 2.0, 3.0], &[3]).expand(&[4])),
        &["expand", "[3]", "[4]"],
    );
}

#[test]
fn squeeze_unsqueeze_and_flatten() {
    let x = iota(&[2, 1, 3]);
    let s = x.squeeze(1);
    assert_eq!(s.shape(), &[2, 3]);
    assert!(s.shares_storage_with(&x));
    assert_eq!(x.unsqueeze(0).shape(), &[1, 2, 1, 3]);
    assert_eq!(x.unsqueeze(3).shape(), &[2, 1, 3, 1]);
    assert!(x.unsqueeze(3).shares_storage_with(&x));
    assert_eq!(values(&s.unsqueeze(1)), values(&x));
    assert_panics_with(|| drop(x.squeeze(0)), &["squeeze", "[2, 1, 3]"]);
    assert_panics_with(|| drop(x.unsqueeze(4)), &["unsqueeze", "[2, 1, 3]"]);

    let y = iota(&[2, 3, 4]);
    assert_eq!(y.flatten(1, 2).shape(), &[2, 12]);
    assert_eq!(y.flatten(0, 1).shape(), &[6, 4]);
    assert_eq!(y.flatten(1, 1).shape(), &[2, 3, 4]);
    assert!(y.flatten(0, 2).shares_storage_with(&y));
    assert_eq!(values(&y.flatten(0, 1)), values(&y));
    let fa = y.flatten_all();
    assert_eq!(fa.shape(), &[24]);
    assert!(fa.shares_storage_with(&y));
    // A 0-d tensor flattens to one element.
    assert_eq!(Tensor::scalar(3.0, DType::F64, &DEV).flatten(0, 0).shape(), &[1]);
    assert_eq!(Tensor::scalar(3.0, DType::F64, &DEV).flatten_all().shape(), &[1]);
}

#[test]
fn assign_writes_in_place_and_views_see_it() {
    let base = Tensor::zeros(&[2, 3], DType::F64, &DEV);
    let flat = base.reshape(&[6]); // a view, made before the write
    let block = base.narrow(1, 1, 2);
    block.assign(&t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]));
    assert_eq!(values(&base), vec![0.0, 1.0, 2.0, 0.0, 3.0, 4.0]);
    assert_eq!(values(&flat), vec![0.0, 1.0, 2.0, 0.0, 3.0, 4.0]);
    assert_eq!(values(&block), vec![1.0, 2.0, 3.0, 4.0]);

    // Through a transposed view: element (i, j) of the view is (j, i) of the base.
    let m = Tensor::zeros(&[2, 3], DType::F64, &DEV);
    m.mt().assign(&iota(&[3, 2]));
    assert_eq!(values(&m), vec![0.0, 2.0, 4.0, 1.0, 3.0, 5.0]);

    // The source may be a non-contiguous view of the same storage.
    let sq = iota(&[2, 2]);
    sq.assign(&sq.mt());
    assert_eq!(values(&sq), vec![0.0, 2.0, 1.0, 3.0]);

    // Other dtypes.
    let i = Tensor::zeros(&[3], DType::I64, &DEV);
    i.narrow(0, 1, 2).assign(&Tensor::from_vec(vec![7i64, -8], &[2], &DEV));
    assert_eq!(i.to_vec::<i64>(), vec![0, 7, -8]);

    assert_panics_with(|| base.assign(&iota(&[3, 2])), &["assign", "[2, 3]", "[3, 2]"]);
    assert_panics_with(
        || base.assign(&Tensor::zeros(&[2, 3], DType::F32, &DEV)),
        &["assign", "float64", "float32"],
    );
}

// ---------------------------------------------------------------------------------------------
// dtype conversion, comparisons, where
// ---------------------------------------------------------------------------------------------

#[test]
fn to_dtype_between_all_dtypes() {
    let f = t(&[-2.7, -0.5, 0.0, 0.5, 2.7, 3.0], &[6]);
    // float -> int truncates toward zero, like PyTorch.
    assert_eq!(f.to_dtype(DType::I64).to_vec::<i64>(), vec![-2, 0, 0, 0, 2, 3]);
    assert_eq!(
        f.to_dtype(DType::Bool).to_vec::<bool>(),
        vec![true, true, false, true, true, true]
    );
    assert_eq!(
        f.to_dtype(DType::F32).to_vec::<f32>(),
        vec![-2.7f32, -0.5, 0.0, 0.5, 2.7, 3.0]
    );
    assert_eq!(
        t(&[f64::NAN, -0.0], &[2]).to_dtype(DType::Bool).to_vec::<bool>(),
        vec![true, false]
    );

    let f32s = Tensor::from_vec(vec![1.5f32, -1.5, 0.1], &[3], &DEV);
    assert_eq!(f32s.to_dtype(DType::I64).to_vec::<i64>(), vec![1, -1, 0]);
    assert_eq!(
        f32s.to_dtype(DType::F64).to_vec::<f64>(),
        vec![1.5, -1.5, 0.1f32 as f64]
    );
    assert_eq!(f32s.to_dtype(DType::Bool).to_vec::<bool>(), vec![true, true, true]);

    let i = Tensor::from_vec(vec![-3i64, 0, 7], &[3], &DEV);
    assert_eq!(i.to_dtype(DType::F64).to_vec::<f64>(), vec![-3.0, 0.0, 7.0]);
    assert_eq!(i.to_dtype(DType::F32).to_vec::<f32>(), vec![-3.0, 0.0, 7.0]);
    assert_eq!(i.to_dtype(DType::Bool).to_vec::<bool>(), vec![true, false, true]);

    let b = Tensor::from_vec(vec![true, false], &[2], &DEV);
    assert_eq!(b.to_dtype(DType::F64).to_vec::<f64>(), vec![1.0, 0.0]);
    assert_eq!(b.to_dtype(DType::F32).to_vec::<f32>(), vec![1.0, 0.0]);
    assert_eq!(b.to_dtype(DType::I64).to_vec::<i64>(), vec![1, 0]);
    assert_eq!(b.mask_to(DType::F64).to_vec::<f64>(), vec![1.0, 0.0]);

    // Same dtype: no copy.  Non-contiguous input: row-major values.
    assert!(f.to_dtype(DType::F64).shares_storage_with(&f));
    let m = iota(&[2, 3]).mt().to_dtype(DType::I64);
    assert!(m.is_contiguous());
    assert_eq!(m.to_vec::<i64>(), vec![0, 3, 1, 4, 2, 5]);
    // Large integers survive a strided same-dtype copy exactly (no f64 round trip).
    let big = Tensor::from_vec(vec![i64::MAX, i64::MIN + 1], &[2, 1], &DEV);
    let copy = big.expand(&[2, 2]).mt().contiguous();
    assert_eq!(
        copy.to_vec::<i64>(),
        vec![i64::MAX, i64::MIN + 1, i64::MAX, i64::MIN + 1]
    );
}

#[test]
fn comparisons_give_broadcast_bool_masks() {
    let a = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let b = t(&[2.0, 5.0], &[2, 1]);
    let check = |m: Tensor, expected: [bool; 6]| {
        assert_eq!(m.dtype(), DType::Bool);
        assert_eq!(m.shape(), &[2, 3]);
        assert_eq!(m.to_vec::<bool>(), expected.to_vec());
    };
    check(a.gt(&b), [false, false, true, false, false, true]);
    check(a.ge(&b), [false, true, true, false, true, true]);
    check(a.lt(&b), [true, false, false, true, false, false]);
    check(a.le(&b), [true, true, false, true, true, false]);
    check(a.eq(&b), [false, true, false, false, true, false]);
    check(a.ne(&b), [true, false, true, true, false, true]);
    check(b.lt(&a), [false, false, true, false, false, true]);

    let row = t(&[1.0, 5.0], &[2]);
    assert_eq!(
        t(&[0.0, 5.0, 2.0, 6.0], &[2, 2]).ge(&row).to_vec::<bool>(),
        vec![false, true, true, true]
    );
    assert_eq!(
        a.gt_scalar(3.0).to_vec::<bool>(),
        vec![false, false, false, true, true, true]
    );
    assert_eq!(
        a.le_scalar(2.0).to_vec::<bool>(),
        vec![true, true, false, false, false, false]
    );
    assert_eq!(
        a.eq_scalar(4.0).to_vec::<bool>(),
        vec![false, false, false, true, false, false]
    );
    assert_eq!(
        a.lt_scalar(2.0).to_vec::<bool>(),
        vec![true, false, false, false, false, false]
    );
    assert_eq!(
        a.ge_scalar(6.0).to_vec::<bool>(),
        vec![false, false, false, false, false, true]
    );

    // NaN compares unequal to everything, itself included.
    let n = t(&[f64::NAN, 1.0], &[2]);
    assert_eq!(n.eq(&n).to_vec::<bool>(), vec![false, true]);
    assert_eq!(n.ne(&n).to_vec::<bool>(), vec![true, false]);
    assert_eq!(n.lt_scalar(f64::INFINITY).to_vec::<bool>(), vec![false, true]);

    // Integer and bool comparisons.
    let i = Tensor::from_vec(vec![1i64, 5, 3], &[3], &DEV);
    assert_eq!(i.gt_scalar(2.0).to_vec::<bool>(), vec![false, true, true]);
    let m = Tensor::from_vec(vec![true, false], &[2], &DEV);
    assert_eq!(
        m.eq(&Tensor::from_vec(vec![true], &[1], &DEV)).to_vec::<bool>(),
        vec![true, false]
    );

    // Masks never join the graph.
    let x = t(&[1.0, 2.0], &[2]).requires_grad_(true);
    let mask = x.gt_scalar(1.5);
    assert!(!mask.requires_grad() && mask.is_leaf());
}

#[test]
fn where_cond_broadcasts_all_three() {
    let cond = Tensor::from_vec(vec![true, false], &[2, 1], &DEV);
    let on_true = t(&[1.0, 2.0, 3.0], &[3]);
    let on_false = Tensor::scalar(-1.0, DType::F64, &DEV);
    let w = Tensor::where_cond(&cond, &on_true, &on_false);
    assert_eq!(w.shape(), &[2, 3]);
    assert_eq!(values(&w), vec![1.0, 2.0, 3.0, -1.0, -1.0, -1.0]);

    let c = Tensor::from_vec(vec![true, false, true], &[3], &DEV);
    let w = Tensor::where_cond(&c, &t(&[10.0, 20.0], &[2, 1]), &t(&[1.0, 2.0, 3.0], &[3]));
    assert_eq!(values(&w), vec![10.0, 2.0, 10.0, 20.0, 2.0, 20.0]);

    let wi = Tensor::where_cond(
        &c,
        &Tensor::from_vec(vec![1i64, 2, 3], &[3], &DEV),
        &Tensor::from_vec(vec![0i64], &[1], &DEV),
    );
    assert_eq!(wi.to_vec::<i64>(), vec![1, 0, 3]);

    assert_panics_with(
        || drop(Tensor::where_cond(&on_true, &on_true, &on_true)),
        &["where", "bool"],
    );
    assert_panics_with(
        || {
            drop(Tensor::where_cond(
                &Tensor::from_vec(vec![true; 2], &[2], &DEV),
                &on_true,
                &on_false,
            ))
        },
        &["where", "[2]", "[3]", "cannot be broadcast"],
    );
}

// ---------------------------------------------------------------------------------------------
// Reductions
// ---------------------------------------------------------------------------------------------

#[test]
fn sum_max_min_over_several_dims() {
    let x = iota(&[2, 3, 4]); // x[i][j][k] = 12i + 4j + k

    // Σ_{i,k} (12i + 4j + k) = 32j + 60.
    let s = x.sum(&[0, 2], false);
    assert_eq!((s.shape(), values(&s)), (&[3usize][..], vec![60.0, 92.0, 124.0]));
    let sk = x.sum(&[2, 0], true);
    assert_eq!(
        (sk.shape(), values(&sk)),
        (&[1usize, 3, 1][..], vec![60.0, 92.0, 124.0])
    );
    let s1 = x.sum(&[1], false); // Σ_j = 36i + 12 + 3k
    assert_eq!(s1.shape(), &[2, 4]);
    assert_eq!(values(&s1), vec![12.0, 15.0, 18.0, 21.0, 48.0, 51.0, 54.0, 57.0]);
    let all = x.sum_all();
    assert_eq!((all.rank(), all.item()), (0, 276.0));

    let mx = x.max(&[1, 2], false);
    assert_eq!((mx.shape(), values(&mx)), (&[2usize][..], vec![11.0, 23.0]));
    let mn = x.min(&[0, 1], true);
    assert_eq!(
        (mn.shape(), values(&mn)),
        (&[1usize, 1, 4][..], vec![0.0, 1.0, 2.0, 3.0])
    );
    assert_eq!(x.max_all().item(), 23.0);
    assert_eq!(x.min_all().item(), 0.0);

    // Reductions of a non-contiguous view: Σ_{i,j} (12i + 4j + k) = 60 + 6k.
    let tr = x.permute(&[2, 1, 0]);
    assert_eq!(values(&tr.sum(&[1, 2], false)), vec![60.0, 66.0, 72.0, 78.0]);
    assert_eq!(values(&tr.max(&[0], false)), values(&x.max(&[2], false).mt()));

    // NaN wins max and min (PyTorch); integers reduce too.
    assert!(t(&[1.0, f64::NAN, 3.0], &[3]).max_all().item().is_nan());
    assert!(t(&[1.0, f64::NAN, -3.0], &[3]).min_all().item().is_nan());
    let i = Tensor::from_vec(vec![3i64, -7, 5, 2], &[2, 2], &DEV);
    assert_eq!(i.min(&[1], false).to_vec::<i64>(), vec![-7, 2]);
    assert_eq!(i.sum(&[0], false).to_vec::<i64>(), vec![8, -5]);
    // sum_to: the adjoint of a broadcast.
    let st = iota(&[2, 3]);
    assert_eq!(values(&st.sum_to(&[3])), vec![3.0, 5.0, 7.0]);
    assert_eq!(
        (st.sum_to(&[2, 1]).shape(), values(&st.sum_to(&[2, 1]))),
        (&[2usize, 1][..], vec![3.0, 12.0])
    );
    assert_eq!(values(&st.sum_to(&[1, 3])), vec![3.0, 5.0, 7.0]);
    assert_eq!(st.sum_to(&[]).item(), 15.0);
    assert_panics_with(|| drop(st.sum_to(&[2])), &["sum_to", "[2, 3]", "[2]"]);
    // The sum of nothing is 0.
    assert_eq!(Tensor::zeros(&[0], DType::F64, &DEV).sum_all().item(), 0.0);
    assert_eq!(
        values(&Tensor::zeros(&[2, 0], DType::F64, &DEV).sum(&[1], false)),
        vec![0.0, 0.0]
    );
}
/// Sizes above the CPU backend's parallel threshold (2^15 elements), on strided and broadcast
/// operands, against plain loops.
#[test]
fn large_strided_operands_match_naive_loops() {
    let (r, c) = (256usize, 300usize);
    let a = iota(&[r, c]); // a[i][j] = c·i + j
    let at = a.mt(); // [c, r], at[j][i] = c·i + j
    let b = Tensor::arange(0.0, r as f64, 1.0, DType::F64, &DEV).mul_scalar(0.5); // [r], broadcast on rows of at
    let sum = at.add(&b);
    let sv = values(&sum);
    let mut expected = Vec::with_capacity(r * c);
    for j in 0..c {
        for i in 0..r {
            expected.push((c * i + j) as f64 + 0.5 * i as f64);
        }
    }
    assert_eq!(sv, expected);
    // Column sums of at (reduce a strided operand): Σ_j (c·i + j) = c²·i + c(c-1)/2.
    let rs = values(&at.sum(&[0], false));
    let exp_rs: Vec<f64> = (0..r).map(|i| (c * c * i + c * (c - 1) / 2) as f64).collect();
    assert_eq!(rs, exp_rs);
    let mx = values(&at.max(&[1], false));
    let exp_mx: Vec<f64> = (0..c).map(|j| (c * (r - 1) + j) as f64).collect();
    assert_eq!(mx, exp_mx);
    assert_eq!(at.argmax(1, false).to_vec::<i64>(), vec![(r - 1) as i64; c]);
    // A contiguous copy of a 3-D permutation.
    let p = iota(&[40, 30, 50]).permute(&[2, 0, 1]).contiguous();
    let pv = values(&p);
    for (k, i, j) in [(0, 0, 0), (49, 39, 29), (7, 13, 21), (25, 0, 29)] {
        assert_eq!(pv[(k * 40 + i) * 30 + j], (i * 1500 + j * 50 + k) as f64);
    }
}

/// PyTorch rejects a dim listed twice ("dim 0 appears multiple times in the list of dims"), and
/// so do the reductions and everything composed from them.
#[test]
fn a_repeated_reduction_dim_is_rejected() {
    let x = iota(&[2, 3]);
    assert_eq!(values(&x.mean(&[0], false)), vec![1.5, 2.5, 3.5]);
    type Reduction<'a> = Box<dyn Fn() -> Tensor + 'a>;
    let calls: [(&str, Reduction); 3] = [
        ("sum", Box::new(|| x.sum(&[0, 0], false))),
        ("mean", Box::new(|| x.mean(&[1, 1], false))),
        ("var", Box::new(|| x.var(&[0, 0], 0, false))),
    ];
    for (name, call) in calls {
        let err = catch_unwind(AssertUnwindSafe(call)).expect_err(name);
        let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(msg.contains("appears multiple times"), "{name}: {msg}");
    }
}

#[test]
fn argmax_argmin_take_the_first_extreme_and_nan_wins() {
    let x = t(&[1.0, 3.0, 3.0, 2.0, 2.0, 1.0], &[2, 3]);
    let am = x.argmax(1, false);
    assert_eq!((am.dtype(), am.shape()), (DType::I64, &[2usize][..]));
    assert_eq!(am.to_vec::<i64>(), vec![1, 0]);
    assert_eq!(x.argmin(1, false).to_vec::<i64>(), vec![0, 2]);
    let am0 = x.argmax(0, true);
    assert_eq!((am0.shape(), am0.to_vec::<i64>()), (&[1usize, 3][..], vec![1, 0, 0]));
    assert_eq!(x.argmin(0, false).to_vec::<i64>(), vec![0, 1, 1]);
    // All equal: index 0.
    assert_eq!(t(&[4.0; 5], &[5]).argmax(0, false).to_vec::<i64>(), vec![0]);
    assert_eq!(t(&[4.0; 5], &[5]).argmin(0, false).to_vec::<i64>(), vec![0]);
    // NaN wins (the first NaN), like torch.argmax / argmin.
    let n = t(&[1.0, f64::NAN, 5.0, f64::NAN], &[4]);
    assert_eq!(n.argmax(0, false).to_vec::<i64>(), vec![1]);
    assert_eq!(n.argmin(0, false).to_vec::<i64>(), vec![1]);
    let n = t(&[9.0, 1.0, f64::NAN], &[3]);
    assert_eq!(n.argmax(0, false).to_vec::<i64>(), vec![2]);
    assert_eq!(n.argmin(0, false).to_vec::<i64>(), vec![2]);
    // Of a non-contiguous view, and of integers.
    assert_eq!(x.mt().argmax(0, false).to_vec::<i64>(), vec![1, 0]);
    let i = Tensor::from_vec(vec![2i64, 9, 9, -1], &[4], &DEV);
    assert_eq!(i.argmax(0, false).to_vec::<i64>(), vec![1]);
    // Not part of the graph.
    let g = x.requires_grad_(true).argmax(1, false);
    assert!(!g.requires_grad());
}

#[test]
fn mean_var_std_norm() {
    let x = t(&[1.0, 2.0, 3.0, 4.0, 2.0, 4.0, 6.0, 8.0], &[2, 4]);
    assert_close(&values(&x.mean(&[1], false)), &[2.5, 5.0], 1e-15);
    assert_eq!(x.mean(&[1], true).shape(), &[2, 1]);
    let m = x.mean(&[0, 1], true);
    assert_eq!((m.shape(), values(&m)), (&[1usize, 1][..], vec![3.75]));
    assert_eq!(x.mean_all().item(), 3.75);
    assert_eq!(x.mean_all().rank(), 0);

    // Row 0: squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5; row 1 is twice row 0 (20).
    assert_close(&values(&x.var(&[1], 0, false)), &[1.25, 5.0], 1e-14);
    assert_close(&values(&x.var(&[1], 1, false)), &[5.0 / 3.0, 20.0 / 3.0], 1e-14);
    assert_eq!(x.var(&[1], 1, true).shape(), &[2, 1]);
    assert_close(&values(&x.std(&[1], 0, false)), &[1.25f64.sqrt(), 5.0f64.sqrt()], 1e-14);
    assert_close(
        &values(&x.std(&[1], 1, false)),
        &[(5.0f64 / 3.0).sqrt(), (20.0f64 / 3.0).sqrt()],
        1e-14,
    );
    // Columns (a, 2a): mean 1.5a, unbiased variance a²/2.
    assert_close(&values(&x.var(&[0], 1, false)), &[0.5, 2.0, 4.5, 8.0], 1e-14);
    // Over every dim: values 1,2,3,4,2,4,6,8 (mean 3.75), Σ(x-m)² = 37.5.
    assert_close(&[x.var(&[0, 1], 0, false).item()], &[37.5 / 8.0], 1e-14);
    assert_close(&[x.var(&[0, 1], 1, false).item()], &[37.5 / 7.0], 1e-14);
    // One element with correction 1: 0/0 = NaN, as torch.var.
    assert!(t(&[3.0], &[1]).var(&[0], 1, false).item().is_nan());

    assert_close(&values(&x.norm(&[1], false)), &[30.0f64.sqrt(), 120.0f64.sqrt()], 1e-14);
    assert_eq!(x.norm(&[1], true).shape(), &[2, 1]);
    assert_close(&[x.norm_all().item()], &[150.0f64.sqrt()], 1e-14);
    assert_eq!(t(&[3.0, 4.0], &[2]).norm_all().item(), 5.0);
    assert_eq!(Tensor::zeros(&[3], DType::F64, &DEV).norm_all().item(), 0.0);
}

#[test]
fn softmax_family_is_stable_at_huge_values() {
    let e = |v: f64| v.exp();
    let z = 1.0 + e(1.0) + e(2.0);
    let soft = [1.0 / z, e(1.0) / z, e(2.0) / z];
    let x = t(&[0.0, 1.0, 2.0], &[3]);
    assert_close(&values(&x.softmax(0)), &soft, 1e-15);
    assert_close(
        &values(&x.log_softmax(0)),
        &[-z.ln(), 1.0 - z.ln(), 2.0 - z.ln()],
        1e-15,
    );
    assert_close(&[x.logsumexp(&[0], false).item()], &[z.ln()], 1e-15);

    // Shifting by 1000 would overflow exp naively; the results are shift-invariant.
    let big = t(&[1000.0, 1001.0, 1002.0], &[3]);
    assert_close(&values(&big.softmax(0)), &soft, 1e-15);
    assert_close(
        &values(&big.log_softmax(0)),
        &[-z.ln(), 1.0 - z.ln(), 2.0 - z.ln()],
        1e-13,
    );
    assert_close(&[big.logsumexp(&[0], false).item()], &[1000.0 + z.ln()], 1e-15);
    assert_close(
        &[t(&[1000.0, 1000.0], &[2]).logsumexp(&[0], false).item()],
        &[1000.0 + 2f64.ln()],
        1e-15,
    );
    assert_close(
        &[t(&[-1000.0, -1000.0], &[2]).logsumexp(&[0], false).item()],
        &[-1000.0 + 2f64.ln()],
        1e-15,
    );
    assert_close(&values(&t(&[-1000.0, 0.0], &[2]).softmax(0)), &[0.0, 1.0], 0.0);

    // Along dim 1 of a matrix, with keepdim and several dims.
    let m = t(&[0.0, 3f64.ln(), 1000.0, 1000.0], &[2, 2]);
    assert_close(&values(&m.softmax(1)), &[0.25, 0.75, 0.5, 0.5], 1e-15);
    let lse = m.logsumexp(&[1], true);
    assert_eq!(lse.shape(), &[2, 1]);
    assert_close(&values(&lse), &[4f64.ln(), 1000.0 + 2f64.ln()], 1e-15);
    let col = t(&[0.0, 1.0, 0.0, 1.0], &[2, 2]).softmax(0);
    assert_close(&values(&col), &[0.5; 4], 1e-15);
    let all = t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]).logsumexp(&[0, 1], false);
    let expected = (1..=4).map(|k| e(k as f64)).sum::<f64>().ln();
    assert_eq!(all.rank(), 0);
    assert_close(&[all.item()], &[expected], 1e-15);

    // Rows containing -inf, like PyTorch: masked entries get probability 0 / log-prob -inf; a row
    // that is entirely -inf has logsumexp -inf and NaN softmax / log_softmax.
    let inf = f64::INFINITY;
    let masked = t(&[-inf, 0.0, -inf], &[3]);
    assert_close(&values(&masked.softmax(0)), &[0.0, 1.0, 0.0], 0.0);
    assert_close(&values(&masked.log_softmax(0)), &[-inf, 0.0, -inf], 0.0);
    assert_eq!(masked.logsumexp(&[0], false).item(), 0.0);
    let dead = t(&[-inf, -inf, 1.0, 2.0], &[2, 2]);
    assert_close(
        &values(&dead.logsumexp(&[1], false)),
        &[-inf, 2.0 + (1.0 + e(-1.0)).ln()],
        1e-15,
    );
    let s = values(&dead.softmax(1));
    assert!(s[0].is_nan() && s[1].is_nan(), "softmax of an all -inf row: {s:?}");
    assert_close(&s[2..], &[1.0 / (1.0 + e(1.0)), e(1.0) / (1.0 + e(1.0))], 1e-15);
    let ls = values(&dead.log_softmax(1));
    assert!(
        ls[0].is_nan() && ls[1].is_nan(),
        "log_softmax of an all -inf row: {ls:?}"
    );
    // +inf dominates logsumexp.
    assert_eq!(t(&[inf, 1.0], &[2]).logsumexp(&[0], false).item(), inf);
}

#[test]
fn clamp_softplus_sigmoid_at_extremes() {
    let x = t(&[-2.0, -1.0, 0.0, 1.0, 2.0], &[5]);
    assert_eq!(values(&x.clamp(Some(-1.0), Some(1.0))), vec![-1.0, -1.0, 0.0, 1.0, 1.0]);
    assert_eq!(values(&x.clamp(None, Some(0.5))), vec![-2.0, -1.0, 0.0, 0.5, 0.5]);
    assert_eq!(values(&x.clamp(Some(0.0), None)), vec![0.0, 0.0, 0.0, 1.0, 2.0]);
    assert_eq!(values(&x.clamp(None, None)), values(&x));
    assert!(t(&[f64::NAN], &[1]).clamp(Some(0.0), Some(1.0)).item().is_nan());

    // softplus = log(1 + e^x), and exactly x above the threshold 20 (never inf).
    let sp = values(&t(&[-1000.0, -1.0, 0.0, 1.0, 20.0, 20.5, 1000.0], &[7]).softplus());
    let l1pe = |v: f64| v.exp().ln_1p();
    assert_close(
        &sp,
        &[0.0, l1pe(-1.0), 2f64.ln(), l1pe(1.0), l1pe(20.0), 20.5, 1000.0],
        1e-15,
    );
    assert_eq!(sp[5], 20.5, "above the threshold softplus is the identity");
    assert!(
        sp[4] > 20.0,
        "at the threshold softplus is still log1p(exp(x)): {}",
        sp[4]
    );

    let s = values(&t(&[-1000.0, -40.0, 0.0, 40.0, 1000.0], &[5]).sigmoid());
    let e40 = (-40f64).exp();
    assert_close(&s, &[0.0, e40 / (1.0 + e40), 0.5, 1.0 / (1.0 + e40), 1.0], 1e-15);
    assert!(s.iter().all(|v| v.is_finite()));
    assert_eq!(values(&t(&[-1000.0, 1000.0], &[2]).tanh()), vec![-1.0, 1.0]);
}

#[test]
fn elementwise_unary_and_binary_values() {
    let x = t(&[-2.0, -0.5, 0.0, 0.5, 2.0], &[5]);
    assert_eq!(values(&x.neg()), vec![2.0, 0.5, -0.0, -0.5, -2.0]);
    assert_eq!(values(&x.relu()), vec![0.0, 0.0, 0.0, 0.5, 2.0]);
    assert_eq!(values(&x.abs()), vec![2.0, 0.5, 0.0, 0.5, 2.0]);
    assert_eq!(values(&x.sign()), vec![-1.0, -1.0, 0.0, 1.0, 1.0]);
    assert_eq!(values(&x.square()), vec![4.0, 0.25, 0.0, 0.25, 4.0]);
    assert_eq!(values(&x.affine(2.0, 1.0)), vec![-3.0, 0.0, 1.0, 2.0, 5.0]);
    assert_eq!(values(&x.recip()), vec![-0.5, -2.0, f64::INFINITY, 2.0, 0.5]);
    let p = t(&[0.25, 1.0, 4.0], &[3]);
    assert_eq!(values(&p.sqrt()), vec![0.5, 1.0, 2.0]);
    assert_close(&values(&p.log()), &[-(4f64.ln()), 0.0, 4f64.ln()], 1e-15);
    assert_close(&values(&p.exp()), &[0.25f64.exp(), 1f64.exp(), 4f64.exp()], 1e-15);
    assert_close(
        &values(&x.tanh()),
        &x.to_vec::<f64>().iter().map(|v| v.tanh()).collect::<Vec<_>>(),
        1e-15,
    );
    assert_close(
        &values(&x.sin()),
        &x.to_vec::<f64>().iter().map(|v| v.sin()).collect::<Vec<_>>(),
        1e-15,
    );
    assert_close(
        &values(&x.cos()),
        &x.to_vec::<f64>().iter().map(|v| v.cos()).collect::<Vec<_>>(),
        1e-15,
    );
    // log1p is accurate near 0 (log(1 + 1e-12) would lose most digits).
    assert_close(&[t(&[1e-12], &[1]).log1p().item()], &[1e-12 - 0.5e-24], 1e-15);
    assert_eq!(t(&[0.0], &[1]).log().item(), f64::NEG_INFINITY);
    // NaN propagates through relu.
    assert!(t(&[f64::NAN], &[1]).relu().item().is_nan());

    let a = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let b = t(&[1.0, 2.0, 4.0], &[3]);
    assert_eq!(values(&a.add(&b)), vec![2.0, 4.0, 7.0, 5.0, 7.0, 10.0]);
    assert_eq!(values(&a.sub(&b)), vec![0.0, 0.0, -1.0, 3.0, 3.0, 2.0]);
    assert_eq!(values(&a.mul(&b)), vec![1.0, 4.0, 12.0, 4.0, 10.0, 24.0]);
    assert_eq!(values(&a.div(&b)), vec![1.0, 1.0, 0.75, 4.0, 2.5, 1.5]);
    assert_eq!(
        values(&b.pow(&t(&[2.0, 0.5, -1.0], &[3]))),
        vec![1.0, 2f64.sqrt(), 0.25]
    );
    assert_eq!(values(&a.maximum(&t(&[3.0], &[1]))), vec![3.0, 3.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(
        values(&a.minimum(&t(&[2.0, 5.0], &[2, 1]))),
        vec![1.0, 2.0, 2.0, 4.0, 5.0, 5.0]
    );
    // NaN in either operand of maximum / minimum propagates.
    let n = t(&[f64::NAN, 1.0], &[2]);
    let m = t(&[1.0, f64::NAN], &[2]);
    assert!(values(&n.maximum(&m)).iter().all(|v| v.is_nan()));
    assert!(values(&n.minimum(&m)).iter().all(|v| v.is_nan()));
    // Scalar variants.
    assert_eq!(values(&b.add_scalar(1.0)), vec![2.0, 3.0, 5.0]);
    assert_eq!(values(&b.sub_scalar(1.0)), vec![0.0, 1.0, 3.0]);
    assert_eq!(values(&b.mul_scalar(-2.0)), vec![-2.0, -4.0, -8.0]);
    assert_eq!(values(&b.div_scalar(4.0)), vec![0.25, 0.5, 1.0]);
    assert_eq!(values(&b.pow_scalar(2.0)), vec![1.0, 4.0, 16.0]);
    assert_eq!(values(&b.rsub_scalar(10.0)), vec![9.0, 8.0, 6.0]);
    // f32 arithmetic stays f32.
    let f = Tensor::from_vec(vec![1.5f32, 2.0], &[2], &DEV);
    let r = f.mul(&f).add_scalar(0.5);
    assert_eq!((r.dtype(), r.to_vec::<f32>()), (DType::F32, vec![2.75f32, 4.5]));
}

// ---------------------------------------------------------------------------------------------
// Data movement
// ---------------------------------------------------------------------------------------------

#[test]
fn cat_and_stack() {
    let a = t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let b = t(&[5.0, 6.0], &[2, 1]);
    let c = Tensor::cat(&[a.clone(), b.clone()], 1);
    assert_eq!(
        (c.shape(), values(&c)),
        (&[2usize, 3][..], vec![1.0, 2.0, 5.0, 3.0, 4.0, 6.0])
    );
    let r = Tensor::cat(&[a.clone(), t(&[7.0, 8.0], &[1, 2]), a.clone()], 0);
    assert_eq!(r.shape(), &[5, 2]);
    assert_eq!(values(&r), vec![1.0, 2.0, 3.0, 4.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0]);
    // Non-contiguous parts.
    let tc = Tensor::cat(&[a.mt(), b.mt().expand(&[2, 2])], 0);
    assert_eq!(values(&tc), vec![1.0, 3.0, 2.0, 4.0, 5.0, 6.0, 5.0, 6.0]);
    // Other dtypes.
    let ic = Tensor::cat(
        &[
            Tensor::from_vec(vec![1i64], &[1], &DEV),
            Tensor::from_vec(vec![2i64, 3], &[2], &DEV),
        ],
        0,
    );
    assert_eq!(ic.to_vec::<i64>(), vec![1, 2, 3]);

    let u = t(&[1.0, 2.0, 3.0], &[3]);
    let v = t(&[4.0, 5.0, 6.0], &[3]);
    let s0 = Tensor::stack(&[u.clone(), v.clone()], 0);
    assert_eq!(
        (s0.shape(), values(&s0)),
        (&[2usize, 3][..], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    );
    let s1 = Tensor::stack(&[u, v], 1);
    assert_eq!(
        (s1.shape(), values(&s1)),
        (&[3usize, 2][..], vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0])
    );

    assert_panics_with(
        || drop(Tensor::cat(&[a.clone(), t(&[1.0, 2.0, 3.0], &[1, 3])], 0)),
        &["cat", "[2, 2]", "[1, 3]"],
    );
    assert_panics_with(|| drop(Tensor::cat(&[], 0)), &["cat"]);
}

#[test]
fn pad_with_a_constant() {
    let a = t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let p = a.pad(&[(1, 0), (0, 2)], 9.0);
    assert_eq!(p.shape(), &[3, 4]);
    assert_eq!(
        values(&p),
        vec![9.0, 9.0, 9.0, 9.0, 1.0, 2.0, 9.0, 9.0, 3.0, 4.0, 9.0, 9.0]
    );
    let pd = t(&[1.0, 2.0], &[2]).pad_dim(0, 2, 1);
    assert_eq!(values(&pd), vec![0.0, 0.0, 1.0, 2.0, 0.0]);
    // Of a transposed view.
    assert_eq!(values(&a.mt().pad_dim(1, 1, 0)), vec![0.0, 1.0, 3.0, 0.0, 2.0, 4.0]);
    // Zero padding is the identity.
    assert!(a.pad(&[(0, 0), (0, 0)], 1.0).shares_storage_with(&a));
    assert_panics_with(|| drop(a.pad(&[(1, 1)], 0.0)), &["pad", "[2, 2]"]);
}

#[test]
fn gather_scatter_add_index_select() {
    let x = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let idx = Tensor::from_vec(vec![2i64, 0, 1, 1], &[2, 2], &DEV);
    let g = x.gather(1, &idx);
    assert_eq!((g.shape(), values(&g)), (&[2usize, 2][..], vec![3.0, 1.0, 5.0, 5.0]));
    let g0 = x.gather(0, &Tensor::from_vec(vec![1i64, 0, 1], &[1, 3], &DEV));
    assert_eq!(values(&g0), vec![4.0, 2.0, 6.0]);
    // Of a transposed input: xt = [[1,4],[2,5],[3,6]].
    let gt = x.mt().gather(1, &Tensor::from_vec(vec![1i64, 0, 1], &[3, 1], &DEV));
    assert_eq!(values(&gt), vec![4.0, 2.0, 6.0]);

    // scatter_add with repeated positions accumulates.
    let base = Tensor::zeros(&[2, 3], DType::F64, &DEV);
    let index = Tensor::from_vec(vec![0i64, 1, 0, 2, 2, 1], &[2, 3], &DEV);
    let s = base.scatter_add(1, &index, &x);
    assert_eq!(values(&s), vec![4.0, 2.0, 0.0, 0.0, 6.0, 9.0]);
    assert_eq!(values(&base), vec![0.0; 6], "scatter_add is out of place");
    let ones = Tensor::ones(&[2, 3], DType::F64, &DEV);
    let s0 = ones.scatter_add(
        0,
        &Tensor::from_vec(vec![1i64, 1], &[1, 2], &DEV),
        &t(&[10.0, 20.0], &[1, 2]),
    );
    assert_eq!(values(&s0), vec![1.0, 1.0, 1.0, 11.0, 21.0, 1.0]);
    let si = Tensor::zeros(&[3], DType::I64, &DEV).scatter_add(
        0,
        &Tensor::from_vec(vec![2i64, 2, 0], &[3], &DEV),
        &Tensor::from_vec(vec![5i64, 6, 7], &[3], &DEV),
    );
    assert_eq!(si.to_vec::<i64>(), vec![7, 0, 11]);
    // Bool scatter-add is logical or (PyTorch's): true + true stays true, nothing unsets.
    let sb = Tensor::from_vec(vec![false, true, false, false], &[4], &DEV).scatter_add(
        0,
        &Tensor::from_vec(vec![0i64, 0, 1, 2], &[4], &DEV),
        &Tensor::from_vec(vec![true, true, false, false], &[4], &DEV),
    );
    assert_eq!(sb.to_vec::<bool>(), vec![true, true, false, false]);

    let m = iota(&[3, 2]);
    let rows = m.index_select(0, &Tensor::from_vec(vec![2i64, 0, 2], &[3], &DEV));
    assert_eq!(
        (rows.shape(), values(&rows)),
        (&[3usize, 2][..], vec![4.0, 5.0, 0.0, 1.0, 4.0, 5.0])
    );
    let cols = m.index_select(1, &Tensor::from_vec(vec![1i64], &[1], &DEV));
    assert_eq!((cols.shape(), values(&cols)), (&[3usize, 1][..], vec![1.0, 3.0, 5.0]));
    let none = m.index_select(0, &Tensor::zeros(&[0], DType::I64, &DEV));
    assert_eq!(none.shape(), &[0, 2]);

    assert_panics_with(
        || drop(x.gather(1, &t(&[0.0], &[1, 1]))),
        &["gather", "int64", "float64"],
    );
    assert_panics_with(
        || drop(m.index_select(0, &Tensor::from_vec(vec![3i64], &[1], &DEV))),
        &["index_select", "index 3 is out of bounds", "size 3"],
    );
    assert_panics_with(
        || drop(base.scatter_add(1, &Tensor::from_vec(vec![-1i64], &[1, 1], &DEV), &t(&[1.0], &[1, 1]))),
        &["scatter_add", "index -1 is out of bounds"],
    );
}

#[test]
fn matmul_follows_torch_rules() {
    let v = t(&[1.0, 2.0, 3.0], &[3]);
    let w = t(&[4.0, 5.0, 6.0], &[3]);
    let m32 = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]);
    let m23 = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);

    // 1-D · 1-D: a 0-d dot product.
    let d = v.matmul(&w);
    assert_eq!((d.rank(), d.item()), (0, 32.0));
    // 1-D · 2-D: a row vector times a matrix, the row dim removed.
    let vm = v.matmul(&m32);
    assert_eq!((vm.shape(), values(&vm)), (&[2usize][..], vec![22.0, 28.0]));
    // 2-D · 1-D: matrix times a column vector, the column dim removed.
    let mv = m23.matmul(&v);
    assert_eq!((mv.shape(), values(&mv)), (&[2usize][..], vec![14.0, 32.0]));
    // 2-D · 2-D.
    let mm = m23.matmul(&m32);
    assert_eq!(
        (mm.shape(), values(&mm)),
        (&[2usize, 2][..], vec![22.0, 28.0, 49.0, 64.0])
    );
    // Transposed operands (strided, no copy needed): m32ᵀ·m23ᵀ = (m23·m32)ᵀ.
    assert_eq!(values(&m32.mt().matmul(&m23.mt())), vec![22.0, 49.0, 28.0, 64.0]);
    // Batched · 1-D and 1-D · batched.
    let b = Tensor::stack(&[m23.clone(), m23.mul_scalar(2.0)], 0); // [2, 2, 3]
    let bv = b.matmul(&v);
    assert_eq!(
        (bv.shape(), values(&bv)),
        (&[2usize, 2][..], vec![14.0, 32.0, 28.0, 64.0])
    );
    let vb = t(&[1.0, -1.0], &[2]).matmul(&b);
    assert_eq!(
        (vb.shape(), values(&vb)),
        (&[2usize, 3][..], vec![-3.0, -3.0, -3.0, -6.0, -6.0, -6.0])
    );
    // Batch dims broadcast: [2, 1, 2, 3] · [3, 3, 2] -> [2, 3, 2, 2].
    let lhs = iota(&[2, 1, 2, 3]);
    let rhs = iota(&[3, 3, 2]).sub_scalar(4.0);
    let out = lhs.matmul(&rhs);
    assert_eq!(out.shape(), &[2, 3, 2, 2]);
    let (lv, rv, ov) = (values(&lhs), values(&rhs), values(&out));
    for bi in 0..2 {
        for bj in 0..3 {
            for i in 0..2 {
                for j in 0..2 {
                    let expected: f64 = (0..3).map(|k| lv[bi * 6 + i * 3 + k] * rv[bj * 6 + k * 2 + j]).sum();
                    assert_eq!(
                        ov[((bi * 3 + bj) * 2 + i) * 2 + j],
                        expected,
                        "out[{bi}][{bj}][{i}][{j}]"
                    );
                }
            }
        }
    }
    // f32.
    let f = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2], &DEV);
    assert_eq!(f.matmul(&f).to_vec::<f32>(), vec![7.0, 10.0, 15.0, 22.0]);
    assert_panics_with(|| drop(v.matmul(&m23)), &["matmul", "[1, 3]", "[2, 3]"]);
}

// ---------------------------------------------------------------------------------------------
// Display
// ---------------------------------------------------------------------------------------------

#[test]
fn display_small_tensors_like_pytorch() {
    let m = t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let s = m.to_string();
    assert!(s.contains("tensor([[1.0000, 2.0000],"), "{s}");
    assert_eq!(
        s,
        "tensor([[1.0000, 2.0000],\n        [3.0000, 4.0000]], dtype=torch.float64)"
    );
    assert_eq!(format!("{m:?}"), s, "Debug prints like Display");

    // f32 is the default dtype: no suffix.  Columns are right-aligned.
    let f = Tensor::from_vec(vec![-1.5f32, 2.0, 10.25], &[3], &DEV);
    assert_eq!(f.to_string(), "tensor([-1.5000,  2.0000, 10.2500])");

    let g = Tensor::from_vec(vec![1.0f32, 2.0], &[2], &DEV).requires_grad_(true);
    assert_eq!(g.to_string(), "tensor([1.0000, 2.0000], requires_grad=True)");
    let g64 = t(&[0.5], &[1]).requires_grad_(true);
    assert_eq!(
        g64.to_string(),
        "tensor([0.5000], dtype=torch.float64, requires_grad=True)"
    );
    // A non-leaf result of a tracked op requires grad too.
    assert!(g64
        .mul_scalar(2.0)
        .to_string()
        .ends_with("dtype=torch.float64, grad_fn=<MulBackward>)"));
    let _off = learnloss::no_grad();
    assert!(
        !g64.mul_scalar(2.0).to_string().contains("grad"),
        "untracked results print no autograd state"
    );

    assert_eq!(
        Tensor::scalar(2.5, DType::F64, &DEV).to_string(),
        "tensor(2.5000, dtype=torch.float64)"
    );
    assert_eq!(Tensor::scalar(-3.0, DType::F32, &DEV).to_string(), "tensor(-3.0000)");

    let i = Tensor::from_vec(vec![1i64, -2, 3], &[3], &DEV);
    let si = i.to_string();
    assert!(si.starts_with("tensor([ 1, -2,  3]"), "{si}");
    assert!(
        !si.contains("dtype"),
        "int64 is a default dtype, PyTorch omits it: {si}"
    );
    let b = Tensor::from_vec(vec![true, false], &[2], &DEV);
    let sb = b.to_string();
    assert!(sb.starts_with("tensor([ True, False]"), "{sb}");
    assert!(!sb.contains("dtype"), "PyTorch omits the dtype of bool tensors: {sb}");

    // A 3-D tensor separates its matrices with a blank line; a transposed view prints its
    // logical (not storage) order.
    let c = iota(&[2, 1, 2]).to_dtype(DType::F32);
    assert_eq!(
        c.to_string(),
        "tensor([[[0.0000, 1.0000]],\n\n        [[2.0000, 3.0000]]])"
    );
    assert_eq!(
        m.mt().to_string(),
        "tensor([[1.0000, 3.0000],\n        [2.0000, 4.0000]], dtype=torch.float64)"
    );
    // Special values.
    let sp = t(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY], &[3]).to_string();
    assert!(sp.contains("nan") && sp.contains(" inf") && sp.contains("-inf"), "{sp}");
}

#[test]
fn display_summarises_big_tensors() {
    let big = Tensor::arange(0.0, 2000.0, 1.0, DType::F64, &DEV);
    let s = big.to_string();
    assert_eq!(
        s,
        "tensor([   0.0000,    1.0000,    2.0000, ..., 1997.0000, 1998.0000, 1999.0000], dtype=torch.float64)"
    );
    assert!(s.contains("..."));

    let m = Tensor::arange(0.0, 2500.0, 1.0, DType::F32, &DEV).reshape(&[50, 50]);
    let s = m.to_string();
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines.len(), 7, "3 rows, an ellipsis row, 3 rows:\n{s}");
    assert_eq!(lines[3].trim(), "...,", "{s}");
    assert!(
        lines[0].starts_with("tensor([[   0.0000,    1.0000,    2.0000, ...,   47.0000,"),
        "{s}"
    );
    assert!(lines[6].ends_with("2497.0000, 2498.0000, 2499.0000]])"), "{s}");
    // At most 1000 elements print in full.
    assert!(!Tensor::zeros(&[1000], DType::F32, &DEV).to_string().contains("..."));
}

// ---------------------------------------------------------------------------------------------
// Programmer errors panic, naming the op and the shapes
// ---------------------------------------------------------------------------------------------

#[test]
fn broadcast_failure_names_op_and_shapes() {
    let a = Tensor::zeros(&[2, 3], DType::F64, &DEV);
    let b = Tensor::zeros(&[4], DType::F64, &DEV);
    let msg = panic_message(|| drop(a.add(&b)));
    for frag in ["Add", "cannot be broadcast", "[2, 3]", "[4]"] {
        assert!(msg.contains(frag), "{msg:?} lacks {frag:?}");
    }
    assert_panics_with(|| drop(a.gt(&b)), &["Gt", "cannot be broadcast", "[2, 3]", "[4]"]);
}

#[test]
#[should_panic(expected = "matmul: shapes [2, 3] and [4, 5] cannot be multiplied")]
fn matmul_inner_dimension_mismatch_panics() {
    let a = Tensor::zeros(&[2, 3], DType::F64, &DEV);
    let b = Tensor::zeros(&[4, 5], DType::F64, &DEV);
    let _ = a.matmul(&b);
}

#[test]
fn mixed_dtypes_panic() {
    let a = Tensor::zeros(&[2], DType::F32, &DEV);
    let b = Tensor::zeros(&[2], DType::F64, &DEV);
    assert_panics_with(|| drop(a.add(&b)), &["Add", "dtypes differ", "float32", "float64"]);
    assert_panics_with(|| drop(a.matmul(&b)), &["matmul", "float32", "float64"]);
    assert_panics_with(|| drop(a.lt(&b)), &["Lt", "float32", "float64"]);
    // Float-only ops on integer tensors.
    let i = Tensor::zeros(&[2], DType::I64, &DEV);
    assert_panics_with(|| drop(i.exp()), &["Exp", "float", "int64", "[2]"]);
    assert_panics_with(|| drop(i.add(&i)), &["Add", "float", "int64"]);
    assert_panics_with(|| drop(i.requires_grad_(true)), &["requires_grad_", "int64"]);
}

#[test]
fn reshape_to_wrong_element_count_panics() {
    let x = Tensor::zeros(&[2, 3], DType::F64, &DEV);
    assert_panics_with(
        || drop(x.reshape(&[4])),
        &["reshape", "[2, 3]", "6 elements", "[4]", "4 elements"],
    );
    assert_panics_with(|| drop(x.reshape(&[7])), &["reshape", "[7]"]);
}

#[test]
fn conv2d_channel_mismatch_panics() {
    let x = Tensor::zeros(&[1, 3, 5, 5], DType::F64, &DEV);
    let w = Tensor::zeros(&[4, 2, 3, 3], DType::F64, &DEV);
    assert_panics_with(
        || drop(x.conv2d(&w, &Conv2dParams::default())),
        &["conv2d", "[1, 3, 5, 5]", "[4, 2, 3, 3]", "3 channels", "expects 2"],
    );
    // A correct convolution, for contrast: all-ones 3x3 kernel over ones sums 9 per channel.
    let ok = Tensor::ones(&[1, 2, 4, 4], DType::F64, &DEV)
        .conv2d(&Tensor::ones(&[1, 2, 3, 3], DType::F64, &DEV), &Conv2dParams::default());
    assert_eq!((ok.shape(), values(&ok)), (&[1usize, 1, 2, 2][..], vec![18.0; 4]));
    assert_panics_with(
        || {
            drop(x.conv2d(
                &Tensor::zeros(&[4, 3, 7, 7], DType::F64, &DEV),
                &Conv2dParams::default(),
            ))
        },
        &["conv2d", "does not fit", "[1, 3, 5, 5]"],
    );
}

#[test]
fn gather_index_out_of_bounds_panics() {
    let x = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let idx = Tensor::from_vec(vec![0i64, 3], &[1, 2], &DEV);
    assert_panics_with(
        || drop(x.gather(1, &idx)),
        &["gather", "index 3 is out of bounds for dimension 1 with size 3"],
    );
    let neg = Tensor::from_vec(vec![-1i64], &[1, 1], &DEV);
    assert_panics_with(
        || drop(x.gather(0, &neg)),
        &["gather", "index -1 is out of bounds for dimension 0 with size 2"],
    );
    // An index shape that does not fit outside the gathered dim.
    let wide = Tensor::from_vec(vec![0i64; 4], &[1, 4], &DEV);
    assert_panics_with(|| drop(x.gather(0, &wide)), &["gather", "[1, 4]", "[2, 3]"]);
}
