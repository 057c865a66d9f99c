//! Max-pool with int64 indices into each H·W plane (PyTorch's), and its adjoint.

use super::context::Context;
use super::layout_ops::full;
use super::pipelines::{grid_1d, kernel, launch, layout_words, u32_of};
use super::{arithmetic, wgsl_type, WgpuStorage};
use crate::backend::Pool2dParams;
use crate::{DType, Layout, Result};

pub(crate) fn max_pool2d(
    ctx: &Context,
    x: &WgpuStorage,
    xl: &Layout,
    p: &Pool2dParams,
) -> Result<(WgpuStorage, WgpuStorage)> {
    assert!(
        x.dtype.is_float(),
        "max_pool2d: expected a float tensor, got {}",
        x.dtype
    );
    arithmetic(ctx, "max_pool2d", x.dtype)?;
    let s = xl.shape();
    let [oh, ow] = p
        .output_size([s[2], s[3]])
        .expect("max_pool2d: geometry checked by the front end");
    let shape = [s[0], s[1], oh, ow];
    let total: usize = shape.iter().product();
    let values = WgpuStorage::alloc(ctx, x.dtype, total)?;
    let indices = WgpuStorage::alloc(ctx, DType::I64, total)?;
    if total == 0 {
        return Ok((values, indices));
    }
    let params = [
        u32_of(s[2]),
        u32_of(s[3]),
        u32_of(p.kernel[0]),
        u32_of(p.kernel[1]),
        u32_of(p.stride[0]),
        u32_of(p.stride[1]),
        u32_of(p.padding[0]),
        u32_of(p.padding[1]),
        u32_of(p.dilation[0]),
        u32_of(p.dilation[1]),
    ];
    let lay = layout_words(&shape, &params, &[(xl.offset(), xl.strides())]);
    let t = wgsl_type(x.dtype).to_string();
    // Two launches of one shader text: values, then the (lo, hi) words of the indices.
    let variants = [
        (t.clone(), "out[i] = best;", &values),
        (
            "u32".to_string(),
            "out[2u * i] = u32(best_i);\n    out[2u * i + 1u] = 0u;",
            &indices,
        ),
    ];
    for (out_ty, store, dst) in variants {
        let subs = [("STORE", store.to_string()), ("OUT", out_ty), ("T", t.clone())];
        let k = kernel(ctx, "max_pool2d", &subs, 1, 256)?;
        launch(ctx, &k, &lay, &[x.buffer()], dst.buffer(), grid_1d(ctx, &k, total)?);
    }
    Ok((values, indices))
}

pub(crate) fn max_pool2d_backward(
    ctx: &Context,
    g: &WgpuStorage,
    gl: &Layout,
    indices: &WgpuStorage,
    il: &Layout,
    input_shape: &[usize],
) -> Result<WgpuStorage> {
    assert!(
        g.dtype.is_float(),
        "max_pool2d_backward: expected a float tensor, got {}",
        g.dtype
    );
    assert_eq!(
        indices.dtype,
        DType::I64,
        "max_pool2d_backward: expected int64 indices, got {}",
        indices.dtype
    );
    arithmetic(ctx, "max_pool2d_backward", g.dtype)?;
    let out = full(ctx, g.dtype, input_shape.iter().product(), 0.0)?;
    let planes = input_shape[0] * input_shape[1];
    if planes == 0 || gl.numel() == 0 {
        return Ok(out);
    }
    let k = kernel(
        ctx,
        "max_pool2d_backward",
        &[("T", wgsl_type(g.dtype).to_string())],
        2,
        64,
    )?;
    let lay = layout_words(
        gl.shape(),
        &[u32_of(input_shape[2] * input_shape[3])],
        &[(gl.offset(), gl.strides()), (il.offset(), il.strides())],
    );
    launch(
        ctx,
        &k,
        &lay,
        &[g.buffer(), indices.buffer()],
        out.buffer(),
        grid_1d(ctx, &k, planes)?,
    );
    Ok(out)
}
