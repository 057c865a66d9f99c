//! Launching kernels: grid sizes, the argument list, driver errors, dtype suffixes.
//!
//! Every kernel takes its device pointers as 64-bit addresses (`CudaStorage::ptr`), scalars as
//! `i64` / `i32` / `f64`, and operand layouts as [`super::strided::Strided`] by value.

use cudarc::driver::{CudaFunction, DeviceRepr, LaunchArgs, LaunchConfig, PushKernelArg};

use super::context::Context;
use crate::{DType, Error, Result};

/// Threads per block of the 1-D kernels (a multiple of the warp size).
pub const BLOCK: u32 = 256;

/// Blocks of a grid-stride launch are capped here: enough to fill any GPU many times over,
/// while every kernel's loop covers the rest.
const MAX_BLOCKS: usize = 1 << 20;

/// A 1-D launch with one thread per item (capped; kernels loop with LL_FOR_EACH).
pub fn grid_1d(items: usize) -> LaunchConfig {
    blocks(items.div_ceil(BLOCK as usize))
}

/// A 1-D launch with one warp per item, `BLOCK / 32` items per block (capped; kernels loop).
pub fn grid_warps(items: usize) -> LaunchConfig {
    blocks(items.div_ceil(BLOCK as usize / 32))
}

/// `n` blocks of [`BLOCK`] threads (at least 1, at most the cap).
pub fn blocks(n: usize) -> LaunchConfig {
    LaunchConfig {
        grid_dim: (n.clamp(1, MAX_BLOCKS) as u32, 1, 1),
        block_dim: (BLOCK, 1, 1),
        shared_mem_bytes: 0,
    }
}

/// The suffix of a dtype's kernel instantiation: `unary_f32`, `copy_u8`, ...
pub fn suffix(dtype: DType) -> &'static str {
    match dtype {
        DType::F32 => "f32",
        DType::F64 => "f64",
        DType::I64 => "i64",
        DType::Bool => "u8",
    }
}

/// A driver error of `op`, as the crate's error.
pub fn driver_error(op: &str, e: cudarc::driver::DriverError) -> Error {
    Error::Device(format!("cuda: {op}: launch failed: {e}"))
}

/// Kernel arguments as a tuple of values (`(out, x, desc, n, code)`); each is pushed by
/// reference, in order, and lives in the tuple until the launch has been queued.
pub trait ArgList {
    fn push_all<'a>(&'a self, builder: &mut LaunchArgs<'a>);
}

macro_rules! arg_list {
    ($($t:ident . $i:tt),+) => {
        impl<$($t: DeviceRepr),+> ArgList for ($($t,)+) {
            fn push_all<'a>(&'a self, builder: &mut LaunchArgs<'a>) {
                $(builder.arg(&self.$i);)+
            }
        }
    };
}
arg_list!(A.0);
arg_list!(A.0, B.1);
arg_list!(A.0, B.1, C.2);
arg_list!(A.0, B.1, C.2, D.3);
arg_list!(A.0, B.1, C.2, D.3, E.4);
arg_list!(A.0, B.1, C.2, D.3, E.4, F.5);
arg_list!(A.0, B.1, C.2, D.3, E.4, F.5, G.6);
arg_list!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7);
arg_list!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8);
arg_list!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9);
arg_list!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10);
arg_list!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10, L.11);
arg_list!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10, L.11, M.12);
arg_list!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10, L.11, M.12, N.13);
arg_list!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10, L.11, M.12, N.13, O.14);
arg_list!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10, L.11, M.12, N.13, O.14, P.15);

/// Queues `func` on the device's stream with `args` (no waiting). `op` names the primitive in
/// errors. The caller guarantees what the driver cannot check: the argument types and order
/// match the kernel's signature, and every buffer is large enough for the elements the kernel
/// touches under `cfg`.
pub fn launch(ctx: &Context, func: &CudaFunction, cfg: LaunchConfig, op: &str, args: impl ArgList) -> Result<()> {
    let mut builder = ctx.stream.launch_builder(func);
    args.push_all(&mut builder);
    // SAFETY: see the contract above; the kernels bound every access by the counts passed.
    unsafe { builder.launch(cfg) }
        .map(|_| ())
        .map_err(|e| driver_error(op, e))
}

/// Looks up `{kernel}_{suffix(dtype)}` in `kernels/{file}.cu` and launches it.
pub fn launch_typed(
    ctx: &Context,
    file: &'static str,
    kernel: &str,
    dtype: DType,
    cfg: LaunchConfig,
    args: impl ArgList,
) -> Result<()> {
    let name = format!("{kernel}_{}", suffix(dtype));
    let func = ctx.function(file, &name)?;
    launch(ctx, &func, cfg, kernel, args)
}
