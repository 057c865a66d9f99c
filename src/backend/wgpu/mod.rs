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
mod conv_lanes;
mod elementwise;
#[cfg(test)]
mod family_tests;
mod index;
mod lanes;
mod layout_ops;
mod matmul;
mod matmul_lanes;
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
        context::with("synchronize", wait_idle)
    }

    /// Whether the adapter does f64 arithmetic (SHADER_F64). Without it, float64 tensors cannot
    /// live on the device (every way of putting one there is an error saying so).
    pub fn supports_f64(&self) -> bool {
        context::get().is_ok_and(|c| c.f64)
    }

    /// `Ok` when tensors of `dtype` can live on the adapter (float64 needs SHADER_F64), else the
    /// error every way of putting one there returns.
    pub fn holds(&self, dtype: DType) -> Result<()> {
        holds(context::get()?, dtype)
    }

    /// Whether the adapter offers SHADER_INT64. int64 tensors work without it (the shaders keep
    /// them as word pairs); this only says what the hardware lacks.
    pub fn supports_int64(&self) -> bool {
        context::get().is_ok_and(|c| c.int64)
    }

    /// Whether the adapter is a software rasteriser on the CPU (lavapipe, llvmpipe, WARP): it
    /// works, but the CPU backend is faster, so [`crate::Device::best`] ranks it below the CPU.
    pub fn is_software(&self) -> bool {
        context::get().is_ok_and(|c| c.is_software())
    }
}

/// Waits until every submitted kernel has finished.
fn wait_idle(ctx: &Context) -> Result<()> {
    ctx.device
        .poll(wgpu::PollType::wait_indefinitely())
        .map(|_| ())
        .map_err(|e| Error::Device(format!("wgpu: waiting for the device failed: {e}")))
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

/// Checks the adapter can hold tensors of `dtype`: float64 needs SHADER_F64 (Metal, many GL
/// and mobile drivers lack it); the other dtypes live on every adapter.
pub(crate) fn holds(ctx: &Context, dtype: DType) -> Result<()> {
    refusal(ctx, dtype).map_or(Ok(()), |why| Err(Error::Device(why)))
}

/// Checks the adapter can do arithmetic in `dtype` (`op` names the caller for the message).
pub(crate) fn arithmetic(ctx: &Context, op: &str, dtype: DType) -> Result<()> {
    refusal(ctx, dtype).map_or(Ok(()), |why| Err(Error::Device(format!("{op}: {why}"))))
}

/// Why the adapter cannot hold `dtype`, if it cannot.
fn refusal(ctx: &Context, dtype: DType) -> Option<String> {
    (dtype == DType::F64 && !ctx.f64).then(|| {
        format!(
            "wgpu: adapter '{}' ({:?}) does not offer SHADER_F64, so float64 tensors cannot live on it; \
             use float32 or the CPU",
            ctx.info.name, ctx.info.backend
        )
    })
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
        context::with("assign", |ctx| {
            layout_ops::copy_strided(ctx, value, &Layout::contiguous(layout.shape()), self, layout)
        })
    }

    /// Uploads host data.
    pub fn from_cpu(data: &CpuStorage) -> Result<WgpuStorage> {
        context::with("upload", |ctx| WgpuStorage::upload(ctx, data))
    }

    fn upload(ctx: &Context, data: &CpuStorage) -> Result<WgpuStorage> {
        let dtype = data.dtype();
        holds(ctx, dtype)?;
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
        context::with("read-back", |ctx| self.read_back(ctx, layout))
    }

    fn read_back(&self, ctx: &Context, layout: &Layout) -> Result<CpuStorage> {
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
        context::with("rand_uniform", |ctx| random::uniform(ctx, numel, dtype, draw))
    }

    fn dtype(&self) -> DType {
        self.dtype
    }

    fn to_dtype(&self, layout: &Layout, dtype: DType) -> Result<Self> {
        context::with("to_dtype", |ctx| {
            holds(ctx, dtype)?;
            if dtype == self.dtype {
                return layout_ops::copy_contiguous(ctx, self, layout);
            }
            elementwise::convert(ctx, self, layout, dtype)
        })
    }

    fn unary(&self, layout: &Layout, op: UnaryOp) -> Result<Self> {
        context::with("unary", |ctx| elementwise::unary(ctx, self, layout, op))
    }

    fn binary(&self, layout: &Layout, rhs: &Self, rhs_layout: &Layout, op: BinaryOp) -> Result<Self> {
        context::with("binary", |ctx| {
            elementwise::binary(ctx, self, layout, rhs, rhs_layout, op)
        })
    }

    fn compare(&self, layout: &Layout, rhs: &Self, rhs_layout: &Layout, op: CmpOp) -> Result<Self> {
        context::with("compare", |ctx| {
            elementwise::compare(ctx, self, layout, rhs, rhs_layout, op)
        })
    }

    fn where_cond(&self, l: &Layout, t: &Self, tl: &Layout, f: &Self, fl: &Layout) -> Result<Self> {
        context::with("where_cond", |ctx| elementwise::where_cond(ctx, self, l, t, tl, f, fl))
    }

    fn reduce(&self, layout: &Layout, op: ReduceOp, dims: &[usize]) -> Result<Self> {
        context::with("reduce", |ctx| reduce::reduce(ctx, self, layout, op, dims))
    }

    fn arg_reduce(&self, layout: &Layout, op: ArgReduceOp, dim: usize) -> Result<Self> {
        context::with("arg_reduce", |ctx| reduce::arg_reduce(ctx, self, layout, op, dim))
    }

    fn cat(parts: &[(&Self, &Layout)], dim: usize) -> Result<Self> {
        context::with("cat", |ctx| layout_ops::cat(ctx, parts, dim))
    }

    fn pad(&self, layout: &Layout, pads: &[(usize, usize)], value: f64) -> Result<Self> {
        context::with("pad", |ctx| layout_ops::pad(ctx, self, layout, pads, value))
    }

    fn gather(&self, layout: &Layout, dim: usize, index: &Self, il: &Layout) -> Result<Self> {
        context::with("gather", |ctx| index::gather(ctx, self, layout, dim, index, il))
    }

    fn scatter_add(&self, l: &Layout, dim: usize, index: &Self, il: &Layout, src: &Self, sl: &Layout) -> Result<Self> {
        context::with("scatter_add", |ctx| {
            index::scatter_add(ctx, self, l, dim, index, il, src, sl)
        })
    }

    fn index_select(&self, layout: &Layout, dim: usize, index: &Self, il: &Layout) -> Result<Self> {
        context::with("index_select", |ctx| {
            index::index_select(ctx, self, layout, dim, index, il)
        })
    }

    fn matmul(&self, layout: &Layout, rhs: &Self, rl: &Layout) -> Result<Self> {
        context::with("matmul", |ctx| {
            matmul::matmul(ctx, lanes::Family::of(ctx), self, layout, rhs, rl)
        })
    }

    fn conv2d(&self, layout: &Layout, w: &Self, wl: &Layout, p: &Conv2dParams) -> Result<Self> {
        context::with("conv2d", |ctx| {
            conv::conv2d(ctx, lanes::Family::of(ctx), self, layout, w, wl, p)
        })
    }

    fn conv2d_input_grad(&self, l: &Layout, w: &Self, wl: &Layout, p: &Conv2dParams, hw: [usize; 2]) -> Result<Self> {
        context::with("conv2d_input_grad", |ctx| {
            conv::conv2d_input_grad(ctx, lanes::Family::of(ctx), self, l, w, wl, p, hw)
        })
    }

    fn conv2d_weight_grad(&self, l: &Layout, g: &Self, gl: &Layout, p: &Conv2dParams, k: [usize; 2]) -> Result<Self> {
        context::with("conv2d_weight_grad", |ctx| {
            conv::conv2d_weight_grad(ctx, lanes::Family::of(ctx), self, l, g, gl, p, k)
        })
    }

    fn channel_affine(terms: &[ChannelTerm<'_, Self>], shift: Option<(&Self, &Layout)>) -> Result<Self> {
        context::with("channel_affine", |ctx| channel::channel_affine(ctx, terms, shift))
    }

    fn channel_dot(&self, l: &Layout, rhs: &Self, rl: &Layout, shifts: [(&Self, &Layout); 2]) -> Result<Self> {
        context::with("channel_dot", |ctx| channel::channel_dot(ctx, self, l, rhs, rl, shifts))
    }

    fn max_pool2d(&self, layout: &Layout, p: &Pool2dParams) -> Result<(Self, Self)> {
        context::with("max_pool2d", |ctx| maxpool::max_pool2d(ctx, self, layout, p))
    }

    fn max_pool2d_backward(&self, l: &Layout, indices: &Self, il: &Layout, input_shape: &[usize]) -> Result<Self> {
        context::with("max_pool2d_backward", |ctx| {
            maxpool::max_pool2d_backward(ctx, self, l, indices, il, input_shape)
        })
    }
}
