//! Batched, strided matrix product: on GPUs 16 × 16 threads per workgroup, each computing a
//! 4 × 4 register block of a 64 × 64 output block; on software adapters `matmul_lanes`.

use super::context::Context;
use super::lanes::Family;
use super::matmul_lanes;
use super::pipelines::{kernel, launch, layout_words, u32_of};
use super::{arithmetic, wgsl_type, WgpuStorage};
use crate::{Error, Layout, Result};

/// Threads per workgroup side, and output rows/columns per workgroup.
const THREADS: u32 = 16;
const BLOCK: u32 = 64;

pub(crate) fn matmul(
    ctx: &Context,
    family: Family,
    a: &WgpuStorage,
    al: &Layout,
    b: &WgpuStorage,
    bl: &Layout,
) -> Result<WgpuStorage> {
    assert!(
        a.dtype == b.dtype && a.dtype.is_float(),
        "matmul: expected two float tensors of one dtype, got {} and {}",
        a.dtype,
        b.dtype
    );
    arithmetic(ctx, "matmul", a.dtype)?;
    let (batch, m, k) = (al.shape()[0], al.shape()[1], al.shape()[2]);
    let n = bl.shape()[2];
    let out = WgpuStorage::alloc(ctx, a.dtype, batch * m * n)?;
    if batch * m * n == 0 {
        return Ok(out);
    }
    if k == 0 {
        return super::layout_ops::full(ctx, a.dtype, batch * m * n, 0.0);
    }
    if let Family::Lanes = family {
        matmul_lanes::matmul_into(ctx, (a, al), (b, bl), &out)?;
        return Ok(out);
    }
    let max = ctx.limits.max_compute_workgroups_per_dimension;
    if batch as u64 > max as u64 {
        return Err(Error::Device(format!(
            "wgpu: matmul batch {batch} exceeds the device's {max} workgroups per dimension"
        )));
    }
    let kern = kernel(ctx, "matmul", &[("T", wgsl_type(a.dtype).to_string())], 2, THREADS)?;
    let lay = layout_words(
        &[batch, m, n],
        &[u32_of(k)],
        &[(al.offset(), al.strides()), (bl.offset(), bl.strides())],
    );
    let groups = [u32_of(n).div_ceil(BLOCK), u32_of(m).div_ceil(BLOCK), batch as u32];
    if groups[0] > max || groups[1] > max {
        return Err(Error::Device(format!(
            "wgpu: matmul of {m} × {n} needs more workgroups than the device allows"
        )));
    }
    launch(ctx, &kern, &lay, &[a.buffer(), b.buffer()], out.buffer(), groups);
    Ok(out)
}
