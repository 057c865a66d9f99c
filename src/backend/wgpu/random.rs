//! The random primitive: uniform values from the Philox stream (`shaders/philox.wgsl`), one
//! thread per counter block, bit-identical to the CPU's.

use super::context::Context;
use super::pipelines::{grid_1d, kernel, launch, layout_words};
use super::{arithmetic, wgsl_type, WgpuStorage};
use crate::backend::philox::{blocks_used, per_block, PhiloxDraw};
use crate::{DType, Result};

/// The body of `store(first, w)` for `dtype`: the float rules of `backend::philox`. Products
/// by powers of two and sums below 2^53 are exact, so the device rounds nothing.
fn store_body(dtype: DType) -> &'static str {
    match dtype {
        DType::F32 => {
            "for (var j = 0u; j < 4u; j++) {
        if (first + j < numel()) { out[first + j] = f32(w[j] >> 8u) * 5.9604644775390625e-8; }
    }"
        }
        _ => {
            "for (var j = 0u; j < 2u; j++) {
        if (first + j < numel()) {
            let top53 = f64(w[2u * j]) * f64(2097152.0) + f64(w[2u * j + 1u] >> 11u);
            out[first + j] = ldexp(top53, -53);
        }
    }"
        }
    }
}

pub(crate) fn uniform(ctx: &Context, numel: usize, dtype: DType, draw: PhiloxDraw) -> Result<WgpuStorage> {
    let p = per_block(dtype);
    arithmetic(ctx, "rand_uniform", dtype)?;
    let out = WgpuStorage::alloc(ctx, dtype, numel)?;
    if numel > 0 {
        let subs = [
            ("STORE", store_body(dtype).to_string()),
            ("T", wgsl_type(dtype).to_string()),
            ("P", p.to_string()),
        ];
        let k = kernel(ctx, "philox", &subs, 1, 256)?;
        let words = |x: u64| [x as u32, (x >> 32) as u32];
        let [s0, s1] = words(draw.seed);
        let [o0, o1] = words(draw.offset);
        let lay = layout_words(&[numel], &[s0, s1, o0, o1], &[]);
        // Like `fill`, the kernel binds an input it does not read (the shared binding scheme).
        let unused = WgpuStorage::alloc(ctx, DType::F32, 1)?;
        let blocks = blocks_used(numel, dtype) as usize;
        launch(
            ctx,
            &k,
            &lay,
            &[unused.buffer()],
            out.buffer(),
            grid_1d(ctx, &k, blocks)?,
        );
    }
    Ok(out)
}
