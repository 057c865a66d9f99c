//! 2-D convolution (groups = 1) and its two adjoints on the implicit-GEMM tile kernels of
//! kernels/gemm.cu: operands are read straight from the (contiguous) tensors, no im2col buffer.
//!
//! | direction    | M  | columns      | K (summed)    |
//! |--------------|----|--------------|---------------|
//! | forward      | co | nb·oh·ow     | ci·kh·kw      |
//! | input grad   | ci | nb·h·w       | co·kh·kw      |
//! | weight grad  | co | ci·kh·kw     | nb·oh·ow      |
//!
//! The weight gradient's long K is split (see `gemm.rs`), its partials added in a fixed order.

use cudarc::driver::DeviceRepr;

use super::gemm::{expect_floats, Plan};
use super::launch::launch_typed;
use super::layout_ops::contiguous;
use super::{same_device, CudaStorage};
use crate::backend::Conv2dParams;
use crate::{DType, Error, Layout, Result};

/// The shared geometry: x `[nb, ci, h, w]`, weight `[co, ci, kh, kw]`, y `[nb, co, oh, ow]`,
/// stride / padding / dilation per axis. The Rust mirror of `struct ConvGeo` in
/// kernels/gemm.cu (same fields, same order, `#[repr(C)]`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeometry {
    pub nb: i32,
    pub ci: i32,
    pub h: i32,
    pub w: i32,
    pub co: i32,
    pub kh: i32,
    pub kw: i32,
    pub oh: i32,
    pub ow: i32,
    pub sh: i32,
    pub sw: i32,
    pub ph: i32,
    pub pw: i32,
    pub dh: i32,
    pub dw: i32,
}

// SAFETY: plain old data with the C layout of the kernels' `struct ConvGeo`.
unsafe impl DeviceRepr for ConvGeometry {}

/// Sizes of one convolution, in `usize` until checked.
struct Sizes {
    nb: usize,
    ci: usize,
    hw: [usize; 2],
    co: usize,
    k: [usize; 2],
    out: [usize; 2],
}

impl Sizes {
    fn new(op: &str, nb: usize, ci: usize, hw: [usize; 2], co: usize, k: [usize; 2], p: &Conv2dParams) -> Sizes {
        let out = p
            .output_size(hw, k)
            .unwrap_or_else(|| panic!("{op}: kernel {k:?} with {p:?} does not fit an input of {hw:?}"));
        Sizes { nb, ci, hw, co, k, out }
    }

    /// The kernels' geometry; `Err` when a size or a parameter does not fit their 32-bit ints.
    fn geometry(&self, op: &str, p: &Conv2dParams) -> Result<ConvGeometry> {
        let v = [
            self.nb,
            self.ci,
            self.hw[0],
            self.hw[1],
            self.co,
            self.k[0],
            self.k[1],
            self.out[0],
            self.out[1],
            p.stride[0],
            p.stride[1],
            p.padding[0],
            p.padding[1],
            p.dilation[0],
            p.dilation[1],
        ];
        let mut g = [0i32; 15];
        for (dst, &src) in g.iter_mut().zip(&v) {
            *dst = i32::try_from(src).map_err(|_| {
                Error::Device(format!(
                    "cuda: {op}: size {src} in {v:?} exceeds the kernels' 32-bit range"
                ))
            })?;
        }
        let [nb, ci, h, w, co, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw] = g;
        Ok(ConvGeometry {
            nb,
            ci,
            h,
            w,
            co,
            kh,
            kw,
            oh,
            ow,
            sh,
            sw,
            ph,
            pw,
            dh,
            dw,
        })
    }
}

fn dims4(l: &Layout) -> [usize; 4] {
    let s = l.shape();
    [s[0], s[1], s[2], s[3]]
}

/// Launches `kernel(out, p0, p1, geometry, splits, k_chunk)` as the product `[m, k]·[k, cols]`
/// into a new output of `count` elements.
#[allow(clippy::too_many_arguments)]
fn run(
    op: &'static str,
    dtype: DType,
    ctx: &'static super::context::Context,
    [p0, p1]: [u64; 2],
    geometry: ConvGeometry,
    [m, cols, k]: [usize; 3],
    count: usize,
) -> Result<CudaStorage> {
    let out = CudaStorage::alloc(ctx, dtype, count)?;
    if count == 0 {
        return Ok(out);
    }
    let plan = Plan::new(op, 1, [m, cols, k], false)?;
    plan.run(ctx, dtype, &out, count, |dst| {
        let args = (dst, p0, p1, geometry, plan.splits as i32, plan.k_chunk as i32);
        launch_typed(ctx, "gemm", op, dtype, plan.config(), args)
    })?;
    Ok(out)
}

/// `[nb, ci, h, w]` convolved with `[co, ci, kh, kw]` → `[nb, co, oh, ow]`.
pub fn conv2d(x: &CudaStorage, xl: &Layout, w: &CudaStorage, wl: &Layout, p: &Conv2dParams) -> Result<CudaStorage> {
    same_device("conv2d", x, w);
    let dtype = expect_floats("conv2d", x, w);
    let [nb, ci, h, wd] = dims4(xl);
    let [co, _, kh, kw] = dims4(wl);
    let s = Sizes::new("conv2d", nb, ci, [h, wd], co, [kh, kw], p);
    let g = s.geometry("conv2d", p)?;
    let (xc, wc) = (contiguous(x, xl)?, contiguous(w, wl)?);
    let count = nb * co * s.out[0] * s.out[1];
    let shape = [co, nb * s.out[0] * s.out[1], ci * kh * kw];
    run("conv2d", dtype, x.ctx(), [xc.ptr(), wc.ptr()], g, shape, count)
}

/// The adjoint in the input: `dy [nb, co, oh, ow]` and the weight → `[nb, ci, input_hw]`.
pub fn conv2d_input_grad(
    dy: &CudaStorage,
    dyl: &Layout,
    w: &CudaStorage,
    wl: &Layout,
    p: &Conv2dParams,
    input_hw: [usize; 2],
) -> Result<CudaStorage> {
    same_device("conv2d_input_grad", dy, w);
    let dtype = expect_floats("conv2d_input_grad", dy, w);
    let [nb, co, oh, ow] = dims4(dyl);
    let [_, ci, kh, kw] = dims4(wl);
    let s = Sizes::new("conv2d_input_grad", nb, ci, input_hw, co, [kh, kw], p);
    assert_eq!(
        s.out,
        [oh, ow],
        "conv2d_input_grad: gradient {:?} does not match the output of {p:?} on {input_hw:?}",
        dyl.shape()
    );
    let g = s.geometry("conv2d_input_grad", p)?;
    let (dyc, wc) = (contiguous(dy, dyl)?, contiguous(w, wl)?);
    let [h, wd] = input_hw;
    let shape = [ci, nb * h * wd, co * kh * kw];
    run(
        "conv2d_input_grad",
        dtype,
        dy.ctx(),
        [dyc.ptr(), wc.ptr()],
        g,
        shape,
        nb * ci * h * wd,
    )
}

/// The adjoint in the weight: `x [nb, ci, h, w]` and `dy [nb, co, oh, ow]` → `[co, ci, kernel_hw]`.
pub fn conv2d_weight_grad(
    x: &CudaStorage,
    xl: &Layout,
    dy: &CudaStorage,
    dyl: &Layout,
    p: &Conv2dParams,
    kernel_hw: [usize; 2],
) -> Result<CudaStorage> {
    same_device("conv2d_weight_grad", x, dy);
    let dtype = expect_floats("conv2d_weight_grad", x, dy);
    let [nb, ci, h, wd] = dims4(xl);
    let [_, co, oh, ow] = dims4(dyl);
    let s = Sizes::new("conv2d_weight_grad", nb, ci, [h, wd], co, kernel_hw, p);
    assert_eq!(
        s.out,
        [oh, ow],
        "conv2d_weight_grad: gradient {:?} does not match the output of {p:?} on {:?}",
        dyl.shape(),
        xl.shape()
    );
    let g = s.geometry("conv2d_weight_grad", p)?;
    let (xc, dyc) = (contiguous(x, xl)?, contiguous(dy, dyl)?);
    let [kh, kw] = kernel_hw;
    let shape = [co, ci * kh * kw, nb * oh * ow];
    run(
        "conv2d_weight_grad",
        dtype,
        x.ctx(),
        [xc.ptr(), dyc.ptr()],
        g,
        shape,
        co * ci * kh * kw,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_matches_the_kernel_struct_and_refuses_oversized_values() {
        assert_eq!(std::mem::size_of::<ConvGeometry>(), 15 * 4);
        let p = Conv2dParams {
            stride: [2, 1],
            padding: [1, 0],
            dilation: [1, 2],
        };
        let s = Sizes::new("t", 2, 3, [9, 8], 4, [3, 2], &p);
        let g = s.geometry("t", &p).unwrap();
        assert_eq!((g.oh, g.ow, g.sh, g.pw, g.dw), (5, 6, 2, 0, 2));
        let big = Sizes::new("t", 1 << 31, 1, [1, 1], 1, [1, 1], &Conv2dParams::default());
        assert!(big.geometry("conv2d", &Conv2dParams::default()).is_err());
    }
}
