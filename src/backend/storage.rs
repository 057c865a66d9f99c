//! `Storage`: one enum over the devices, forwarding each primitive to the device's backend.
//!
//! Tensors on different devices never meet here: the tensor front end checks devices first, so a
//! mixed pair is a programmer error. Adding a device means adding a variant and one arm per method.

use super::cpu::CpuStorage;
use super::cuda::CudaStorage;
use super::wgpu::WgpuStorage;
use super::{
    ArgReduceOp, BackendStorage, BinaryOp, ChannelTerm, CmpOp, Conv2dParams, PhiloxDraw, Pool2dParams, ReduceOp,
    UnaryOp,
};
use crate::{DType, Device, Layout, Result};

/// Storage on some device.
#[derive(Debug)]
pub enum Storage {
    Cpu(CpuStorage),
    Wgpu(WgpuStorage),
    Cuda(CudaStorage),
}

/// Operands on different devices: the front end should have refused them.
fn mixed(op: &str, a: &Storage, b: &Storage) -> ! {
    panic!(
        "{op}: operands on different devices ({} and {})",
        a.device(),
        b.device()
    )
}

impl Storage {
    pub fn device(&self) -> Device {
        match self {
            Storage::Cpu(_) => Device::Cpu,
            Storage::Wgpu(s) => s.device(),
            Storage::Cuda(s) => s.device(),
        }
    }

    pub fn dtype(&self) -> DType {
        match self {
            Storage::Cpu(s) => s.dtype(),
            Storage::Wgpu(s) => s.dtype(),
            Storage::Cuda(s) => s.dtype(),
        }
    }

    /// Moves host data onto `device`.
    pub fn from_cpu(data: CpuStorage, device: &Device) -> Result<Storage> {
        match device {
            Device::Cpu => Ok(Storage::Cpu(data)),
            Device::Wgpu(_) => Ok(Storage::Wgpu(WgpuStorage::from_cpu(&data)?)),
            Device::Cuda(d) => Ok(Storage::Cuda(CudaStorage::from_cpu(&data, d)?)),
        }
    }

    /// `numel` uniform values in `[0, 1)` drawn on `device` (see [`BackendStorage::rand_uniform`]).
    pub fn rand_uniform(device: &Device, numel: usize, dtype: DType, draw: PhiloxDraw) -> Result<Storage> {
        match device {
            Device::Cpu => Ok(Storage::Cpu(CpuStorage::rand_uniform(&(), numel, dtype, draw)?)),
            Device::Wgpu(d) => Ok(Storage::Wgpu(WgpuStorage::rand_uniform(d, numel, dtype, draw)?)),
            Device::Cuda(d) => Ok(Storage::Cuda(CudaStorage::rand_uniform(d, numel, dtype, draw)?)),
        }
    }

    /// A contiguous host copy of the elements under `layout`.
    pub fn to_cpu(&self, layout: &Layout) -> Result<CpuStorage> {
        match self {
            Storage::Cpu(s) => s.to_dtype(layout, s.dtype()),
            Storage::Wgpu(s) => s.to_cpu(layout),
            Storage::Cuda(s) => s.to_cpu(layout),
        }
    }

    /// Writes the contiguous `value` (same device and dtype) into the elements of `layout`, in
    /// place: the device side of `Tensor::assign`.
    pub fn assign_strided(&mut self, layout: &Layout, value: &Storage) -> Result<()> {
        match (self, value) {
            (Storage::Cpu(dst), Storage::Cpu(value)) => {
                super::cpu::assign_strided(dst, layout, value);
                Ok(())
            }
            (Storage::Wgpu(dst), Storage::Wgpu(value)) => dst.assign_strided(layout, value),
            (Storage::Cuda(dst), Storage::Cuda(value)) => dst.assign_strided(layout, value),
            (dst, value) => mixed("assign", dst, value),
        }
    }

    pub fn to_dtype(&self, l: &Layout, dtype: DType) -> Result<Storage> {
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(s.to_dtype(l, dtype)?)),
            Storage::Wgpu(s) => Ok(Storage::Wgpu(s.to_dtype(l, dtype)?)),
            Storage::Cuda(s) => Ok(Storage::Cuda(s.to_dtype(l, dtype)?)),
        }
    }

    pub fn unary(&self, l: &Layout, op: UnaryOp) -> Result<Storage> {
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(s.unary(l, op)?)),
            Storage::Wgpu(s) => Ok(Storage::Wgpu(s.unary(l, op)?)),
            Storage::Cuda(s) => Ok(Storage::Cuda(s.unary(l, op)?)),
        }
    }

    pub fn binary(&self, l: &Layout, rhs: &Storage, rl: &Layout, op: BinaryOp) -> Result<Storage> {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => Ok(Storage::Cpu(a.binary(l, b, rl, op)?)),
            (Storage::Wgpu(a), Storage::Wgpu(b)) => Ok(Storage::Wgpu(a.binary(l, b, rl, op)?)),
            (Storage::Cuda(a), Storage::Cuda(b)) => Ok(Storage::Cuda(a.binary(l, b, rl, op)?)),
            _ => mixed(op.name(), self, rhs),
        }
    }

    pub fn compare(&self, l: &Layout, rhs: &Storage, rl: &Layout, op: CmpOp) -> Result<Storage> {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => Ok(Storage::Cpu(a.compare(l, b, rl, op)?)),
            (Storage::Wgpu(a), Storage::Wgpu(b)) => Ok(Storage::Wgpu(a.compare(l, b, rl, op)?)),
            (Storage::Cuda(a), Storage::Cuda(b)) => Ok(Storage::Cuda(a.compare(l, b, rl, op)?)),
            _ => mixed(op.name(), self, rhs),
        }
    }

    pub fn where_cond(&self, l: &Layout, t: &Storage, tl: &Layout, f: &Storage, fl: &Layout) -> Result<Storage> {
        match (self, t, f) {
            (Storage::Cpu(c), Storage::Cpu(t), Storage::Cpu(f)) => Ok(Storage::Cpu(c.where_cond(l, t, tl, f, fl)?)),
            (Storage::Wgpu(c), Storage::Wgpu(t), Storage::Wgpu(f)) => Ok(Storage::Wgpu(c.where_cond(l, t, tl, f, fl)?)),
            (Storage::Cuda(c), Storage::Cuda(t), Storage::Cuda(f)) => Ok(Storage::Cuda(c.where_cond(l, t, tl, f, fl)?)),
            (_, t, _) if t.device() != self.device() => mixed("where", self, t),
            (_, _, f) => mixed("where", self, f),
        }
    }

    pub fn reduce(&self, l: &Layout, op: ReduceOp, dims: &[usize]) -> Result<Storage> {
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(s.reduce(l, op, dims)?)),
            Storage::Wgpu(s) => Ok(Storage::Wgpu(s.reduce(l, op, dims)?)),
            Storage::Cuda(s) => Ok(Storage::Cuda(s.reduce(l, op, dims)?)),
        }
    }

    pub fn arg_reduce(&self, l: &Layout, op: ArgReduceOp, dim: usize) -> Result<Storage> {
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(s.arg_reduce(l, op, dim)?)),
            Storage::Wgpu(s) => Ok(Storage::Wgpu(s.arg_reduce(l, op, dim)?)),
            Storage::Cuda(s) => Ok(Storage::Cuda(s.arg_reduce(l, op, dim)?)),
        }
    }

    pub fn cat(parts: &[(&Storage, &Layout)], dim: usize) -> Result<Storage> {
        let first = parts[0].0;
        match first {
            Storage::Cpu(_) => {
                let cpu: Vec<(&CpuStorage, &Layout)> = parts
                    .iter()
                    .map(|(s, l)| match s {
                        Storage::Cpu(c) => (c, *l),
                        other => mixed("cat", first, other),
                    })
                    .collect();
                Ok(Storage::Cpu(CpuStorage::cat(&cpu, dim)?))
            }
            Storage::Wgpu(_) => {
                let gpu: Vec<(&WgpuStorage, &Layout)> = parts
                    .iter()
                    .map(|(s, l)| match s {
                        Storage::Wgpu(c) => (c, *l),
                        other => mixed("cat", first, other),
                    })
                    .collect();
                Ok(Storage::Wgpu(WgpuStorage::cat(&gpu, dim)?))
            }
            Storage::Cuda(_) => {
                let gpu: Vec<(&CudaStorage, &Layout)> = parts
                    .iter()
                    .map(|(s, l)| match s {
                        Storage::Cuda(c) => (c, *l),
                        other => mixed("cat", first, other),
                    })
                    .collect();
                Ok(Storage::Cuda(CudaStorage::cat(&gpu, dim)?))
            }
        }
    }

    pub fn pad(&self, l: &Layout, pads: &[(usize, usize)], value: f64) -> Result<Storage> {
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(s.pad(l, pads, value)?)),
            Storage::Wgpu(s) => Ok(Storage::Wgpu(s.pad(l, pads, value)?)),
            Storage::Cuda(s) => Ok(Storage::Cuda(s.pad(l, pads, value)?)),
        }
    }

    pub fn gather(&self, l: &Layout, dim: usize, index: &Storage, il: &Layout) -> Result<Storage> {
        match (self, index) {
            (Storage::Cpu(s), Storage::Cpu(i)) => Ok(Storage::Cpu(s.gather(l, dim, i, il)?)),
            (Storage::Wgpu(s), Storage::Wgpu(i)) => Ok(Storage::Wgpu(s.gather(l, dim, i, il)?)),
            (Storage::Cuda(s), Storage::Cuda(i)) => Ok(Storage::Cuda(s.gather(l, dim, i, il)?)),
            _ => mixed("gather", self, index),
        }
    }

    pub fn scatter_add(
        &self,
        l: &Layout,
        dim: usize,
        index: &Storage,
        il: &Layout,
        src: &Storage,
        sl: &Layout,
    ) -> Result<Storage> {
        match (self, index, src) {
            (Storage::Cpu(s), Storage::Cpu(i), Storage::Cpu(v)) => {
                Ok(Storage::Cpu(s.scatter_add(l, dim, i, il, v, sl)?))
            }
            (Storage::Wgpu(s), Storage::Wgpu(i), Storage::Wgpu(v)) => {
                Ok(Storage::Wgpu(s.scatter_add(l, dim, i, il, v, sl)?))
            }
            (Storage::Cuda(s), Storage::Cuda(i), Storage::Cuda(v)) => {
                Ok(Storage::Cuda(s.scatter_add(l, dim, i, il, v, sl)?))
            }
            _ if index.device() != self.device() => mixed("scatter_add", self, index),
            _ => mixed("scatter_add", self, src),
        }
    }

    pub fn index_select(&self, l: &Layout, dim: usize, index: &Storage, il: &Layout) -> Result<Storage> {
        match (self, index) {
            (Storage::Cpu(s), Storage::Cpu(i)) => Ok(Storage::Cpu(s.index_select(l, dim, i, il)?)),
            (Storage::Wgpu(s), Storage::Wgpu(i)) => Ok(Storage::Wgpu(s.index_select(l, dim, i, il)?)),
            (Storage::Cuda(s), Storage::Cuda(i)) => Ok(Storage::Cuda(s.index_select(l, dim, i, il)?)),
            _ => mixed("index_select", self, index),
        }
    }

    pub fn matmul(&self, l: &Layout, rhs: &Storage, rl: &Layout) -> Result<Storage> {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => Ok(Storage::Cpu(a.matmul(l, b, rl)?)),
            (Storage::Wgpu(a), Storage::Wgpu(b)) => Ok(Storage::Wgpu(a.matmul(l, b, rl)?)),
            (Storage::Cuda(a), Storage::Cuda(b)) => Ok(Storage::Cuda(a.matmul(l, b, rl)?)),
            _ => mixed("matmul", self, rhs),
        }
    }

    pub fn conv2d(&self, l: &Layout, w: &Storage, wl: &Layout, p: &Conv2dParams) -> Result<Storage> {
        match (self, w) {
            (Storage::Cpu(x), Storage::Cpu(w)) => Ok(Storage::Cpu(x.conv2d(l, w, wl, p)?)),
            (Storage::Wgpu(x), Storage::Wgpu(w)) => Ok(Storage::Wgpu(x.conv2d(l, w, wl, p)?)),
            (Storage::Cuda(x), Storage::Cuda(w)) => Ok(Storage::Cuda(x.conv2d(l, w, wl, p)?)),
            _ => mixed("conv2d", self, w),
        }
    }

    pub fn conv2d_input_grad(
        &self,
        l: &Layout,
        w: &Storage,
        wl: &Layout,
        p: &Conv2dParams,
        input_hw: [usize; 2],
    ) -> Result<Storage> {
        match (self, w) {
            (Storage::Cpu(g), Storage::Cpu(w)) => Ok(Storage::Cpu(g.conv2d_input_grad(l, w, wl, p, input_hw)?)),
            (Storage::Wgpu(g), Storage::Wgpu(w)) => Ok(Storage::Wgpu(g.conv2d_input_grad(l, w, wl, p, input_hw)?)),
            (Storage::Cuda(g), Storage::Cuda(w)) => Ok(Storage::Cuda(g.conv2d_input_grad(l, w, wl, p, input_hw)?)),
            _ => mixed("conv2d_input_grad", self, w),
        }
    }

    pub fn conv2d_weight_grad(
        &self,
        l: &Layout,
        g: &Storage,
        gl: &Layout,
        p: &Conv2dParams,
        kernel_hw: [usize; 2],
    ) -> Result<Storage> {
        match (self, g) {
            (Storage::Cpu(x), Storage::Cpu(g)) => Ok(Storage::Cpu(x.conv2d_weight_grad(l, g, gl, p, kernel_hw)?)),
            (Storage::Wgpu(x), Storage::Wgpu(g)) => Ok(Storage::Wgpu(x.conv2d_weight_grad(l, g, gl, p, kernel_hw)?)),
            (Storage::Cuda(x), Storage::Cuda(g)) => Ok(Storage::Cuda(x.conv2d_weight_grad(l, g, gl, p, kernel_hw)?)),
            _ => mixed("conv2d_weight_grad", self, g),
        }
    }

    pub fn channel_affine(terms: &[ChannelTerm<'_, Storage>], shift: Option<(&Storage, &Layout)>) -> Result<Storage> {
        let first = terms[0].x.0;
        /// The term list with every storage unwrapped by `unwrap` (which refuses other devices).
        fn unwrap_all<'a, S>(
            terms: &[ChannelTerm<'a, Storage>],
            shift: Option<(&'a Storage, &'a Layout)>,
            unwrap: impl Fn(&'a Storage) -> &'a S,
        ) -> (Vec<ChannelTerm<'a, S>>, Option<(&'a S, &'a Layout)>) {
            let parts = terms
                .iter()
                .map(|t| ChannelTerm {
                    x: (unwrap(t.x.0), t.x.1),
                    centre: (unwrap(t.centre.0), t.centre.1),
                    scale: (unwrap(t.scale.0), t.scale.1),
                })
                .collect();
            (parts, shift.map(|(s, l)| (unwrap(s), l)))
        }
        match first {
            Storage::Cpu(_) => {
                let (parts, shift) = unwrap_all(terms, shift, |s| match s {
                    Storage::Cpu(c) => c,
                    other => mixed("channel_affine", first, other),
                });
                Ok(Storage::Cpu(CpuStorage::channel_affine(&parts, shift)?))
            }
            Storage::Wgpu(_) => {
                let (parts, shift) = unwrap_all(terms, shift, |s| match s {
                    Storage::Wgpu(g) => g,
                    other => mixed("channel_affine", first, other),
                });
                Ok(Storage::Wgpu(WgpuStorage::channel_affine(&parts, shift)?))
            }
            Storage::Cuda(_) => {
                let (parts, shift) = unwrap_all(terms, shift, |s| match s {
                    Storage::Cuda(g) => g,
                    other => mixed("channel_affine", first, other),
                });
                Ok(Storage::Cuda(CudaStorage::channel_affine(&parts, shift)?))
            }
        }
    }

    pub fn channel_dot(
        &self,
        l: &Layout,
        rhs: &Storage,
        rl: &Layout,
        shifts: [(&Storage, &Layout); 2],
    ) -> Result<Storage> {
        match (self, rhs, shifts[0].0, shifts[1].0) {
            (Storage::Cpu(a), Storage::Cpu(b), Storage::Cpu(sa), Storage::Cpu(sb)) => Ok(Storage::Cpu(a.channel_dot(
                l,
                b,
                rl,
                [(sa, shifts[0].1), (sb, shifts[1].1)],
            )?)),
            (Storage::Wgpu(a), Storage::Wgpu(b), Storage::Wgpu(sa), Storage::Wgpu(sb)) => Ok(Storage::Wgpu(
                a.channel_dot(l, b, rl, [(sa, shifts[0].1), (sb, shifts[1].1)])?,
            )),
            (Storage::Cuda(a), Storage::Cuda(b), Storage::Cuda(sa), Storage::Cuda(sb)) => Ok(Storage::Cuda(
                a.channel_dot(l, b, rl, [(sa, shifts[0].1), (sb, shifts[1].1)])?,
            )),
            (_, b, sa, sb) => {
                let other = [b, sa, sb]
                    .into_iter()
                    .find(|s| s.device() != self.device())
                    .unwrap_or(b);
                mixed("channel_dot", self, other)
            }
        }
    }

    pub fn max_pool2d(&self, l: &Layout, p: &Pool2dParams) -> Result<(Storage, Storage)> {
        match self {
            Storage::Cpu(s) => {
                let (v, i) = s.max_pool2d(l, p)?;
                Ok((Storage::Cpu(v), Storage::Cpu(i)))
            }
            Storage::Wgpu(s) => {
                let (v, i) = s.max_pool2d(l, p)?;
                Ok((Storage::Wgpu(v), Storage::Wgpu(i)))
            }
            Storage::Cuda(s) => {
                let (v, i) = s.max_pool2d(l, p)?;
                Ok((Storage::Cuda(v), Storage::Cuda(i)))
            }
        }
    }

    pub fn max_pool2d_backward(
        &self,
        l: &Layout,
        indices: &Storage,
        il: &Layout,
        input_shape: &[usize],
    ) -> Result<Storage> {
        match (self, indices) {
            (Storage::Cpu(g), Storage::Cpu(i)) => Ok(Storage::Cpu(g.max_pool2d_backward(l, i, il, input_shape)?)),
            (Storage::Wgpu(g), Storage::Wgpu(i)) => Ok(Storage::Wgpu(g.max_pool2d_backward(l, i, il, input_shape)?)),
            (Storage::Cuda(g), Storage::Cuda(i)) => Ok(Storage::Cuda(g.max_pool2d_backward(l, i, il, input_shape)?)),
            _ => mixed("max_pool2d_backward", self, indices),
        }
    }
}
