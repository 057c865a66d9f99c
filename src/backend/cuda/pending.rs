//! The primitives helper B is writing kernels for (matmul, the convolutions, the per-channel
//! affine and dot, max-pool): until they land they fail with an error naming the op, never a
//! wrong answer. Each is replaced by its kernel module in this session.

use super::CudaStorage;
use crate::backend::{ChannelTerm, Conv2dParams, Pool2dParams};
use crate::{Error, Layout, Result};

fn not_yet(op: &str) -> Error {
    Error::Device(format!("cuda: {op} is not yet implemented on CUDA"))
}

pub fn matmul(_: &CudaStorage, _: &Layout, _: &CudaStorage, _: &Layout) -> Result<CudaStorage> {
    Err(not_yet("matmul"))
}

pub fn conv2d(_: &CudaStorage, _: &Layout, _: &CudaStorage, _: &Layout, _: &Conv2dParams) -> Result<CudaStorage> {
    Err(not_yet("conv2d"))
}

pub fn conv2d_input_grad(
    _: &CudaStorage,
    _: &Layout,
    _: &CudaStorage,
    _: &Layout,
    _: &Conv2dParams,
    _: [usize; 2],
) -> Result<CudaStorage> {
    Err(not_yet("conv2d_input_grad"))
}

pub fn conv2d_weight_grad(
    _: &CudaStorage,
    _: &Layout,
    _: &CudaStorage,
    _: &Layout,
    _: &Conv2dParams,
    _: [usize; 2],
) -> Result<CudaStorage> {
    Err(not_yet("conv2d_weight_grad"))
}

pub fn channel_affine(_: &[ChannelTerm<'_, CudaStorage>], _: Option<(&CudaStorage, &Layout)>) -> Result<CudaStorage> {
    Err(not_yet("channel_affine"))
}

pub fn channel_dot(
    _: &CudaStorage,
    _: &Layout,
    _: &CudaStorage,
    _: &Layout,
    _: [(&CudaStorage, &Layout); 2],
) -> Result<CudaStorage> {
    Err(not_yet("channel_dot"))
}

pub fn max_pool2d(_: &CudaStorage, _: &Layout, _: &Pool2dParams) -> Result<(CudaStorage, CudaStorage)> {
    Err(not_yet("max_pool2d"))
}

pub fn max_pool2d_backward(
    _: &CudaStorage,
    _: &Layout,
    _: &CudaStorage,
    _: &Layout,
    _: &[usize],
) -> Result<CudaStorage> {
    Err(not_yet("max_pool2d_backward"))
}
