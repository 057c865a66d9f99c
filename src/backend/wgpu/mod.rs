//! The wgpu backend: storage in device buffers, every primitive a WGSL compute shader from
//! `shaders/` (templated per dtype), run on the process-wide [`context`].
//!
//! Element encodings in device buffers: `F32` as f32, `F64` as f64 (needs the adapter's
//! SHADER_F64), `I64` as two little-endian 32-bit words (`vec2<u32>`: bit-exact, and its
//! comparisons, sums and conversions are written on the words, so no SHADER_INT64 is needed),
//! `Bool` as one u32 word (WGSL has no byte type).
//! Ops never read back: only [`WgpuStorage::to_cpu`] waits for the device.

mod channel;
mod context;
mod conv;
mod conv_direct;
mod elementwise;
mod index;
mod layout_ops;
mod matmul;
mod maxpool;
mod pipelines;
mod pool;
mod random;
mod reduce;
mod template;

use super::cpu::CpuStorage;
use super::{
    ArgReduceOp, BackendStorage, BinaryOp, ChannelTerm, CmpOp, Conv2dParams, PhiloxDraw, Pool2dParams, ReduceOp,
    UnaryOp,
};
use crate::{DType, Error, Layout, Result};
use context::Context;
use pool::PooledBuffer;

/// The wgpu device (the one shared adapter of this process).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct WgpuDevice {
    _private: (),
}

impl WgpuDevice {
    /// Opens the shared context (once per process); an error says which part is missing.
    pub fn open() -> Result<WgpuDevice> {
        context::get()?;
        Ok(WgpuDevice::default())
    }

    /// Adapter name, backend and device type.
    pub fn describe(&self) -> String {
        match context::get() {
            Ok(ctx) => ctx.describe(),
            Err(e) => e.to_string(),
        }
    }

    /// Waits until every submitted kernel has finished (ops only submit; timing needs this).
    pub fn synchronize(&self) -> Result<()> {
        context::get()?
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| Error::Device(format!("wgpu: waiting for the device failed: {e}")))
    }

    /// Whether the adapter does f64 arithmetic (SHADER_F64).
    pub fn supports_f64(&self) -> bool {
        context::get().is_ok_and(|c| c.f64)
    }
}

/// Elements of one dtype in a device buffer.
#[derive(Debug)]
pub struct WgpuStorage {
    buf: PooledBuffer,
    dtype: DType,
    len: usize,
}

/// 32-bit words per element in a device buffer.
pub(crate) fn words(dtype: DType) -> usize {
    match dtype {
        DType::F32 | DType::Bool => 1,
        DType::F64 | DType::I64 => 2,
    }
}

/// The element rules (`e_lt`, `e_le`, `e_eq`, `e_add`, `e_nan`) of `dtype` for the compare,
/// reduce and arg-reduce shaders.
pub(crate) fn elem_rules(dtype: DType) -> &'static str {
    match dtype {
        DType::I64 => include_str!("../../../shaders/elem_i64.wgsl"),
        _ => include_str!("../../../shaders/elem_num.wgsl"),
    }
}

/// The WGSL element type of `dtype` for arithmetic kernels.
pub(crate) fn wgsl_type(dtype: DType) -> &'static str {
    match dtype {
        DType::F32 => "f32",
        DType::F64 => "f64",
        DType::I64 => "vec2<u32>",
        DType::Bool => "u32",
    }
}

/// Checks the adapter can do arithmetic in `dtype`.
pub(crate) fn arithmetic(ctx: &Context, op: &str, dtype: DType) -> Result<()> {
    match dtype {
        DType::F64 if !ctx.f64 => Err(Error::Device(format!(
            "wgpu: {op} in float64 needs SHADER_F64, which adapter '{}' does not offer",
            ctx.info.name
        ))),
        _ => Ok(()),
    }
}

impl WgpuStorage {
    /// Fresh storage for `len` elements of `dtype`, contents undefined.
    pub(crate) fn alloc(ctx: &Context, dtype: DType, len: usize) -> Result<WgpuStorage> {
        let bytes = (len * words(dtype) * 4) as u64;
        let max = ctx.limits.max_storage_buffer_binding_size;
        if bytes > max {
            return Err(Error::Device(format!(
                "wgpu: {len} {dtype} elements ({bytes} bytes) exceed the adapter's largest \
                 storage binding ({max} bytes)"
            )));
        }
        Ok(WgpuStorage {
            buf: pool::take(ctx, bytes),
            dtype,
            len,
        })
    }

    /// The device holding this storage.
    pub fn device(&self) -> crate::Device {
        crate::Device::Wgpu(WgpuDevice::default())
    }

    pub(crate) fn buffer(&self) -> &wgpu::Buffer {
        self.buf.buffer()
    }

    /// Number of elements stored.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Writes the contiguous `value` into the elements of `layout` (same dtype and count), in
    /// place: optimiser steps on parameters that live on the device.
    pub fn assign_strided(&mut self, layout: &Layout, value: &WgpuStorage) -> Result<()> {
        assert_eq!(
            self.dtype, value.dtype,
            "assign: dtypes {} and {} differ",
            self.dtype, value.dtype
        );
        let ctx = context::get()?;
        layout_ops::copy_strided(ctx, value, &Layout::contiguous(layout.shape()), self, layout)
    }

    /// Uploads host data.
    pub fn from_cpu(data: &CpuStorage) -> Result<WgpuStorage> {
        let ctx = context::get()?;
        let dtype = data.dtype();
        if dtype == DType::F64 && !ctx.f64 {
            return Err(Error::Device(format!(
                "wgpu: adapter '{}' does not offer SHADER_F64, so float64 tensors cannot live on it; \
                 use float32 or the CPU",
                ctx.info.name
            )));
        }
        let out = WgpuStorage::alloc(ctx, dtype, data.len())?;
        let bools: Vec<u32>;
        let bytes: &[u8] = match data {
            CpuStorage::F32(v) => bytemuck::cast_slice(v),
            CpuStorage::F64(v) => bytemuck::cast_slice(v),
            CpuStorage::I64(v) => bytemuck::cast_slice(v),
            CpuStorage::Bool(v) => {
                bools = v.iter().map(|&b| u32::from(b != 0)).collect();
                bytemuck::cast_slice(&bools)
            }
        };
        if !bytes.is_empty() {
            ctx.queue.write_buffer(out.buffer(), 0, bytes);
        }
        Ok(out)
    }

    /// A contiguous host copy of the elements under `layout` (the one place that waits for the
    /// device).
    pub fn to_cpu(&self, layout: &Layout) -> Result<CpuStorage> {
        let ctx = context::get()?;
        let n = layout.numel();
        let w = words(self.dtype);
        let packed;
        let (src, start) = match layout.contiguous_range() {
            Some(r) => (self, r.start),
            None => {
                packed = layout_ops::copy_contiguous(ctx, self, layout)?;
                (&packed, 0)
            }
        };
        let bytes = (n * w * 4) as u64;
        let mut words_out = vec![0u32; n * w];
        if bytes > 0 {
            let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("learnloss read-back"),
                size: bytes,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            let mut encoder = ctx
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
            encoder.copy_buffer_to_buffer(src.buffer(), (start * w * 4) as u64, &staging, 0, bytes);
            ctx.queue.submit([encoder.finish()]);
            let slice = staging.slice(..);
            let (tx, rx) = std::sync::mpsc::channel();
            slice.map_async(wgpu::MapMode::Read, move |r| {
                let _ = tx.send(r);
            });
            ctx.device
                .poll(wgpu::PollType::wait_indefinitely())
                .map_err(|e| Error::Device(format!("wgpu: waiting for the device failed: {e}")))?;
            rx.recv()
                .map_err(|_| Error::Device("wgpu: read-back was dropped".into()))?
                .map_err(|e| Error::Device(format!("wgpu: mapping the read-back buffer failed: {e}")))?;
            {
                let view = slice
                    .get_mapped_range()
                    .map_err(|e| Error::Device(format!("wgpu: read-back range: {e}")))?;
                words_out.copy_from_slice(bytemuck::cast_slice(&view));
            }
            staging.unmap();
        }
        Ok(match self.dtype {
            DType::F32 => CpuStorage::F32(bytemuck::cast_slice(&words_out).to_vec()),
            DType::F64 => CpuStorage::F64(bytemuck::pod_collect_to_vec(&words_out)),
            DType::I64 => CpuStorage::I64(bytemuck::pod_collect_to_vec(&words_out)),
            DType::Bool => CpuStorage::Bool(words_out.iter().map(|&b| u8::from(b != 0)).collect()),
        })
    }
}

impl BackendStorage for WgpuStorage {
    type Device = WgpuDevice;

    fn rand_uniform(_: &WgpuDevice, numel: usize, dtype: DType, draw: PhiloxDraw) -> Result<Self> {
        random::uniform(context::get()?, numel, dtype, draw)
    }

    fn dtype(&self) -> DType {
        self.dtype
    }

    fn to_dtype(&self, layout: &Layout, dtype: DType) -> Result<Self> {
        let ctx = context::get()?;
        if dtype == self.dtype {
            return layout_ops::copy_contiguous(ctx, self, layout);
        }
        elementwise::convert(ctx, self, layout, dtype)
    }

    fn unary(&self, layout: &Layout, op: UnaryOp) -> Result<Self> {
        elementwise::unary(context::get()?, self, layout, op)
    }

    fn binary(&self, layout: &Layout, rhs: &Self, rhs_layout: &Layout, op: BinaryOp) -> Result<Self> {
        elementwise::binary(context::get()?, self, layout, rhs, rhs_layout, op)
    }

    fn compare(&self, layout: &Layout, rhs: &Self, rhs_layout: &Layout, op: CmpOp) -> Result<Self> {
        elementwise::compare(context::get()?, self, layout, rhs, rhs_layout, op)
    }

    fn where_cond(&self, l: &Layout, t: &Self, tl: &Layout, f: &Self, fl: &Layout) -> Result<Self> {
        elementwise::where_cond(context::get()?, self, l, t, tl, f, fl)
    }

    fn reduce(&self, layout: &Layout, op: ReduceOp, dims: &[usize]) -> Result<Self> {
        reduce::reduce(context::get()?, self, layout, op, dims)
    }

    fn arg_reduce(&self, layout: &Layout, op: ArgReduceOp, dim: usize) -> Result<Self> {
        reduce::arg_reduce(context::get()?, self, layout, op, dim)
    }

    fn cat(parts: &[(&Self, &Layout)], dim: usize) -> Result<Self> {
        layout_ops::cat(context::get()?, parts, dim)
    }

    fn pad(&self, layout: &Layout, pads: &[(usize, usize)], value: f64) -> Result<Self> {
        layout_ops::pad(context::get()?, self, layout, pads, value)
    }

    fn gather(&self, layout: &Layout, dim: usize, index: &Self, il: &Layout) -> Result<Self> {
        index::gather(context::get()?, self, layout, dim, index, il)
    }

    fn scatter_add(&self, l: &Layout, dim: usize, index: &Self, il: &Layout, src: &Self, sl: &Layout) -> Result<Self> {
        index::scatter_add(context::get()?, self, l, dim, index, il, src, sl)
    }

    fn index_select(&self, layout: &Layout, dim: usize, index: &Self, il: &Layout) -> Result<Self> {
        index::index_select(context::get()?, self, layout, dim, index, il)
    }

    fn matmul(&self, layout: &Layout, rhs: &Self, rl: &Layout) -> Result<Self> {
        matmul::matmul(context::get()?, self, layout, rhs, rl)
    }

    fn conv2d(&self, layout: &Layout, w: &Self, wl: &Layout, p: &Conv2dParams) -> Result<Self> {
        conv::conv2d(context::get()?, self, layout, w, wl, p)
    }

    fn conv2d_input_grad(&self, l: &Layout, w: &Self, wl: &Layout, p: &Conv2dParams, hw: [usize; 2]) -> Result<Self> {
        conv::conv2d_input_grad(context::get()?, self, l, w, wl, p, hw)
    }

    fn conv2d_weight_grad(&self, l: &Layout, g: &Self, gl: &Layout, p: &Conv2dParams, k: [usize; 2]) -> Result<Self> {
        conv::conv2d_weight_grad(context::get()?, self, l, g, gl, p, k)
    }

    fn channel_affine(terms: &[ChannelTerm<'_, Self>], shift: Option<(&Self, &Layout)>) -> Result<Self> {
        channel::channel_affine(context::get()?, terms, shift)
    }

    fn channel_dot(&self, l: &Layout, rhs: &Self, rl: &Layout, shifts: [(&Self, &Layout); 2]) -> Result<Self> {
        channel::channel_dot(context::get()?, self, l, rhs, rl, shifts)
    }

    fn max_pool2d(&self, layout: &Layout, p: &Pool2dParams) -> Result<(Self, Self)> {
        maxpool::max_pool2d(context::get()?, self, layout, p)
    }

    fn max_pool2d_backward(&self, l: &Layout, indices: &Self, il: &Layout, input_shape: &[usize]) -> Result<Self> {
        maxpool::max_pool2d_backward(context::get()?, self, l, indices, il, input_shape)
    }
}
