//! The random primitive on CUDA: `kernels/random.cu`, Philox4x32-10 with the counter layout and
//! float rules of `backend::philox` (bit-identical to the CPU and wgpu).

use super::launch::{grid_1d, launch_typed};
use super::{CudaDevice, CudaStorage};
use crate::backend::philox::PhiloxDraw;
use crate::{DType, Result};

/// `numel` uniform values in `[0, 1)` of float `dtype`, contiguous.
pub fn uniform(device: &CudaDevice, numel: usize, dtype: DType, draw: PhiloxDraw) -> Result<CudaStorage> {
    // One 128-bit Philox block gives four f32 or two f64 values; the kernel has a thread a block.
    let per_block = match dtype {
        DType::F32 => 4,
        DType::F64 => 2,
        other => panic!("rand_uniform: expected a float dtype, got {other}"),
    };
    let ctx = device.context()?;
    let out = CudaStorage::alloc(ctx, dtype, numel)?;
    if numel > 0 {
        let args = (out.ptr(), numel as u64, draw.seed, draw.offset);
        launch_typed(
            ctx,
            "random",
            "philox_uniform",
            dtype,
            grid_1d(numel.div_ceil(per_block)),
            args,
        )?;
    }
    Ok(out)
}
