//! Elementwise kernels over strided operands: unary maps, broadcast binary ops, comparisons,
//! `where`, and dtype conversion.

use super::buffers;
use super::element::{Element, FloatElement};
use super::strided::Plan;
use super::CpuStorage;
use crate::backend::{BackendStorage, BinaryOp, CmpOp, UnaryOp};
use crate::{DType, Layout};

/// `out[i] = f(a[i])` over the layout's elements, row-major.
pub fn map1<T: Element, U: Element>(a: &[T], al: &Layout, f: impl Fn(T) -> U + Sync) -> Vec<U> {
    let plan = Plan::new(al.shape(), &[al]);
    let mut out = buffers::uninit(plan.numel());
    let sa = plan.inner_strides[0];
    plan.fill_rows(&mut out, |row, offs| {
        let n = row.len();
        if sa == 1 {
            for (o, &x) in row.iter_mut().zip(&a[offs[0]..offs[0] + n]) {
                o.write(f(x));
            }
        } else {
            for (i, o) in row.iter_mut().enumerate() {
                o.write(f(a[offs[0] + i * sa]));
            }
        }
    });
    // SAFETY: `fill_rows` hands every row to the closure, which writes each element.
    unsafe { buffers::assume_init(out) }
}

/// `out[i] = f(a[i], b[i])`; both layouts have the output shape (broadcast by zero strides).
pub fn map2<T: Element, U: Element>(
    a: &[T],
    al: &Layout,
    b: &[T],
    bl: &Layout,
    f: impl Fn(T, T) -> U + Sync,
) -> Vec<U> {
    let plan = Plan::new(al.shape(), &[al, bl]);
    let mut out = buffers::uninit(plan.numel());
    let (sa, sb) = (plan.inner_strides[0], plan.inner_strides[1]);
    plan.fill_rows(&mut out, |row, offs| {
        let n = row.len();
        match (sa, sb) {
            (1, 1) => {
                let (xa, xb) = (&a[offs[0]..offs[0] + n], &b[offs[1]..offs[1] + n]);
                for ((o, &x), &y) in row.iter_mut().zip(xa).zip(xb) {
                    o.write(f(x, y));
                }
            }
            (1, 0) => {
                let y = b[offs[1]];
                for (o, &x) in row.iter_mut().zip(&a[offs[0]..offs[0] + n]) {
                    o.write(f(x, y));
                }
            }
            (0, 1) => {
                let x = a[offs[0]];
                for (o, &y) in row.iter_mut().zip(&b[offs[1]..offs[1] + n]) {
                    o.write(f(x, y));
                }
            }
            _ => {
                for (i, o) in row.iter_mut().enumerate() {
                    o.write(f(a[offs[0] + i * sa], b[offs[1] + i * sb]));
                }
            }
        }
    });
    // SAFETY: `fill_rows` hands every row to the closure, which writes each element.
    unsafe { buffers::assume_init(out) }
}

pub fn unary<T: FloatElement>(a: &[T], al: &Layout, op: UnaryOp) -> Vec<T> {
    let zero = T::zero();
    let one = T::one();
    match op {
        UnaryOp::Neg => map1(a, al, |x: T| -x),
        UnaryOp::Recip => map1(a, al, |x: T| one / x),
        UnaryOp::Exp => map1(a, al, |x: T| x.exp()),
        UnaryOp::Log => map1(a, al, |x: T| x.ln()),
        UnaryOp::Log1p => map1(a, al, |x: T| x.ln_1p()),
        UnaryOp::Sqrt => map1(a, al, |x: T| x.sqrt()),
        UnaryOp::Square => map1(a, al, |x: T| x * x),
        UnaryOp::Tanh => map1(a, al, |x: T| x.tanh()),
        // Split by sign so that exp never overflows.
        UnaryOp::Sigmoid => map1(a, al, |x: T| {
            if x >= zero {
                one / (one + (-x).exp())
            } else {
                let e = x.exp();
                e / (one + e)
            }
        }),
        // NaN propagates, as in PyTorch.
        UnaryOp::Relu => map1(a, al, |x: T| if x > zero || x.is_nan() { x } else { zero }),
        UnaryOp::Abs => map1(a, al, |x: T| x.abs()),
        UnaryOp::Sign => map1(a, al, |x: T| {
            if x > zero {
                one
            } else if x < zero {
                -one
            } else if x.is_nan() {
                x
            } else {
                zero
            }
        }),
        UnaryOp::Sin => map1(a, al, |x: T| x.sin()),
        UnaryOp::Cos => map1(a, al, |x: T| x.cos()),
    }
}

pub fn binary<T: FloatElement>(a: &[T], al: &Layout, b: &[T], bl: &Layout, op: BinaryOp) -> Vec<T> {
    match op {
        BinaryOp::Add => map2(a, al, b, bl, |x: T, y: T| x + y),
        BinaryOp::Sub => map2(a, al, b, bl, |x: T, y: T| x - y),
        BinaryOp::Mul => map2(a, al, b, bl, |x: T, y: T| x * y),
        BinaryOp::Div => map2(a, al, b, bl, |x: T, y: T| x / y),
        BinaryOp::Pow => map2(a, al, b, bl, |x: T, y: T| x.powf(y)),
        // NaN in either operand propagates, as torch.maximum / torch.minimum.
        BinaryOp::Maximum => map2(a, al, b, bl, |x: T, y: T| if x.is_nan() || x > y { x } else { y }),
        BinaryOp::Minimum => map2(a, al, b, bl, |x: T, y: T| if x.is_nan() || x < y { x } else { y }),
    }
}

pub fn compare<T: Element>(a: &[T], al: &Layout, b: &[T], bl: &Layout, op: CmpOp) -> Vec<u8> {
    match op {
        CmpOp::Eq => map2(a, al, b, bl, |x: T, y: T| u8::from(x == y)),
        CmpOp::Ne => map2(a, al, b, bl, |x: T, y: T| u8::from(x != y)),
        CmpOp::Lt => map2(a, al, b, bl, |x: T, y: T| u8::from(x < y)),
        CmpOp::Le => map2(a, al, b, bl, |x: T, y: T| u8::from(x <= y)),
        CmpOp::Gt => map2(a, al, b, bl, |x: T, y: T| u8::from(x > y)),
        CmpOp::Ge => map2(a, al, b, bl, |x: T, y: T| u8::from(x >= y)),
    }
}

/// `out[i] = if cond[i] { t[i] } else { f[i] }`.
pub fn select<T: Element>(cond: &[u8], cl: &Layout, t: &[T], tl: &Layout, f: &[T], fl: &Layout) -> Vec<T> {
    let plan = Plan::new(cl.shape(), &[cl, tl, fl]);
    let mut out = buffers::uninit(plan.numel());
    let s = plan.inner_strides.clone();
    plan.fill_rows(&mut out, |row, offs| {
        let n = row.len();
        // Masks of real data are unpredictable: the unit-stride loops pick without a branch
        // (a blend the compiler vectorises), which is ~10× faster than a mispredicted jump.
        let pick = |c: u8, x: T, y: T| [y, x][usize::from(c != 0)];
        match (s[0], s[1], s[2]) {
            (1, 1, 1) => {
                let (c, x, y) = (
                    &cond[offs[0]..offs[0] + n],
                    &t[offs[1]..offs[1] + n],
                    &f[offs[2]..offs[2] + n],
                );
                for (((o, &c), &x), &y) in row.iter_mut().zip(c).zip(x).zip(y) {
                    o.write(pick(c, x, y));
                }
            }
            (1, 1, 0) => {
                let (c, x, y) = (&cond[offs[0]..offs[0] + n], &t[offs[1]..offs[1] + n], f[offs[2]]);
                for ((o, &c), &x) in row.iter_mut().zip(c).zip(x) {
                    o.write(pick(c, x, y));
                }
            }
            (1, 0, 1) => {
                let (c, x, y) = (&cond[offs[0]..offs[0] + n], t[offs[1]], &f[offs[2]..offs[2] + n]);
                for ((o, &c), &y) in row.iter_mut().zip(c).zip(y) {
                    o.write(pick(c, x, y));
                }
            }
            _ => {
                for (i, o) in row.iter_mut().enumerate() {
                    o.write(pick(
                        cond[offs[0] + i * s[0]],
                        t[offs[1] + i * s[1]],
                        f[offs[2] + i * s[2]],
                    ));
                }
            }
        }
    });
    // SAFETY: `fill_rows` hands every row to the closure, which writes each element.
    unsafe { buffers::assume_init(out) }
}

/// A contiguous copy of the layout's elements converted to `dtype`.
pub fn to_dtype(src: &CpuStorage, layout: &Layout, dtype: DType) -> CpuStorage {
    fn conv<T: Element, U: Element>(v: &[T], l: &Layout) -> Vec<U> {
        map1(v, l, |x: T| U::from_f64(x.to_f64()))
    }
    macro_rules! to {
        ($v:expr) => {
            match dtype {
                DType::F32 => CpuStorage::F32(conv($v, layout)),
                DType::F64 => CpuStorage::F64(conv($v, layout)),
                DType::I64 => CpuStorage::I64(conv($v, layout)),
                DType::Bool => CpuStorage::Bool(conv($v, layout)),
            }
        };
    }
    // Same dtype: a plain copy (avoids the f64 round trip, exact for every i64).
    if BackendStorage::dtype(src) == dtype {
        return crate::backend::cpu::map_any!(src, v => super::strided::contiguous_copy(v, layout));
    }
    match src {
        CpuStorage::F32(v) => to!(v),
        CpuStorage::F64(v) => to!(v),
        CpuStorage::I64(v) => to!(v),
        CpuStorage::Bool(v) => to!(v),
    }
}
