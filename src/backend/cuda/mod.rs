//! The CUDA backend: storage in device buffers from a caching allocator, every primitive a
//! hand-written kernel from `kernels/` (templated per dtype, compiled at run time by NVRTC for
//! the device's architecture, once per process), all queued on one stream per device.
//!
//! Element encodings in device buffers: `F32` as float, `F64` as double, `I64` as long long,
//! `Bool` as one byte (0 or 1). Ops never wait for the device: only [`CudaStorage::to_cpu`] and
//! [`CudaDevice::synchronize`] do. The driver and NVRTC are loaded at run time, so the crate
//! builds and runs without CUDA; [`CudaDevice::open`] then says what is missing.

mod alloc;
mod channel;
mod context;
mod conv;
mod elementwise;
mod fault;
mod gemm;
mod index;
mod launch;
mod layout_ops;
mod matmul;
mod pool;
mod random;
mod reduce;
mod sources;
mod strided;

pub use alloc::AllocStats;
pub use sources::{check_kernel_text, compile_all_kernels, nvrtc_available, COMMON, KERNEL_FILES};
pub use strided::{Strided, MAX_RANK};

use cudarc::driver::CudaSlice;

use super::cpu::CpuStorage;
use super::philox::PhiloxDraw;
use super::{ArgReduceOp, BackendStorage, BinaryOp, ChannelTerm, CmpOp, Conv2dParams, Pool2dParams, ReduceOp, UnaryOp};
use crate::{DType, Error, Layout, Result};
use context::Context;

/// A CUDA device by ordinal; its context is opened once per process and shared.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CudaDevice {
    ordinal: usize,
}

/// Number of CUDA devices this process can use (0 without a driver, NVRTC or GPU).
pub fn device_count() -> usize {
    context::device_count()
}

impl CudaDevice {
    /// Opens device `ordinal`; the error says what is missing (driver library, NVRTC library,
    /// a device with that ordinal).
    pub fn open(ordinal: usize) -> Result<CudaDevice> {
        context::get(ordinal)?;
        Ok(CudaDevice { ordinal })
    }

    pub fn ordinal(&self) -> usize {
        self.ordinal
    }

    pub(crate) fn context(&self) -> Result<&'static Context> {
        context::get(self.ordinal)
    }

    /// GPU name, architecture and memory.
    pub fn describe(&self) -> String {
        match self.context() {
            Ok(ctx) => ctx.describe(),
            Err(e) => e.to_string(),
        }
    }

    /// Waits until every queued op has finished, and reports an index fault one of them found.
    pub fn synchronize(&self) -> Result<()> {
        self.context()?.synchronize()
    }

    /// The caching allocator's counters (driver allocations, reuses, cached bytes).
    pub fn alloc_stats(&self) -> Result<AllocStats> {
        Ok(self.context()?.alloc_stats())
    }
}

/// A device buffer from the caching allocator; it returns there on drop.
struct PooledBuffer {
    buf: Option<CudaSlice<u8>>,
    ptr: u64,
    ctx: &'static Context,
}

impl Drop for PooledBuffer {
    fn drop(&mut self) {
        if let Some(buf) = self.buf.take() {
            self.ctx.pool.lock().give_back(buf);
        }
    }
}

impl std::fmt::Debug for PooledBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PooledBuffer({:#x} on cuda:{})", self.ptr, self.ctx.ordinal)
    }
}

/// Elements of one dtype in a device buffer.
#[derive(Debug)]
pub struct CudaStorage {
    buf: PooledBuffer,
    dtype: DType,
    len: usize,
}

impl CudaStorage {
    /// Fresh storage for `len` elements of `dtype` from the caching allocator, contents
    /// undefined (the op that asked for it writes every element).
    pub(crate) fn alloc(ctx: &'static Context, dtype: DType, len: usize) -> Result<CudaStorage> {
        let (buf, ptr) = ctx.take_buffer(len * dtype.size_in_bytes())?;
        Ok(CudaStorage {
            buf: PooledBuffer {
                buf: Some(buf),
                ptr,
                ctx,
            },
            dtype,
            len,
        })
    }

    /// The context of the device holding this storage.
    pub(crate) fn ctx(&self) -> &'static Context {
        self.buf.ctx
    }

    /// The device holding this storage.
    pub fn device(&self) -> crate::Device {
        crate::Device::Cuda(CudaDevice {
            ordinal: self.buf.ctx.ordinal,
        })
    }

    /// Device address of element 0 (kernels take pointers as 64-bit addresses).
    pub(crate) fn ptr(&self) -> u64 {
        self.buf.ptr
    }

    /// Device address of element `offset`.
    // Used through `Contiguous::ptr` by the matmul / convolution kernels (helper B).
    #[allow(dead_code)]
    pub(crate) fn ptr_at(&self, offset: usize) -> u64 {
        self.buf.ptr + (offset * self.dtype.size_in_bytes()) as u64
    }

    /// Number of elements stored.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn raw(&self) -> &CudaSlice<u8> {
        self.buf.buf.as_ref().expect("a live storage holds its buffer")
    }

    fn raw_mut(&mut self) -> &mut CudaSlice<u8> {
        self.buf.buf.as_mut().expect("a live storage holds its buffer")
    }

    /// Uploads host data to device `device`.
    pub fn from_cpu(data: &CpuStorage, device: &CudaDevice) -> Result<CudaStorage> {
        let ctx = device.context()?;
        let dtype = data.dtype();
        let mut out = CudaStorage::alloc(ctx, dtype, data.len())?;
        if data.is_empty() {
            return Ok(out);
        }
        let stream = ctx.stream.clone();
        let n = data.len();
        let bytes = n * dtype.size_in_bytes();
        let mut dst = out.raw_mut().slice_mut(0..bytes);
        let done = match data {
            // SAFETY (each transmute): the view covers exactly n elements of the element type, and
            // every buffer is 256-byte aligned.
            CpuStorage::F32(v) => stream.memcpy_htod(v, &mut unsafe { dst.transmute_mut::<f32>(n) }.expect("size")),
            CpuStorage::F64(v) => stream.memcpy_htod(v, &mut unsafe { dst.transmute_mut::<f64>(n) }.expect("size")),
            CpuStorage::I64(v) => stream.memcpy_htod(v, &mut unsafe { dst.transmute_mut::<i64>(n) }.expect("size")),
            CpuStorage::Bool(v) => stream.memcpy_htod(v, &mut dst),
        };
        done.map_err(|e| Error::Device(format!("cuda: uploading {n} {dtype} elements failed: {e}")))?;
        Ok(out)
    }

    /// A contiguous host copy of the elements under `layout`: the one place (with
    /// `synchronize`) that waits for the device. Reports an index fault an earlier op found.
    pub fn to_cpu(&self, layout: &Layout) -> Result<CpuStorage> {
        let ctx = self.ctx();
        let n = layout.numel();
        if n == 0 {
            ctx.synchronize()?;
            return Ok(CpuStorage::full(0, 0.0, self.dtype));
        }
        let data = layout_ops::contiguous(self, layout)?;
        let (src, start) = data.storage_and_offset();
        let size = self.dtype.size_in_bytes();
        let view = src.raw().slice(start * size..(start + n) * size);
        let stream = &ctx.stream;
        let fail =
            |e: cudarc::driver::DriverError| Error::Device(format!("cuda: reading back {n} elements failed: {e}"));
        // SAFETY (each transmute): the view covers exactly n elements of the element type, at an
        // offset that is a multiple of the element size in a 256-byte aligned buffer.
        let out = match self.dtype {
            DType::F32 => CpuStorage::F32(
                stream
                    .clone_dtoh(&unsafe { view.transmute::<f32>(n) }.expect("size"))
                    .map_err(fail)?,
            ),
            DType::F64 => CpuStorage::F64(
                stream
                    .clone_dtoh(&unsafe { view.transmute::<f64>(n) }.expect("size"))
                    .map_err(fail)?,
            ),
            DType::I64 => CpuStorage::I64(
                stream
                    .clone_dtoh(&unsafe { view.transmute::<i64>(n) }.expect("size"))
                    .map_err(fail)?,
            ),
            DType::Bool => CpuStorage::Bool(stream.clone_dtoh(&view).map_err(fail)?),
        };
        ctx.synchronize()?;
        Ok(out)
    }

    /// Writes the contiguous `value` into the elements of `layout` (same dtype and count), in
    /// place: optimiser steps on parameters that live on the device.
    pub fn assign_strided(&mut self, layout: &Layout, value: &CudaStorage) -> Result<()> {
        assert_eq!(
            self.dtype, value.dtype,
            "assign: dtypes {} and {} differ",
            self.dtype, value.dtype
        );
        layout_ops::copy_strided(value, &Layout::contiguous(layout.shape()), self, layout)
    }
}

/// Which device a pointer came from is not checked by the driver: a mixed pair is a
/// programmer error the front end should have caught.
pub(crate) fn same_device(op: &str, a: &CudaStorage, b: &CudaStorage) {
    assert_eq!(
        a.ctx().ordinal,
        b.ctx().ordinal,
        "{op}: operands on different CUDA devices (cuda:{} and cuda:{})",
        a.ctx().ordinal,
        b.ctx().ordinal
    );
}

impl BackendStorage for CudaStorage {
    type Device = CudaDevice;

    fn rand_uniform(device: &CudaDevice, numel: usize, dtype: DType, draw: PhiloxDraw) -> Result<Self> {
        random::uniform(device, numel, dtype, draw)
    }

    fn dtype(&self) -> DType {
        self.dtype
    }

    fn to_dtype(&self, layout: &Layout, dtype: DType) -> Result<Self> {
        if dtype == self.dtype {
            return layout_ops::copy_contiguous(self, layout);
        }
        elementwise::convert(self, layout, dtype)
    }

    fn unary(&self, layout: &Layout, op: UnaryOp) -> Result<Self> {
        elementwise::unary(self, layout, op)
    }

    fn binary(&self, layout: &Layout, rhs: &Self, rhs_layout: &Layout, op: BinaryOp) -> Result<Self> {
        elementwise::binary(self, layout, rhs, rhs_layout, op)
    }

    fn compare(&self, layout: &Layout, rhs: &Self, rhs_layout: &Layout, op: CmpOp) -> Result<Self> {
        elementwise::compare(self, layout, rhs, rhs_layout, op)
    }

    fn where_cond(&self, l: &Layout, t: &Self, tl: &Layout, f: &Self, fl: &Layout) -> Result<Self> {
        elementwise::where_cond(self, l, t, tl, f, fl)
    }

    fn reduce(&self, layout: &Layout, op: ReduceOp, dims: &[usize]) -> Result<Self> {
        reduce::reduce(self, layout, op, dims)
    }

    fn arg_reduce(&self, layout: &Layout, op: ArgReduceOp, dim: usize) -> Result<Self> {
        reduce::arg_reduce(self, layout, op, dim)
    }

    fn cat(parts: &[(&Self, &Layout)], dim: usize) -> Result<Self> {
        layout_ops::cat(parts, dim)
    }

    fn pad(&self, layout: &Layout, pads: &[(usize, usize)], value: f64) -> Result<Self> {
        layout_ops::pad(self, layout, pads, value)
    }

    fn gather(&self, layout: &Layout, dim: usize, index: &Self, il: &Layout) -> Result<Self> {
        index::gather(self, layout, dim, index, il)
    }

    fn scatter_add(&self, l: &Layout, dim: usize, index: &Self, il: &Layout, src: &Self, sl: &Layout) -> Result<Self> {
        index::scatter_add(self, l, dim, index, il, src, sl)
    }

    fn index_select(&self, layout: &Layout, dim: usize, index: &Self, il: &Layout) -> Result<Self> {
        index::index_select(self, layout, dim, index, il)
    }

    fn matmul(&self, layout: &Layout, rhs: &Self, rl: &Layout) -> Result<Self> {
        matmul::matmul(self, layout, rhs, rl)
    }

    fn conv2d(&self, layout: &Layout, w: &Self, wl: &Layout, p: &Conv2dParams) -> Result<Self> {
        conv::conv2d(self, layout, w, wl, p)
    }

    fn conv2d_input_grad(&self, l: &Layout, w: &Self, wl: &Layout, p: &Conv2dParams, hw: [usize; 2]) -> Result<Self> {
        conv::conv2d_input_grad(self, l, w, wl, p, hw)
    }

    fn conv2d_weight_grad(&self, l: &Layout, g: &Self, gl: &Layout, p: &Conv2dParams, k: [usize; 2]) -> Result<Self> {
        conv::conv2d_weight_grad(self, l, g, gl, p, k)
    }

    fn channel_affine(terms: &[ChannelTerm<'_, Self>], shift: Option<(&Self, &Layout)>) -> Result<Self> {
        channel::channel_affine(terms, shift)
    }

    fn channel_dot(&self, l: &Layout, rhs: &Self, rl: &Layout, shifts: [(&Self, &Layout); 2]) -> Result<Self> {
        channel::channel_dot(self, l, rhs, rl, shifts)
    }

    fn max_pool2d(&self, layout: &Layout, p: &Pool2dParams) -> Result<(Self, Self)> {
        pool::max_pool2d(self, layout, p)
    }

    fn max_pool2d_backward(&self, l: &Layout, indices: &Self, il: &Layout, input_shape: &[usize]) -> Result<Self> {
        pool::max_pool2d_backward(self, l, indices, il, input_shape)
    }
}
