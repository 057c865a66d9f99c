//! 2-D convolution and its two adjoints as implicit matrix products (`shaders/conv_gemm.wgsl`):
//! the shader reads the strided tensors directly (no im2col buffer, which would outgrow one
//! storage binding at real batch sizes) and blocks like the matmul kernel. Products too thin for
//! 64 × 64 blocks go to the direct kernels of `conv_direct`. Software adapters (a CPU running
//! the invocations as SIMD lanes) take the barrier-free kernels of `conv_lanes` instead.

use super::context::Context;
use super::conv_direct;
use super::conv_lanes::{self, Direction};
use super::lanes::Family;
use super::pipelines::{kernel, launch, layout_words, u32_of};
use super::{wgsl_type, WgpuStorage};
use crate::backend::Conv2dParams;
use crate::{DType, Error, Layout, Result};

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

/// The layout words of `shaders/conv_geometry.wgsl`, shared by the implicit products here and
/// the software-adapter kernels of `conv_lanes`.
pub(super) struct Geometry {
    /// The convolution's input shape `[N, Cin, H, W]`.
    pub x_shape: [usize; 4],
    /// Rows, columns and reduction length of the product.
    pub mnk: [usize; 3],
    pub cout: usize,
    pub out_hw: [usize; 2],
    pub kernel_hw: [usize; 2],
}

impl Geometry {
    /// The words for operands A (`a`) and B (`b`), read through their strides.
    pub fn words(&self, p: &Conv2dParams, a: &Layout, b: &Layout) -> Vec<u32> {
        let [m, cols, k] = self.mnk;
        let params = [
            u32_of(m),
            u32_of(cols),
            u32_of(k),
            u32_of(self.cout),
            u32_of(self.out_hw[0]),
            u32_of(self.out_hw[1]),
            u32_of(self.kernel_hw[0]),
            u32_of(self.kernel_hw[1]),
            u32_of(p.stride[0]),
            u32_of(p.stride[1]),
            u32_of(p.padding[0]),
            u32_of(p.padding[1]),
            u32_of(p.dilation[0]),
            u32_of(p.dilation[1]),
        ];
        layout_words(
            &self.x_shape,
            &params,
            &[(a.offset(), a.strides()), (b.offset(), b.strides())],
        )
    }
}

struct Gemm<'a> {
    op: &'static str,
    load_a: &'a str,
    load_b: String,
    store: &'a str,
}

/// The output of a product: a buffer for the kernel to fill, or the finished result when there
/// is nothing to compute.
pub(super) enum Output {
    Fill(WgpuStorage),
    Done(WgpuStorage),
}

/// The output of the product `geo` with `out_len` elements: done when it is empty, or zeros
/// when the reduction is (a 0-channel input).
pub(super) fn output(ctx: &Context, dtype: DType, geo: &Geometry, out_len: usize) -> Result<Output> {
    if out_len > 0 && geo.mnk[2] == 0 {
        return Ok(Output::Done(super::layout_ops::full(ctx, dtype, out_len, 0.0)?));
    }
    let out = WgpuStorage::alloc(ctx, dtype, out_len)?;
    Ok(if out_len == 0 {
        Output::Done(out)
    } else {
        Output::Fill(out)
    })
}

/// `groups`, or an error naming `op` when the device's grid cannot hold them.
pub(super) fn checked_groups(ctx: &Context, op: &str, geo: &Geometry, groups: [u32; 3]) -> Result<[u32; 3]> {
    let max = ctx.limits.max_compute_workgroups_per_dimension;
    if groups.iter().any(|&g| g > max) {
        let [m, cols, _] = geo.mnk;
        return Err(Error::Device(format!(
            "wgpu: {op} as a {m} × {cols} product needs more workgroups than the device's {max} per dimension"
        )));
    }
    Ok(groups)
}

/// Launches the implicit product `geo`; `a`/`b` are the tensors `load_a`/`load_b` read.
fn run(
    ctx: &Context,
    gemm: Gemm,
    geo: Geometry,
    a: (&WgpuStorage, &Layout),
    b: (&WgpuStorage, &Layout),
    p: &Conv2dParams,
    out_len: usize,
) -> Result<WgpuStorage> {
    let dtype = a.0.dtype;
    let out = match output(ctx, dtype, &geo, out_len)? {
        Output::Fill(out) => out,
        Output::Done(done) => return Ok(done),
    };
    let subs = [
        ("LOAD_A", gemm.load_a.to_string()),
        ("LOAD_B", gemm.load_b),
        ("STORE", gemm.store.to_string()),
        ("T", wgsl_type(dtype).to_string()),
    ];
    let kern = kernel(ctx, "conv_gemm", &subs, 2, THREADS)?;
    let lay = geo.words(p, a.1, b.1);
    let [m, cols, _] = geo.mnk;
    let groups = checked_groups(
        ctx,
        gemm.op,
        &geo,
        [u32_of(cols).div_ceil(BLOCK), u32_of(m).div_ceil(BLOCK), 1],
    )?;
    launch(ctx, &kern, &lay, &[a.0.buffer(), b.0.buffer()], out.buffer(), groups);
    Ok(out)
}

fn x_dims(l: &Layout) -> [usize; 4] {
    [l.shape()[0], l.shape()[1], l.shape()[2], l.shape()[3]]
}

pub(crate) fn conv2d(
    ctx: &Context,
    family: Family,
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
    let geo = Geometry {
        x_shape: xs,
        mnk: [cout, xs[0] * oh * ow, xs[1] * kh * kw],
        cout,
        out_hw: [oh, ow],
        kernel_hw: [kh, kw],
    };
    let len = xs[0] * cout * oh * ow;
    if let Family::Lanes = family {
        return conv_lanes::run(ctx, Direction::Forward, geo, (w, wl), (x, xl), p, len);
    }
    if !blocked(cout, xs[0] * oh * ow) {
        return conv_direct::conv2d(ctx, x, xl, w, wl, p);
    }
    let gemm = Gemm {
        op: "conv2d",
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
    run(ctx, gemm, geo, (w, wl), (x, xl), p, len)
}

#[allow(clippy::too_many_arguments)] // the backend method's arguments and the family
pub(crate) fn conv2d_input_grad(
    ctx: &Context,
    family: Family,
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
    let geo = Geometry {
        x_shape: xs,
        mnk: [cin, n * input_hw[0] * input_hw[1], cout * kh * kw],
        cout,
        out_hw: [oh, ow],
        kernel_hw: [kh, kw],
    };
    let len = xs.iter().product();
    if let Family::Lanes = family {
        return conv_lanes::run(ctx, Direction::InputGrad, geo, (w, wl), (g, gl), p, len);
    }
    if !blocked(cin, n * input_hw[0] * input_hw[1]) {
        return conv_direct::conv2d_input_grad(ctx, g, gl, w, wl, p, input_hw);
    }
    let gemm = Gemm {
        op: "conv2d_input_grad",
        load_a: IN_A,
        load_b: IN_B.to_string(),
        store: IN_STORE,
    };
    run(ctx, gemm, geo, (w, wl), (g, gl), p, len)
}

#[allow(clippy::too_many_arguments)] // the backend method's arguments and the family
pub(crate) fn conv2d_weight_grad(
    ctx: &Context,
    family: Family,
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
    let geo = Geometry {
        x_shape: xs,
        mnk: [cout, xs[1] * kh * kw, xs[0] * oh * ow],
        cout,
        out_hw: [oh, ow],
        kernel_hw,
    };
    let len = cout * xs[1] * kh * kw;
    if let Family::Lanes = family {
        return conv_lanes::run(ctx, Direction::WeightGrad, geo, (g, gl), (x, xl), p, len);
    }
    if !blocked(cout, xs[1] * kh * kw) {
        return conv_direct::conv2d_weight_grad(ctx, x, xl, g, gl, p, kernel_hw);
    }
    let gemm = Gemm {
        op: "conv2d_weight_grad",
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
    run(ctx, gemm, geo, (g, gl), (x, xl), p, len)
}
