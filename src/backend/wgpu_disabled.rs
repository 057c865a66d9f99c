//! Stand-ins for the wgpu backend when the crate is built without the `wgpu` feature: the types
//! exist (so `Device` and `Storage` keep one shape) but have no values, and opening the device
//! says how to get it.

use super::cpu::CpuStorage;
use super::{
    ArgReduceOp, BackendStorage, BinaryOp, ChannelTerm, CmpOp, Conv2dParams, PhiloxDraw, Pool2dParams, ReduceOp,
    UnaryOp,
};
use crate::{DType, Error, Layout, Result};

/// No value exists: this build has no wgpu backend.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum WgpuDevice {}

/// No value exists: this build has no wgpu backend.
#[derive(Debug)]
pub enum WgpuStorage {}

impl WgpuDevice {
    pub fn open() -> Result<WgpuDevice> {
        Err(Error::Device(
            "wgpu: this build of learnloss has no wgpu backend; rebuild with the default `wgpu` feature".into(),
        ))
    }

    pub fn describe(&self) -> String {
        match *self {}
    }

    pub fn synchronize(&self) -> Result<()> {
        match *self {}
    }

    pub fn supports_f64(&self) -> bool {
        match *self {}
    }

    pub fn supports_int64(&self) -> bool {
        match *self {}
    }

    pub fn is_software(&self) -> bool {
        match *self {}
    }

    pub fn holds(&self, _dtype: DType) -> Result<()> {
        match *self {}
    }
}

impl WgpuStorage {
    pub fn from_cpu(_data: &CpuStorage) -> Result<WgpuStorage> {
        WgpuDevice::open().map(|d| match d {})
    }

    pub fn device(&self) -> crate::Device {
        match *self {}
    }

    pub fn to_cpu(&self, _layout: &Layout) -> Result<CpuStorage> {
        match *self {}
    }

    pub fn assign_strided(&mut self, _layout: &Layout, _value: &WgpuStorage) -> Result<()> {
        match *self {}
    }
}

impl BackendStorage for WgpuStorage {
    type Device = WgpuDevice;

    fn rand_uniform(device: &WgpuDevice, _: usize, _: DType, _: PhiloxDraw) -> Result<Self> {
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
