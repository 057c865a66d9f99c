//! Direct 2-D convolution and its two adjoints, for shapes whose implicit matrix product is too
//! thin to fill 64 × 64 blocks (one input channel, a handful of output channels, a 3 × 3 weight
//! gradient of a 1-channel layer): forward and input-gradient run one thread per output
//! element; the weight gradient one workgroup per weight, reducing over (n, oh) rows in
//! workgroup memory.

use super::context::Context;
use super::pipelines::{grid, grid_1d, kernel, launch, layout_words, u32_of};
use super::{arithmetic, wgsl_type, WgpuStorage};
use crate::backend::Conv2dParams;
use crate::{Layout, Result};

pub(crate) fn check(op: &str, ctx: &Context, a: &WgpuStorage, b: &WgpuStorage) -> Result<()> {
    assert!(
        a.dtype == b.dtype && a.dtype.is_float(),
        "{op}: expected float tensors of one dtype, got {} and {}",
        a.dtype,
        b.dtype
    );
    arithmetic(ctx, op, a.dtype)
}

fn geometry(p: &Conv2dParams) -> [u32; 6] {
    [
        u32_of(p.stride[0]),
        u32_of(p.stride[1]),
        u32_of(p.padding[0]),
        u32_of(p.padding[1]),
        u32_of(p.dilation[0]),
        u32_of(p.dilation[1]),
    ]
}

pub(crate) fn conv2d(
    ctx: &Context,
    x: &WgpuStorage,
    xl: &Layout,
    w: &WgpuStorage,
    wl: &Layout,
    p: &Conv2dParams,
) -> Result<WgpuStorage> {
    check("conv2d", ctx, x, w)?;
    let (n, cin, h, wd) = (xl.shape()[0], xl.shape()[1], xl.shape()[2], xl.shape()[3]);
    let (cout, kh, kw) = (wl.shape()[0], wl.shape()[2], wl.shape()[3]);
    let [oh, ow] = p
        .output_size([h, wd], [kh, kw])
        .expect("conv2d: geometry checked by the front end");
    let shape = [n, cout, oh, ow];
    let total: usize = shape.iter().product();
    let out = WgpuStorage::alloc(ctx, x.dtype, total)?;
    if total == 0 {
        return Ok(out);
    }
    let mut params = vec![u32_of(cin), u32_of(h), u32_of(wd), u32_of(kh), u32_of(kw)];
    params.extend(geometry(p));
    let k = kernel(ctx, "conv2d", &[("T", wgsl_type(x.dtype).to_string())], 2, 256)?;
    let lay = layout_words(
        &shape,
        &params,
        &[(xl.offset(), xl.strides()), (wl.offset(), wl.strides())],
    );
    launch(
        ctx,
        &k,
        &lay,
        &[x.buffer(), w.buffer()],
        out.buffer(),
        grid_1d(ctx, &k, total)?,
    );
    Ok(out)
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
    check("conv2d_input_grad", ctx, g, w)?;
    let (n, cout, oh, ow) = (gl.shape()[0], gl.shape()[1], gl.shape()[2], gl.shape()[3]);
    let (cin, kh, kw) = (wl.shape()[1], wl.shape()[2], wl.shape()[3]);
    let shape = [n, cin, input_hw[0], input_hw[1]];
    let total: usize = shape.iter().product();
    let out = WgpuStorage::alloc(ctx, g.dtype, total)?;
    if total == 0 {
        return Ok(out);
    }
    let mut params = vec![u32_of(cout), u32_of(oh), u32_of(ow), u32_of(kh), u32_of(kw)];
    params.extend(geometry(p));
    let k = kernel(
        ctx,
        "conv2d_input_grad",
        &[("T", wgsl_type(g.dtype).to_string())],
        2,
        256,
    )?;
    let lay = layout_words(
        &shape,
        &params,
        &[(gl.offset(), gl.strides()), (wl.offset(), wl.strides())],
    );
    launch(
        ctx,
        &k,
        &lay,
        &[g.buffer(), w.buffer()],
        out.buffer(),
        grid_1d(ctx, &k, total)?,
    );
    Ok(out)
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
    check("conv2d_weight_grad", ctx, x, g)?;
    let (n, cin, h, wd) = (xl.shape()[0], xl.shape()[1], xl.shape()[2], xl.shape()[3]);
    let (cout, oh, ow) = (gl.shape()[1], gl.shape()[2], gl.shape()[3]);
    let shape = [cout, cin, kernel_hw[0], kernel_hw[1]];
    let total: usize = shape.iter().product();
    let out = WgpuStorage::alloc(ctx, x.dtype, total)?;
    if total == 0 {
        return Ok(out);
    }
    let mut params = vec![u32_of(n), u32_of(h), u32_of(wd), u32_of(oh), u32_of(ow)];
    params.extend(geometry(p));
    // Threads take (n, oh) rows.
    let wg = ((n * oh).next_power_of_two() as u32).clamp(32, 256);
    let k = kernel(
        ctx,
        "conv2d_weight_grad",
        &[("T", wgsl_type(x.dtype).to_string())],
        2,
        wg,
    )?;
    let lay = layout_words(
        &shape,
        &params,
        &[(xl.offset(), xl.strides()), (gl.offset(), gl.strides())],
    );
    launch(
        ctx,
        &k,
        &lay,
        &[x.buffer(), g.buffer()],
        out.buffer(),
        grid(ctx, u32_of(total))?,
    );
    Ok(out)
}
