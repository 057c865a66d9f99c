//! Stand-ins for the CUDA backend when the crate is built without the `cuda` feature: the types
//! exist (so `Device` and `Storage` keep one shape) but have no values, and opening a device or
//! compiling the kernels says how to get them.

use super::cpu::CpuStorage;
use super::philox::PhiloxDraw;
use super::{ArgReduceOp, BackendStorage, BinaryOp, ChannelTerm, CmpOp, Conv2dParams, Pool2dParams, ReduceOp, UnaryOp};
use crate::{DType, Error, Layout, Result};

fn no_cuda() -> Error {
    Error::Device("cuda: this build of learnloss has no CUDA backend; rebuild with the default `cuda` feature".into())
}

/// No value exists: this build has no CUDA backend.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CudaDevice {}

/// No value exists: this build has no CUDA backend.
#[derive(Debug)]
pub enum CudaStorage {}

/// Always 0: this build has no CUDA backend.
pub fn device_count() -> usize {
    0
}

/// Always false: this build has no CUDA backend (so no NVRTC either).
pub fn nvrtc_available() -> bool {
    false
}

/// Refuses: this build has no CUDA backend to compile kernels for.
pub fn compile_all_kernels(_arch: &str) -> Result<Vec<(&'static str, Result<()>)>> {
    Err(no_cuda())
}

/// Refuses: this build has no CUDA backend to compile kernels for.
pub fn check_kernel_text(_name: &str, _body: &str, _arch: &str) -> Result<()> {
    Err(no_cuda())
}

impl CudaDevice {
    pub fn open(_ordinal: usize) -> Result<CudaDevice> {
        Err(no_cuda())
    }

    pub fn ordinal(&self) -> usize {
        match *self {}
    }

    pub fn describe(&self) -> String {
        match *self {}
    }

    pub fn synchronize(&self) -> Result<()> {
        match *self {}
    }
}

impl CudaStorage {
    pub fn from_cpu(_data: &CpuStorage, device: &CudaDevice) -> Result<CudaStorage> {
        match *device {}
    }

    pub fn device(&self) -> crate::Device {
        match *self {}
    }

    pub fn to_cpu(&self, _layout: &Layout) -> Result<CpuStorage> {
        match *self {}
    }

    pub fn assign_strided(&mut self, _layout: &Layout, _value: &CudaStorage) -> Result<()> {
        match *self {}
    }
}

impl BackendStorage for CudaStorage {
    type Device = CudaDevice;

    fn rand_uniform(device: &CudaDevice, _: usize, _: DType, _: PhiloxDraw) -> Result<Self> {
        match *device {}
    }

    fn dtype(&self) -> DType {
        match *self {}
    }
    fn to_dtype(&self, _: &Layout, _: DType) -> Result<Self> {
        match *self {}
    }
    fn unary(&self, _: &Layout, _: UnaryOp) -> Result<Self> {
        match *self {}
    }
    fn binary(&self, _: &Layout, _: &Self, _: &Layout, _: BinaryOp) -> Result<Self> {
        match *self {}
    }
    fn compare(&self, _: &Layout, _: &Self, _: &Layout, _: CmpOp) -> Result<Self> {
        match *self {}
    }
    fn where_cond(&self, _: &Layout, _: &Self, _: &Layout, _: &Self, _: &Layout) -> Result<Self> {
        match *self {}
    }
    fn reduce(&self, _: &Layout, _: ReduceOp, _: &[usize]) -> Result<Self> {
        match *self {}
    }
    fn arg_reduce(&self, _: &Layout, _: ArgReduceOp, _: usize) -> Result<Self> {
        match *self {}
    }
    fn cat(parts: &[(&Self, &Layout)], _: usize) -> Result<Self> {
        match *parts[0].0 {}
    }
    fn pad(&self, _: &Layout, _: &[(usize, usize)], _: f64) -> Result<Self> {
        match *self {}
    }
    fn gather(&self, _: &Layout, _: usize, _: &Self, _: &Layout) -> Result<Self> {
        match *self {}
    }
    fn scatter_add(&self, _: &Layout, _: usize, _: &Self, _: &Layout, _: &Self, _: &Layout) -> Result<Self> {
        match *self {}
    }
    fn index_select(&self, _: &Layout, _: usize, _: &Self, _: &Layout) -> Result<Self> {
        match *self {}
    }
    fn matmul(&self, _: &Layout, _: &Self, _: &Layout) -> Result<Self> {
        match *self {}
    }
    fn conv2d(&self, _: &Layout, _: &Self, _: &Layout, _: &Conv2dParams) -> Result<Self> {
        match *self {}
    }
    fn conv2d_input_grad(&self, _: &Layout, _: &Self, _: &Layout, _: &Conv2dParams, _: [usize; 2]) -> Result<Self> {
        match *self {}
    }
    fn conv2d_weight_grad(&self, _: &Layout, _: &Self, _: &Layout, _: &Conv2dParams, _: [usize; 2]) -> Result<Self> {
        match *self {}
    }
    fn channel_affine(terms: &[ChannelTerm<'_, Self>], _: Option<(&Self, &Layout)>) -> Result<Self> {
        match *terms[0].x.0 {}
    }
    fn channel_dot(&self, _: &Layout, _: &Self, _: &Layout, _: [(&Self, &Layout); 2]) -> Result<Self> {
        match *self {}
    }
    fn max_pool2d(&self, _: &Layout, _: &Pool2dParams) -> Result<(Self, Self)> {
        match *self {}
    }
    fn max_pool2d_backward(&self, _: &Layout, _: &Self, _: &Layout, _: &[usize]) -> Result<Self> {
        match *self {}
    }
}
