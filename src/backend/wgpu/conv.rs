//! 2-D convolution and its two adjoints as implicit matrix products (`shaders/conv_gemm.wgsl`):
//! the shader reads the strided tensors directly (no im2col buffer, which would outgrow one
//! storage binding at real batch sizes) and blocks like the matmul kernel. Products too thin for
//! 64 × 64 blocks go to the direct kernels of `conv_direct`.

use super::context::Context;
use super::conv_direct;
use super::pipelines::{kernel, launch, layout_words, u32_of};
use super::{wgsl_type, WgpuStorage};
use crate::backend::Conv2dParams;
use crate::{Error, Layout, Result};

/// Threads per workgroup side, and rows/columns of the product per workgroup.
const THREADS: u32 = 16;
const BLOCK: u32 = 64;

/// Whether an `m × cols` product fills enough 64 × 64 blocks to beat the direct kernels
/// (measured on lavapipe: a 1-row or 9-column product wastes nearly every block).
fn blocked(m: usize, cols: usize) -> bool {
    m >= 16 && cols >= 64
}

/// `(kk → ci, kh, kw)` unpacking shared by the bodies below.
const SPLIT_K_BY_TAPS: &str = "let khw = g.kh * g.kw;
    let ci = kk / khw;
    let r = kk % khw;
    let a = r / g.kw;
    let c = r % g.kw;";

// conv2d: C[co, (n, oh, ow)] = Σ_(ci, kh, kw) W[co, ci, kh, kw] · X[n, ci, ih, iw].
const FWD_A: &str = "let khw = g.kh * g.kw;
    let r = kk % khw;
    return src_a[at(g.a_off, g.a_s, m, kk / khw, r / g.kw, r % g.kw)];";
const FWD_STORE: &str = "let ohw = g.oh * g.ow;
    out[((col / ohw) * g.cout + m) * ohw + col % ohw] = v;";

// conv2d_input_grad: C[ci, (n, h, w)] = Σ_(co, kh, kw) W[co, ci, kh, kw] · G[n, co, oh, ow]
// over the taps whose output position exists.
const IN_A: &str = "let khw = g.kh * g.kw;
    let r = kk % khw;
    return src_a[at(g.a_off, g.a_s, kk / khw, m, r / g.kw, r % g.kw)];";
const IN_B: &str = "let khw = g.kh * g.kw;
    let co = kk / khw;
    let r = kk % khw;
    let hw = g.h * g.w;
    let n = col / hw;
    let p = col % hw;
    let th = i32(p / g.w + g.ph) - i32((r / g.kw) * g.dh);
    let tw = i32(p % g.w + g.pw) - i32((r % g.kw) * g.dw);
    if (th < 0 || tw < 0 || u32(th) % g.sh != 0u || u32(tw) % g.sw != 0u) { return {{T}}(0.0); }
    let oh = u32(th) / g.sh;
    let ow = u32(tw) / g.sw;
    if (oh >= g.oh || ow >= g.ow) { return {{T}}(0.0); }
    return src_b[at(g.b_off, g.b_s, n, co, oh, ow)];";
const IN_STORE: &str = "let hw = g.h * g.w;
    out[((col / hw) * g.cin + m) * hw + col % hw] = v;";

// conv2d_weight_grad: C[co, (ci, kh, kw)] = Σ_(n, oh, ow) G[n, co, oh, ow] · X[n, ci, ih, iw].
const WGT_A: &str = "let ohw = g.oh * g.ow;
    let p = kk % ohw;
    return src_a[at(g.a_off, g.a_s, kk / ohw, m, p / g.ow, p % g.ow)];";
const WGT_STORE: &str = "out[m * param(1u) + col] = v;";

/// `X[n, ci, ih, iw]` or 0 in the padding, for the tap (a, c) at output (oh, ow) of sample n.
fn x_tap(split_k: &str, split_col: &str) -> String {
    format!(
        "{split_k}
    {split_col}
    let ih = i32(oh * g.sh + a * g.dh) - i32(g.ph);
    let iw = i32(ow * g.sw + c * g.dw) - i32(g.pw);
    if (ih < 0 || ih >= i32(g.h) || iw < 0 || iw >= i32(g.w)) {{ return {{{{T}}}}(0.0); }}
    return src_b[at(g.b_off, g.b_s, n, ci, u32(ih), u32(iw))];"
    )
}

struct Gemm<'a> {
    op: &'static str,
    /// Rows, columns and reduction length of the implicit product.
    mnk: [usize; 3],
    load_a: &'a str,
    load_b: String,
    store: &'a str,
}

/// Launches the implicit product. `x_shape` is `[N, Cin, H, W]`, `out_hw` the convolution's
/// output size; `a`/`b` are the tensors `load_a`/`load_b` read.
#[allow(clippy::too_many_arguments)]
fn run(
    ctx: &Context,
    gemm: Gemm,
    a: (&WgpuStorage, &Layout),
    b: (&WgpuStorage, &Layout),
    x_shape: [usize; 4],
    cout: usize,
    out_hw: [usize; 2],
    kernel_hw: [usize; 2],
    p: &Conv2dParams,
    out_len: usize,
) -> Result<WgpuStorage> {
    let dtype = a.0.dtype;
    let out = WgpuStorage::alloc(ctx, dtype, out_len)?;
    let [m, cols, k] = gemm.mnk;
    if out_len == 0 {
        return Ok(out);
    }
    if k == 0 {
        return super::layout_ops::full(ctx, dtype, out_len, 0.0);
    }
    let params = [
        u32_of(m),
        u32_of(cols),
        u32_of(k),
        u32_of(cout),
        u32_of(out_hw[0]),
        u32_of(out_hw[1]),
        u32_of(kernel_hw[0]),
        u32_of(kernel_hw[1]),
        u32_of(p.stride[0]),
        u32_of(p.stride[1]),
        u32_of(p.padding[0]),
        u32_of(p.padding[1]),
        u32_of(p.dilation[0]),
        u32_of(p.dilation[1]),
    ];
    let subs = [
        ("LOAD_A", gemm.load_a.to_string()),
        ("LOAD_B", gemm.load_b),
        ("STORE", gemm.store.to_string()),
        ("T", wgsl_type(dtype).to_string()),
    ];
    let kern = kernel(ctx, "conv_gemm", &subs, 2, THREADS)?;
    let lay = layout_words(
        &x_shape,
        &params,
        &[(a.1.offset(), a.1.strides()), (b.1.offset(), b.1.strides())],
    );
    let groups = [u32_of(cols).div_ceil(BLOCK), u32_of(m).div_ceil(BLOCK), 1];
    let max = ctx.limits.max_compute_workgroups_per_dimension;
    if groups[0] > max || groups[1] > max {
        return Err(Error::Device(format!(
            "wgpu: {} as a {m} × {cols} product needs more workgroups than the device's {max} per dimension",
            gemm.op
        )));
    }
    launch(ctx, &kern, &lay, &[a.0.buffer(), b.0.buffer()], out.buffer(), groups);
    Ok(out)
}

fn x_dims(l: &Layout) -> [usize; 4] {
    [l.shape()[0], l.shape()[1], l.shape()[2], l.shape()[3]]
}

pub(crate) fn conv2d(
    ctx: &Context,
    x: &WgpuStorage,
    xl: &Layout,
    w: &WgpuStorage,
    wl: &Layout,
    p: &Conv2dParams,
) -> Result<WgpuStorage> {
    conv_direct::check("conv2d", ctx, x, w)?;
    let xs = x_dims(xl);
    let (cout, kh, kw) = (wl.shape()[0], wl.shape()[2], wl.shape()[3]);
    let [oh, ow] = p
        .output_size([xs[2], xs[3]], [kh, kw])
        .expect("conv2d: geometry checked by the front end");
    if !blocked(cout, xs[0] * oh * ow) {
        return conv_direct::conv2d(ctx, x, xl, w, wl, p);
    }
    let gemm = Gemm {
        op: "conv2d",
        mnk: [cout, xs[0] * oh * ow, xs[1] * kh * kw],
        load_a: FWD_A,
        load_b: x_tap(
            SPLIT_K_BY_TAPS,
            "let ohw = g.oh * g.ow;
    let n = col / ohw;
    let oh = (col % ohw) / g.ow;
    let ow = col % g.ow;",
        ),
        store: FWD_STORE,
    };
    let len = xs[0] * cout * oh * ow;
    run(ctx, gemm, (w, wl), (x, xl), xs, cout, [oh, ow], [kh, kw], p, len)
}

pub(crate) fn conv2d_input_grad(
    ctx: &Context,
    g: &WgpuStorage,
    gl: &Layout,
    w: &WgpuStorage,
    wl: &Layout,
    p: &Conv2dParams,
    input_hw: [usize; 2],
) -> Result<WgpuStorage> {
    conv_direct::check("conv2d_input_grad", ctx, g, w)?;
    let (n, cout, oh, ow) = (gl.shape()[0], gl.shape()[1], gl.shape()[2], gl.shape()[3]);
    let (cin, kh, kw) = (wl.shape()[1], wl.shape()[2], wl.shape()[3]);
    let xs = [n, cin, input_hw[0], input_hw[1]];
    if !blocked(cin, n * input_hw[0] * input_hw[1]) {
        return conv_direct::conv2d_input_grad(ctx, g, gl, w, wl, p, input_hw);
    }
    let gemm = Gemm {
        op: "conv2d_input_grad",
        mnk: [cin, n * input_hw[0] * input_hw[1], cout * kh * kw],
        load_a: IN_A,
        load_b: IN_B.to_string(),
        store: IN_STORE,
    };
    let len = xs.iter().product();
    run(ctx, gemm, (w, wl), (g, gl), xs, cout, [oh, ow], [kh, kw], p, len)
}

pub(crate) fn conv2d_weight_grad(
    ctx: &Context,
    x: &WgpuStorage,
    xl: &Layout,
    g: &WgpuStorage,
    gl: &Layout,
    p: &Conv2dParams,
    kernel_hw: [usize; 2],
) -> Result<WgpuStorage> {
    conv_direct::check("conv2d_weight_grad", ctx, x, g)?;
    let xs = x_dims(xl);
    let (cout, oh, ow) = (gl.shape()[1], gl.shape()[2], gl.shape()[3]);
    let [kh, kw] = kernel_hw;
    if !blocked(cout, xs[1] * kh * kw) {
        return conv_direct::conv2d_weight_grad(ctx, x, xl, g, gl, p, kernel_hw);
    }
    let gemm = Gemm {
        op: "conv2d_weight_grad",
        mnk: [cout, xs[1] * kh * kw, xs[0] * oh * ow],
        load_a: WGT_A,
        load_b: x_tap(
            "let ohw = g.oh * g.ow;
    let n = kk / ohw;
    let oh = (kk % ohw) / g.ow;
    let ow = kk % g.ow;",
            "let khw = g.kh * g.kw;
    let ci = col / khw;
    let a = (col % khw) / g.kw;
    let c = col % g.kw;",
        ),
        store: WGT_STORE,
    };
    let len = cout * xs[1] * kh * kw;
    run(ctx, gemm, (g, gl), (x, xl), xs, cout, [oh, ow], kernel_hw, p, len)
}
