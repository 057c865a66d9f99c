//! 2-D max-pool with PyTorch's int64 indices and its adjoint (kernels/max_pool2d.cu): the
//! CPU backend's values, indices and gradient sums bit for bit.

use cudarc::driver::DeviceRepr;

use super::launch::{grid_1d, grid_warps, launch_typed};
use super::{same_device, CudaStorage};
use crate::backend::Pool2dParams;
use crate::{DType, Error, Layout, Result};

/// A strided `[N, C, H, W]` operand: element (n, c, y, x) sits at
/// `offset + n·sn + c·sc + y·sh + x·sw`. The Rust mirror of `struct Nchw` in
/// kernels/max_pool2d.cu (same fields, same order, `#[repr(C)]`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nchw {
    pub offset: i64,
    pub sn: i64,
    pub sc: i64,
    pub sh: i64,
    pub sw: i64,
}

// SAFETY: plain old data with the C layout of the kernels' `struct Nchw`.
unsafe impl DeviceRepr for Nchw {}

impl Nchw {
    fn of(layout: &Layout) -> Nchw {
        let s = layout.strides();
        Nchw {
            offset: layout.offset() as i64,
            sn: s[0] as i64,
            sc: s[1] as i64,
            sh: s[2] as i64,
            sw: s[3] as i64,
        }
    }
}

/// Channels, plane sizes and window of a max-pool. The Rust mirror of `struct PoolGeo` in
/// kernels/max_pool2d.cu (same fields, same order, `#[repr(C)]`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolGeometry {
    pub c: i32,
    pub h: i32,
    pub w: i32,
    pub oh: i32,
    pub ow: i32,
    pub kh: i32,
    pub kw: i32,
    pub sh: i32,
    pub sw: i32,
    pub ph: i32,
    pub pw: i32,
    pub dh: i32,
    pub dw: i32,
}

// SAFETY: plain old data with the C layout of the kernels' `struct PoolGeo`.
unsafe impl DeviceRepr for PoolGeometry {}

/// `v` as the kernels' `int`; planes (h·w, oh·ow) must fit too, as the kernels index them in 32 bits.
fn int(op: &str, what: &str, v: usize) -> Result<i32> {
    i32::try_from(v).map_err(|_| Error::Device(format!("cuda: {op}: {what} = {v} exceeds the kernels' 32-bit range")))
}

fn expect_float(op: &str, x: &CudaStorage) -> DType {
    let d = x.dtype;
    assert!(
        matches!(d, DType::F32 | DType::F64),
        "{op}: expected a float tensor, got {d}"
    );
    d
}

/// Values and `I64` indices (into each `H·W` plane) of the max-pool of `[N, C, H, W]`.
pub fn max_pool2d(x: &CudaStorage, xl: &Layout, p: &Pool2dParams) -> Result<(CudaStorage, CudaStorage)> {
    let dtype = expect_float("max_pool2d", x);
    let s = xl.shape();
    let (nb, c, h, w) = (s[0], s[1], s[2], s[3]);
    let [oh, ow] = p
        .output_size([h, w])
        .unwrap_or_else(|| panic!("max_pool2d: {p:?} does not fit an input of {:?}", xl.shape()));
    let ctx = x.ctx();
    let n_out = nb * c * oh * ow;
    let values = CudaStorage::alloc(ctx, dtype, n_out)?;
    let indices = CudaStorage::alloc(ctx, DType::I64, n_out)?;
    if n_out == 0 {
        return Ok((values, indices));
    }
    let op = "max_pool2d";
    int(op, "H·W", h * w)?;
    let geometry = PoolGeometry {
        c: int(op, "C", c)?,
        h: int(op, "H", h)?,
        w: int(op, "W", w)?,
        oh: int(op, "OH", oh)?,
        ow: int(op, "OW", ow)?,
        kh: int(op, "kernel", p.kernel[0])?,
        kw: int(op, "kernel", p.kernel[1])?,
        sh: int(op, "stride", p.stride[0])?,
        sw: int(op, "stride", p.stride[1])?,
        ph: int(op, "padding", p.padding[0])?,
        pw: int(op, "padding", p.padding[1])?,
        dh: int(op, "dilation", p.dilation[0])?,
        dw: int(op, "dilation", p.dilation[1])?,
    };
    let args = (
        values.ptr(),
        indices.ptr(),
        x.ptr(),
        Nchw::of(xl),
        geometry,
        n_out as i64,
    );
    launch_typed(ctx, "max_pool2d", "max_pool2d", dtype, grid_1d(n_out), args)?;
    Ok((values, indices))
}

/// The adjoint: the gradient `g [N, C, OH, OW]` added into zeros of `input_shape` at `indices`.
/// One warp per `(n, c)` plane, in the CPU's order (deterministic, no atomics). An index
/// outside its plane is reported at the next read-back.
pub fn max_pool2d_backward(
    g: &CudaStorage,
    gl: &Layout,
    indices: &CudaStorage,
    il: &Layout,
    input_shape: &[usize],
) -> Result<CudaStorage> {
    let op = "max_pool2d_backward";
    let dtype = expect_float(op, g);
    assert_eq!(
        indices.dtype,
        DType::I64,
        "{op}: expected int64 indices, got {}",
        indices.dtype
    );
    same_device(op, g, indices);
    assert_eq!(
        gl.shape(),
        il.shape(),
        "{op}: gradient {:?} and indices {:?} differ in shape",
        gl.shape(),
        il.shape()
    );
    let (nb, c, h, w) = (input_shape[0], input_shape[1], input_shape[2], input_shape[3]);
    let (oh, ow) = (gl.shape()[2], gl.shape()[3]);
    let ctx = g.ctx();
    let dx = CudaStorage::alloc(ctx, dtype, nb * c * h * w)?;
    let planes = nb * c;
    if dx.is_empty() {
        return Ok(dx);
    }
    int(op, "OH·OW", oh * ow)?;
    let args = (
        dx.ptr(),
        g.ptr(),
        Nchw::of(gl),
        indices.ptr(),
        Nchw::of(il),
        planes as i64,
        int(op, "C", c)?,
        int(op, "H·W", h * w)?,
        int(op, "OH", oh)?,
        int(op, "OW", ow)?,
        ctx.fault_ptr,
    );
    // Every plane is written (zeroed, then the gradients added), so no fill is needed.
    launch_typed(
        ctx,
        "max_pool2d",
        "max_pool2d_backward",
        dtype,
        grid_warps(planes),
        args,
    )?;
    Ok(dx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_have_the_kernel_layouts() {
        assert_eq!(std::mem::size_of::<Nchw>(), 40);
        assert_eq!(std::mem::size_of::<PoolGeometry>(), 13 * 4);
        let l = Layout::new(vec![2, 3, 4, 5], vec![60, 1, 15, 3], 7);
        assert_eq!(
            Nchw::of(&l),
            Nchw {
                offset: 7,
                sn: 60,
                sc: 1,
                sh: 15,
                sw: 3
            }
        );
    }
}
