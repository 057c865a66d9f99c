//! Elementwise kernels over strided operands: unary maps, binary ops, comparisons, `where`,
//! dtype conversion. Each operand has its own descriptor over the output shape (merged on its
//! own, so a contiguous operand reads at `offset + i` whatever the others look like); outputs
//! are contiguous.

use super::launch::{grid_1d, launch_typed, suffix};
use super::strided::Strided;
use super::{same_device, CudaStorage};
use crate::backend::{BinaryOp, CmpOp, UnaryOp};
use crate::{DType, Layout, Result};

/// The kernel's code of each op (`LL_NEG`... in kernels/unary.cu).
fn unary_code(op: UnaryOp) -> i32 {
    match op {
        UnaryOp::Neg => 0,
        UnaryOp::Recip => 1,
        UnaryOp::Exp => 2,
        UnaryOp::Log => 3,
        UnaryOp::Log1p => 4,
        UnaryOp::Sqrt => 5,
        UnaryOp::Square => 6,
        UnaryOp::Tanh => 7,
        UnaryOp::Sigmoid => 8,
        UnaryOp::Relu => 9,
        UnaryOp::Abs => 10,
        UnaryOp::Sign => 11,
        UnaryOp::Sin => 12,
        UnaryOp::Cos => 13,
    }
}

/// `LL_ADD`... in kernels/binary.cu.
fn binary_code(op: BinaryOp) -> i32 {
    match op {
        BinaryOp::Add => 0,
        BinaryOp::Sub => 1,
        BinaryOp::Mul => 2,
        BinaryOp::Div => 3,
        BinaryOp::Pow => 4,
        BinaryOp::Maximum => 5,
        BinaryOp::Minimum => 6,
    }
}

/// `LL_EQ`... in kernels/compare.cu.
fn compare_code(op: CmpOp) -> i32 {
    match op {
        CmpOp::Eq => 0,
        CmpOp::Ne => 1,
        CmpOp::Lt => 2,
        CmpOp::Le => 3,
        CmpOp::Gt => 4,
        CmpOp::Ge => 5,
    }
}

fn expect_float(op: &str, dtype: DType) {
    assert!(dtype.is_float(), "{op}: expected a float tensor, got {dtype}");
}

pub fn unary(x: &CudaStorage, layout: &Layout, op: UnaryOp) -> Result<CudaStorage> {
    expect_float(op.name(), x.dtype);
    let ctx = x.ctx();
    let n = layout.numel();
    let out = CudaStorage::alloc(ctx, x.dtype, n)?;
    if n > 0 {
        let args = (out.ptr(), x.ptr(), Strided::of(layout)?, n as i64, unary_code(op));
        launch_typed(ctx, "unary", "unary", x.dtype, grid_1d(n), args)?;
    }
    Ok(out)
}

pub fn binary(a: &CudaStorage, al: &Layout, b: &CudaStorage, bl: &Layout, op: BinaryOp) -> Result<CudaStorage> {
    assert!(
        a.dtype == b.dtype && a.dtype.is_float(),
        "{op:?}: expected two float tensors of one dtype, got {} and {}",
        a.dtype,
        b.dtype
    );
    same_device(op.name(), a, b);
    two_operands("binary", (a, al), (b, bl), a.dtype, binary_code(op))
}

pub fn compare(a: &CudaStorage, al: &Layout, b: &CudaStorage, bl: &Layout, op: CmpOp) -> Result<CudaStorage> {
    assert!(
        a.dtype == b.dtype,
        "{op:?}: expected two tensors of one dtype, got {} and {}",
        a.dtype,
        b.dtype
    );
    same_device(op.name(), a, b);
    two_operands("compare", (a, al), (b, bl), DType::Bool, compare_code(op))
}

/// The one launch of binary.cu and compare.cu (same signature, kernel named as its file): an
/// output of `out_dtype` from two strided operands and the op's code.
fn two_operands(
    file: &'static str,
    (a, al): (&CudaStorage, &Layout),
    (b, bl): (&CudaStorage, &Layout),
    out_dtype: DType,
    code: i32,
) -> Result<CudaStorage> {
    let ctx = a.ctx();
    let n = al.numel();
    let out = CudaStorage::alloc(ctx, out_dtype, n)?;
    if n > 0 {
        let args = (
            out.ptr(),
            a.ptr(),
            Strided::of(al)?,
            b.ptr(),
            Strided::of(bl)?,
            n as i64,
            code,
        );
        launch_typed(ctx, file, file, a.dtype, grid_1d(n), args)?;
    }
    Ok(out)
}

pub fn where_cond(
    c: &CudaStorage,
    cl: &Layout,
    t: &CudaStorage,
    tl: &Layout,
    f: &CudaStorage,
    fl: &Layout,
) -> Result<CudaStorage> {
    assert_eq!(
        c.dtype,
        DType::Bool,
        "where: expected a bool condition tensor, got {}",
        c.dtype
    );
    assert!(
        t.dtype == f.dtype,
        "where: branches must share a dtype, got {} and {}",
        t.dtype,
        f.dtype
    );
    same_device("where", c, t);
    same_device("where", c, f);
    let ctx = c.ctx();
    let n = cl.numel();
    let out = CudaStorage::alloc(ctx, t.dtype, n)?;
    if n > 0 {
        let args = (
            out.ptr(),
            c.ptr(),
            Strided::of(cl)?,
            t.ptr(),
            Strided::of(tl)?,
            f.ptr(),
            Strided::of(fl)?,
            n as i64,
        );
        launch_typed(ctx, "where", "where", t.dtype, grid_1d(n), args)?;
    }
    Ok(out)
}

/// A contiguous copy of `x` under `layout` converted to another dtype (`convert_<src>_<dst>`).
pub fn convert(x: &CudaStorage, layout: &Layout, dtype: DType) -> Result<CudaStorage> {
    let ctx = x.ctx();
    let n = layout.numel();
    let out = CudaStorage::alloc(ctx, dtype, n)?;
    if n > 0 {
        let name = format!("convert_{}_{}", suffix(x.dtype), suffix(dtype));
        let func = ctx.function("convert", &name)?;
        let args = (out.ptr(), x.ptr(), Strided::of(layout)?, n as i64);
        super::launch::launch(ctx, &func, grid_1d(n), "to_dtype", args)?;
    }
    Ok(out)
}
