//! Elementwise kernels on strided (and broadcast, stride-0) inputs: dtype conversion, unary and
//! binary float functions, comparisons to a mask, and select.

use super::context::Context;
use super::pipelines::{elementwise_words, grid_1d, kernel, launch};
use super::{arithmetic, elem_rules, wgsl_type, words, WgpuStorage};
use crate::backend::{BinaryOp, CmpOp, UnaryOp};
use crate::{DType, Layout, Result};

/// The `exp_t`/`log_t`/`sin_t`/`cos_t`/`pow_t` helpers of a float dtype.
fn math(dtype: DType) -> &'static str {
    match dtype {
        DType::F64 => include_str!("../../../shaders/math_f64.wgsl"),
        _ => include_str!("../../../shaders/math_f32.wgsl"),
    }
}

fn float_only(op: &str, dtype: DType) {
    assert!(dtype.is_float(), "{op}: expected a float tensor, got {dtype}");
}

/// The body of `fn f(x: T) -> T` for `op` (written with `{{T}}`, replaced afterwards). The
/// formulas follow the CPU backend's, including its NaN handling.
fn unary_body(op: UnaryOp) -> &'static str {
    match op {
        UnaryOp::Neg => "return -x;",
        UnaryOp::Recip => "return {{T}}(1.0) / x;",
        UnaryOp::Exp => "return exp_t(x);",
        UnaryOp::Log => "return log_t(x);",
        // log(1 + x) loses x's low bits when |x| is small; log(u) · x / (u - 1) recovers them
        // (Goldberg's trick), and the guards keep u == 1 and u == x (huge x) exact.
        UnaryOp::Log1p => {
            "let u = {{T}}(1.0) + x;
    if (u == {{T}}(1.0)) { return x; }
    if (u == x) { return log_t(u); }
    return log_t(u) * x / (u - {{T}}(1.0));"
        }
        UnaryOp::Sqrt => "return sqrt(x);",
        UnaryOp::Square => "return x * x;",
        // Drivers may compute tanh as (e^2x - 1)/(e^2x + 1), which cancels for small x: the odd
        // series there, and a form without cancellation elsewhere.
        UnaryOp::Tanh => {
            "let a = abs(x);
    if (a < {{T}}(0.125)) {
        let s = x * x;
        return x * ({{T}}(1.0) + s * ({{T}}(-1.0 / 3.0) + s * ({{T}}(2.0 / 15.0) + s * ({{T}}(-17.0 / 315.0)
            + s * ({{T}}(62.0 / 2835.0) + s * ({{T}}(-1382.0 / 155925.0) + s * {{T}}(21844.0 / 6081075.0)))))));
    }
    if (a > {{T}}(40.0)) { return sign(x); }
    let t = exp_t({{T}}(-2.0) * a);
    return sign(x) * ({{T}}(1.0) - t) / ({{T}}(1.0) + t);"
        }
        UnaryOp::Sigmoid => {
            "if (x >= {{T}}(0.0)) { return {{T}}(1.0) / ({{T}}(1.0) + exp_t(-x)); }
    let e = exp_t(x);
    return e / ({{T}}(1.0) + e);"
        }
        UnaryOp::Relu => "if (x > {{T}}(0.0) || x != x) { return x; } return {{T}}(0.0);",
        UnaryOp::Abs => "return abs(x);",
        UnaryOp::Sign => {
            "if (x > {{T}}(0.0)) { return {{T}}(1.0); }
    if (x < {{T}}(0.0)) { return {{T}}(-1.0); }
    return x;"
        }
        UnaryOp::Sin => "return sin_t(x);",
        UnaryOp::Cos => "return cos_t(x);",
    }
}

/// The body of `fn f(x: T, y: T) -> T` for `op`.
fn binary_body(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "return x + y;",
        BinaryOp::Sub => "return x - y;",
        BinaryOp::Mul => "return x * y;",
        BinaryOp::Div => "return x / y;",
        // WGSL's pow is undefined for x < 0 and for 0^0; Rust's powf (the CPU) is not: a negative
        // base with an integer exponent keeps the sign of odd powers, anything else is NaN.
        BinaryOp::Pow => {
            "if (y == {{T}}(0.0)) { return {{T}}(1.0); }
    if (x > {{T}}(0.0)) { return pow_t(x, y); }
    if (x == {{T}}(0.0)) { if (y > {{T}}(0.0)) { return {{T}}(0.0); } return {{T}}(1.0) / x; }
    if (y != floor(y)) { let z = x - x; return z / z; }
    let r = pow_t(-x, y);
    let half = y * {{T}}(0.5);
    if (half != floor(half)) { return -r; }
    return r;"
        }
        BinaryOp::Maximum => "if (x != x || x > y) { return x; } return y;",
        BinaryOp::Minimum => "if (x != x || x < y) { return x; } return y;",
    }
}

/// The body of `fn cmp(x: T, y: T) -> bool` for `op`, through the dtype's element rules (so
/// int64 words compare as signed 64-bit numbers; NaN compares false except with `!=`).
fn cmp_body(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "return e_eq(x, y);",
        CmpOp::Ne => "return !e_eq(x, y);",
        CmpOp::Lt => "return e_lt(x, y);",
        CmpOp::Le => "return e_le(x, y);",
        CmpOp::Gt => "return e_lt(y, x);",
        CmpOp::Ge => "return e_le(y, x);",
    }
}

/// Launch words for an elementwise op over `shape` with strided operands and a contiguous output.
fn words_for(shape: &[usize], operands: &[&Layout]) -> Vec<u32> {
    let ops: Vec<(usize, &[usize])> = operands.iter().map(|l| (l.offset(), l.strides())).collect();
    elementwise_words(shape, &ops)
}

pub(crate) fn unary(ctx: &Context, a: &WgpuStorage, l: &Layout, op: UnaryOp) -> Result<WgpuStorage> {
    float_only(op.name(), a.dtype);
    arithmetic(ctx, op.name(), a.dtype)?;
    let out = WgpuStorage::alloc(ctx, a.dtype, l.numel())?;
    if l.numel() > 0 {
        let subs = [
            ("MATH", math(a.dtype).to_string()),
            ("OP", unary_body(op).to_string()),
            ("T", wgsl_type(a.dtype).to_string()),
        ];
        let k = kernel(ctx, "unary", &subs, 1, 256)?;
        launch(
            ctx,
            &k,
            &words_for(l.shape(), &[l]),
            &[a.buffer()],
            out.buffer(),
            grid_1d(ctx, &k, l.numel())?,
        );
    }
    Ok(out)
}

pub(crate) fn binary(
    ctx: &Context,
    a: &WgpuStorage,
    al: &Layout,
    b: &WgpuStorage,
    bl: &Layout,
    op: BinaryOp,
) -> Result<WgpuStorage> {
    assert!(
        a.dtype == b.dtype && a.dtype.is_float(),
        "{op:?}: expected two float tensors of one dtype, got {} and {}",
        a.dtype,
        b.dtype
    );
    arithmetic(ctx, op.name(), a.dtype)?;
    let subs = [
        ("MATH", math(a.dtype).to_string()),
        ("OP", binary_body(op).to_string()),
        ("T", wgsl_type(a.dtype).to_string()),
    ];
    launch_two(ctx, "binary", &subs, (a, al), (b, bl), a.dtype)
}

/// One thread per output element of a two-operand kernel over the (common) shape of `al`.
fn launch_two(
    ctx: &Context,
    shader: &'static str,
    subs: &[(&'static str, String)],
    (a, al): (&WgpuStorage, &Layout),
    (b, bl): (&WgpuStorage, &Layout),
    out_dtype: DType,
) -> Result<WgpuStorage> {
    let n = al.numel();
    let out = WgpuStorage::alloc(ctx, out_dtype, n)?;
    if n > 0 {
        let k = kernel(ctx, shader, subs, 2, 256)?;
        let lay = words_for(al.shape(), &[al, bl]);
        launch(
            ctx,
            &k,
            &lay,
            &[a.buffer(), b.buffer()],
            out.buffer(),
            grid_1d(ctx, &k, n)?,
        );
    }
    Ok(out)
}

pub(crate) fn compare(
    ctx: &Context,
    a: &WgpuStorage,
    al: &Layout,
    b: &WgpuStorage,
    bl: &Layout,
    op: CmpOp,
) -> Result<WgpuStorage> {
    assert_eq!(
        a.dtype, b.dtype,
        "{op:?}: expected two tensors of one dtype, got {} and {}",
        a.dtype, b.dtype
    );
    arithmetic(ctx, op.name(), a.dtype)?;
    let subs = [
        ("ELEM", elem_rules(a.dtype).to_string()),
        ("CMP", cmp_body(op).to_string()),
        ("T", wgsl_type(a.dtype).to_string()),
    ];
    launch_two(ctx, "compare", &subs, (a, al), (b, bl), DType::Bool)
}

pub(crate) fn where_cond(
    ctx: &Context,
    c: &WgpuStorage,
    cl: &Layout,
    t: &WgpuStorage,
    tl: &Layout,
    f: &WgpuStorage,
    fl: &Layout,
) -> Result<WgpuStorage> {
    assert_eq!(
        c.dtype,
        DType::Bool,
        "where: expected a bool condition tensor, got {}",
        c.dtype
    );
    assert_eq!(
        t.dtype, f.dtype,
        "where: branches must share a dtype, got {} and {}",
        t.dtype, f.dtype
    );
    let n = cl.numel();
    let out = WgpuStorage::alloc(ctx, t.dtype, n)?;
    if n > 0 {
        let k = kernel(ctx, "where", &[("W", words(t.dtype).to_string())], 3, 256)?;
        let lay = words_for(cl.shape(), &[cl, tl, fl]);
        launch(
            ctx,
            &k,
            &lay,
            &[c.buffer(), t.buffer(), f.buffer()],
            out.buffer(),
            grid_1d(ctx, &k, n)?,
        );
    }
    Ok(out)
}

/// The conversion rule from `from` to `to` as the body of `fn convert(x: S) -> D`, as the CPU
/// converts (through f64: truncation toward zero into int64, non-zero into bool). Int64 is a
/// (low, high) word pair, split and joined here.
fn convert_body(from: DType, to: DType, f64_ok: bool) -> String {
    let d = wgsl_type(to);
    match (from, to) {
        (DType::I64, DType::Bool) => "return select(0u, 1u, any(x != vec2<u32>(0u)));".to_string(),
        (_, DType::Bool) => format!("return select(0u, 1u, x != {}(0));", wgsl_type(from)),
        (DType::Bool, DType::I64) => "return vec2<u32>(select(0u, 1u, x != 0u), 0u);".to_string(),
        (DType::Bool, _) => format!("return select({d}(0), {d}(1), x != 0u);"),
        (DType::I64, DType::F64) => "return f64(bitcast<i32>(x.y)) * f64(4294967296.0) + f64(x.x);".to_string(),
        // The CPU goes through f64 (i64 -> f64 -> f32); without f64 the two roundings are done in
        // f32 and may differ from the CPU by an ulp beyond 2^24.
        (DType::I64, DType::F32) if f64_ok => {
            "return f32(f64(bitcast<i32>(x.y)) * f64(4294967296.0) + f64(x.x));".to_string()
        }
        // Magnitude then sign: hi·2^32 + lo with a negative hi would cancel in f32.
        (DType::I64, DType::F32) => "let neg = bitcast<i32>(x.y) < 0;
    var v = x;
    if (neg) {
        let lo = ~x.x + 1u;
        v = vec2<u32>(lo, ~x.y + select(0u, 1u, lo == 0u));
    }
    let mag = f32(v.y) * 4294967296.0 + f32(v.x);
    return select(mag, -mag, neg);"
            .to_string(),
        (DType::F64, DType::I64) => "let t = trunc(x);
    let hi = floor(t / f64(4294967296.0));
    return vec2<u32>(u32(t - hi * f64(4294967296.0)), bitcast<u32>(i32(hi)));"
            .to_string(),
        // Below 2^31 through i32 (exact); above, t is a multiple of 2^8 and splits exactly.
        (DType::F32, DType::I64) => "let t = trunc(x);
    if (abs(t) < 2147483648.0) {
        let v = i32(t);
        return vec2<u32>(bitcast<u32>(v), select(0u, 0xffffffffu, v < 0));
    }
    let hi = floor(t / 4294967296.0);
    return vec2<u32>(u32(t - hi * 4294967296.0), bitcast<u32>(i32(hi)));"
            .to_string(),
        _ => format!("return {d}(x);"),
    }
}

pub(crate) fn convert(ctx: &Context, a: &WgpuStorage, l: &Layout, to: DType) -> Result<WgpuStorage> {
    arithmetic(ctx, "to_dtype", a.dtype)?;
    arithmetic(ctx, "to_dtype", to)?;
    let n = l.numel();
    let out = WgpuStorage::alloc(ctx, to, n)?;
    if n > 0 {
        let subs = [
            ("CONV", convert_body(a.dtype, to, ctx.f64)),
            ("S", wgsl_type(a.dtype).to_string()),
            ("D", wgsl_type(to).to_string()),
        ];
        let k = kernel(ctx, "convert", &subs, 1, 256)?;
        launch(
            ctx,
            &k,
            &words_for(l.shape(), &[l]),
            &[a.buffer()],
            out.buffer(),
            grid_1d(ctx, &k, n)?,
        );
    }
    Ok(out)
}
