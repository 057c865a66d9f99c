//! The primitive set every device implements, and the device-dispatching [`Storage`].
//!
//! About thirty primitives (DESIGN §2): everything else — softmax, norms, batch norm, losses — is
//! composed from these in `tensor/`, so it is differentiable to any order on every device.
//! A backend receives strided [`Layout`]s and returns new, contiguous storage; it never records
//! autograd state.

pub mod cpu;
#[cfg(feature = "cuda")]
pub mod cuda;
#[cfg(not(feature = "cuda"))]
#[path = "cuda_disabled.rs"]
pub mod cuda;
pub mod philox;
mod storage;
#[cfg(feature = "wgpu")]
pub mod wgpu;
#[cfg(not(feature = "wgpu"))]
#[path = "wgpu_disabled.rs"]
pub mod wgpu;

pub use philox::PhiloxDraw;
pub use storage::Storage;

use crate::{DType, Layout, Result};

/// Declares a fieldless op enum with `name()`: the variant's name as a `&'static str`, so hot
/// paths can label their panics without formatting a string on every call.
macro_rules! op_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant),*
        }

        impl $name {
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => stringify!($variant)),*
                }
            }
        }
    };
}

op_enum!(
    /// Elementwise functions of one float tensor.
    UnaryOp { Neg, Recip, Exp, Log, Log1p, Sqrt, Square, Tanh, Sigmoid, Relu, Abs, Sign, Sin, Cos });

op_enum!(
    /// Elementwise functions of two float tensors of one (broadcast) shape.
    BinaryOp { Add, Sub, Mul, Div, Pow, Maximum, Minimum });

op_enum!(
    /// Elementwise comparisons giving a `Bool` mask.
    CmpOp { Eq, Ne, Lt, Le, Gt, Ge });

op_enum!(
    /// Reductions over a set of dimensions.
    ReduceOp { Sum, Max, Min });

op_enum!(
    /// Reductions to the index of the extreme value along one dimension (first one on ties).
    ArgReduceOp { ArgMax, ArgMin });

/// Geometry of a 2-D convolution (groups = 1), PyTorch's `Conv2d` arguments.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Conv2dParams {
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
}

impl Default for Conv2dParams {
    fn default() -> Self {
        Conv2dParams {
            stride: [1, 1],
            padding: [0, 0],
            dilation: [1, 1],
        }
    }
}

impl Conv2dParams {
    /// Output spatial size for an input of `input` (height, width) and a kernel of `kernel`.
    /// `None` if the dilated kernel does not fit in the padded input.
    pub fn output_size(&self, input: [usize; 2], kernel: [usize; 2]) -> Option<[usize; 2]> {
        let mut out = [0; 2];
        for i in 0..2 {
            let span = self.dilation[i] * (kernel[i] - 1) + 1;
            let padded = input[i] + 2 * self.padding[i];
            if kernel[i] == 0 || span > padded || self.stride[i] == 0 {
                return None;
            }
            out[i] = (padded - span) / self.stride[i] + 1;
        }
        Some(out)
    }
}

/// Geometry of a 2-D max-pool (PyTorch's `MaxPool2d` with `ceil_mode = false`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Pool2dParams {
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
}

impl Pool2dParams {
    /// PyTorch's `MaxPool2d(k)`: stride = kernel, no padding.
    pub fn square(k: usize) -> Pool2dParams {
        Pool2dParams {
            kernel: [k, k],
            stride: [k, k],
            padding: [0, 0],
            dilation: [1, 1],
        }
    }

    /// Output spatial size, or `None` when the window does not fit, padding exceeds half of it,
    /// or some window would hold only padding.
    pub fn output_size(&self, input: [usize; 2]) -> Option<[usize; 2]> {
        let mut out = [0; 2];
        for i in 0..2 {
            if self.kernel[i] == 0 || self.stride[i] == 0 || 2 * self.padding[i] > self.kernel[i] {
                return None;
            }
            let span = self.dilation[i] * (self.kernel[i] - 1) + 1;
            let padded = input[i] + 2 * self.padding[i];
            if span > padded {
                return None;
            }
            out[i] = (padded - span) / self.stride[i] + 1;
            // With dilation, a window can hold only padding (no input, no maximum to pick).
            let any_tap_inside = |o: usize| {
                (0..self.kernel[i]).any(|k| {
                    let at = (o * self.stride[i] + k * self.dilation[i]) as isize - self.padding[i] as isize;
                    at >= 0 && at < input[i] as isize
                })
            };
            if !(0..out[i]).all(any_tap_inside) {
                return None;
            }
        }
        Some(out)
    }
}

/// One term `(x - centre[c])·scale[c]` of [`BackendStorage::channel_affine`].
pub struct ChannelTerm<'a, S> {
    pub x: (&'a S, &'a Layout),
    pub centre: (&'a S, &'a Layout),
    pub scale: (&'a S, &'a Layout),
}

/// The primitive operations of one device's storage.
///
/// Inputs come with arbitrary strided layouts (already broadcast to a common shape where an op
/// takes several); outputs are new contiguous storage. Shape checks happen in the tensor front
/// end, so a backend may assume consistent arguments. Methods return `Result` because a device
/// can fail (out of memory, a lost driver) even when the arguments are right.
pub trait BackendStorage: Sized + Send + Sync {
    /// The handle new storage is created on (`()` for the host).
    type Device;

    fn dtype(&self) -> DType;
    /// `numel` uniform values in `[0, 1)` of float `dtype`, contiguous: element `i` is
    /// [`PhiloxDraw::f32_at`]/[`PhiloxDraw::f64_at`]`(i)` of `draw`, bit for bit (the rule is in
    /// [`philox`]), whatever the device or its thread count. Dropout's masks and any other random
    /// tensor drawn where it lives.
    fn rand_uniform(device: &Self::Device, numel: usize, dtype: DType, draw: PhiloxDraw) -> Result<Self>;
    /// A contiguous copy converted to `dtype` (same dtype: a plain contiguous copy).
    fn to_dtype(&self, layout: &Layout, dtype: DType) -> Result<Self>;
    fn unary(&self, layout: &Layout, op: UnaryOp) -> Result<Self>;
    /// `lhs` and `rhs` layouts have the same (output) shape.
    fn binary(&self, layout: &Layout, rhs: &Self, rhs_layout: &Layout, op: BinaryOp) -> Result<Self>;
    /// A `Bool` mask; both layouts have the output shape.
    fn compare(&self, layout: &Layout, rhs: &Self, rhs_layout: &Layout, op: CmpOp) -> Result<Self>;
    /// `self` is the `Bool` condition; all three layouts have the output shape.
    fn where_cond(
        &self,
        layout: &Layout,
        on_true: &Self,
        true_layout: &Layout,
        on_false: &Self,
        false_layout: &Layout,
    ) -> Result<Self>;
    /// Reduces `dims` (sorted, distinct); the output has the input's shape with those dims = 1.
    fn reduce(&self, layout: &Layout, op: ReduceOp, dims: &[usize]) -> Result<Self>;
    /// `I64` indices along `dim`; the output has the input's shape with `dim` = 1.
    fn arg_reduce(&self, layout: &Layout, op: ArgReduceOp, dim: usize) -> Result<Self>;
    /// Concatenation along `dim` of parts whose other dims agree.
    fn cat(parts: &[(&Self, &Layout)], dim: usize) -> Result<Self>;
    /// Constant padding: `pads[d] = (before, after)` for every dim.
    fn pad(&self, layout: &Layout, pads: &[(usize, usize)], value: f64) -> Result<Self>;
    /// `out[i] = self[i with dim replaced by index[i]]`; the output has the index's shape.
    fn gather(&self, layout: &Layout, dim: usize, index: &Self, index_layout: &Layout) -> Result<Self>;
    /// A copy of `self` with `src[i]` added at `i with dim replaced by index[i]`.
    fn scatter_add(
        &self,
        layout: &Layout,
        dim: usize,
        index: &Self,
        index_layout: &Layout,
        src: &Self,
        src_layout: &Layout,
    ) -> Result<Self>;
    /// Entries `index[j]` (a 1-D `I64` tensor) of dimension `dim`.
    fn index_select(&self, layout: &Layout, dim: usize, index: &Self, index_layout: &Layout) -> Result<Self>;
    /// Batched matrix product of `[B, M, K]` by `[B, K, N]`, giving contiguous `[B, M, N]`.
    fn matmul(&self, layout: &Layout, rhs: &Self, rhs_layout: &Layout) -> Result<Self>;
    /// `[N, Cin, H, W]` (self) convolved with `[Cout, Cin, KH, KW]`, giving `[N, Cout, OH, OW]`.
    fn conv2d(&self, layout: &Layout, weight: &Self, weight_layout: &Layout, params: &Conv2dParams) -> Result<Self>;
    /// The adjoint of `conv2d` in its input (a transposed convolution): `self` is the output
    /// gradient `[N, Cout, OH, OW]`, the result is `[N, Cin, input_hw]`.
    fn conv2d_input_grad(
        &self,
        layout: &Layout,
        weight: &Self,
        weight_layout: &Layout,
        params: &Conv2dParams,
        input_hw: [usize; 2],
    ) -> Result<Self>;
    /// The adjoint of `conv2d` in its weight: `self` is the input `[N, Cin, H, W]`, `grad` the
    /// output gradient `[N, Cout, OH, OW]`, the result is `[Cout, Cin, kernel_hw]`.
    fn conv2d_weight_grad(
        &self,
        layout: &Layout,
        grad: &Self,
        grad_layout: &Layout,
        params: &Conv2dParams,
        kernel_hw: [usize; 2],
    ) -> Result<Self>;
    /// Per-channel affine combination of `[N, C, *]` tensors (one or two terms, all of the
    /// output's shape): `out[n, c, …] = Σ_k (x_k[n, c, …] - centre_k[c])·scale_k[c] + shift[c]`,
    /// centres, scales and shift `[C]`. Batch normalisation's forward and backward in one pass
    /// each; centring before scaling keeps the precision of the composed form.
    fn channel_affine(terms: &[ChannelTerm<'_, Self>], shift: Option<(&Self, &Layout)>) -> Result<Self>;
    /// Per-channel centred dot product of two `[N, C, *]` tensors of one shape:
    /// `out[c] = Σ_{n, …} (self[n, c, …] - self_shift[c])·(rhs[n, c, …] - rhs_shift[c])`, `[C]`.
    /// Batch-norm statistics and their gradients without full-size intermediates.
    fn channel_dot(
        &self,
        layout: &Layout,
        rhs: &Self,
        rhs_layout: &Layout,
        shifts: [(&Self, &Layout); 2],
    ) -> Result<Self>;
    /// Max-pool of `[N, C, H, W]`: values and `I64` indices into each `H·W` plane (PyTorch's).
    fn max_pool2d(&self, layout: &Layout, params: &Pool2dParams) -> Result<(Self, Self)>;
    /// The adjoint of max-pool: `self` is the output gradient, scattered into zeros of
    /// `input_shape` at `indices`.
    fn max_pool2d_backward(
        &self,
        layout: &Layout,
        indices: &Self,
        indices_layout: &Layout,
        input_shape: &[usize],
    ) -> Result<Self>;
}
