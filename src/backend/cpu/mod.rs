//! The CPU backend: `Vec`-backed storage, rayon for parallel loops, `gemm` for matrix products
//! and im2col convolutions.

mod buffers;
mod channel;
mod conv;
mod element;
mod elementwise;
mod index;
mod matmul;
mod pool;
mod random;
mod reduce;
pub(crate) mod strided;
pub(crate) mod tangent_activation;

pub use element::{Element, FloatElement};

use super::{
    ArgReduceOp, BackendStorage, BinaryOp, ChannelTerm, CmpOp, Conv2dParams, PhiloxDraw, Pool2dParams, ReduceOp,
    UnaryOp,
};
use crate::{DType, Layout, Result};

/// Host storage of one dtype.
#[derive(Clone, Debug, PartialEq)]
pub enum CpuStorage {
    F32(Vec<f32>),
    F64(Vec<f64>),
    I64(Vec<i64>),
    Bool(Vec<u8>),
}

/// Runs `$body` with `$v` bound to the vector of any dtype, rewrapping a `Vec` result in the
/// same variant.
macro_rules! map_any {
    ($s:expr, $v:ident => $body:expr) => {
        match $s {
            CpuStorage::F32($v) => CpuStorage::F32($body),
            CpuStorage::F64($v) => CpuStorage::F64($body),
            CpuStorage::I64($v) => CpuStorage::I64($body),
            CpuStorage::Bool($v) => CpuStorage::Bool($body),
        }
    };
}

/// Like `map_any!` for float dtypes only; other dtypes are a programmer error naming `$op`.
macro_rules! map_float {
    ($op:expr, $s:expr, $v:ident => $body:expr) => {
        match $s {
            CpuStorage::F32($v) => CpuStorage::F32($body),
            CpuStorage::F64($v) => CpuStorage::F64($body),
            other => panic!("{}: expected a float tensor, got {}", $op, other.dtype()),
        }
    };
}

pub(crate) use map_any;

/// Large buffers go back to the cache for the next op output of the same length.
impl Drop for CpuStorage {
    fn drop(&mut self) {
        match self {
            CpuStorage::F32(v) => buffers::give_back(std::mem::take(v)),
            CpuStorage::F64(v) => buffers::give_back(std::mem::take(v)),
            CpuStorage::I64(v) => buffers::give_back(std::mem::take(v)),
            CpuStorage::Bool(v) => buffers::give_back(std::mem::take(v)),
        }
    }
}

impl CpuStorage {
    /// Number of elements stored.
    pub fn len(&self) -> usize {
        match self {
            CpuStorage::F32(v) => v.len(),
            CpuStorage::F64(v) => v.len(),
            CpuStorage::I64(v) => v.len(),
            CpuStorage::Bool(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `n` copies of `value` as `dtype`.
    pub fn full(n: usize, value: f64, dtype: DType) -> CpuStorage {
        match dtype {
            DType::F32 => CpuStorage::F32(vec![value as f32; n]),
            DType::F64 => CpuStorage::F64(vec![value; n]),
            DType::I64 => CpuStorage::I64(vec![i64::from_f64(value); n]),
            DType::Bool => CpuStorage::Bool(vec![u8::from_f64(value); n]),
        }
    }

    /// All elements converted to `f64` (for read-back and checks).
    pub fn to_f64_vec(&self) -> Vec<f64> {
        match self {
            CpuStorage::F32(v) => v.iter().map(|&x| x as f64).collect(),
            CpuStorage::F64(v) => v.clone(),
            CpuStorage::I64(v) => v.iter().map(|&x| x as f64).collect(),
            CpuStorage::Bool(v) => v.iter().map(|&x| x as f64).collect(),
        }
    }

    /// Elements as `I64`, panicking (programmer error) for any other dtype.
    pub(crate) fn as_i64(&self, op: &str) -> &[i64] {
        match self {
            CpuStorage::I64(v) => v,
            other => panic!("{op}: expected an int64 index tensor, got {}", other.dtype()),
        }
    }

    fn as_bool(&self, op: &str) -> &[u8] {
        match self {
            CpuStorage::Bool(v) => v,
            other => panic!("{op}: expected a bool condition tensor, got {}", other.dtype()),
        }
    }
}

impl BackendStorage for CpuStorage {
    type Device = ();

    fn rand_uniform(_: &(), numel: usize, dtype: DType, draw: PhiloxDraw) -> Result<Self> {
        Ok(match dtype {
            DType::F32 => CpuStorage::F32(random::uniform_f32(numel, draw)),
            DType::F64 => CpuStorage::F64(random::uniform_f64(numel, draw)),
            other => panic!("rand_uniform: expected a float dtype, got {other}"),
        })
    }

    fn dtype(&self) -> DType {
        match self {
            CpuStorage::F32(_) => DType::F32,
            CpuStorage::F64(_) => DType::F64,
            CpuStorage::I64(_) => DType::I64,
            CpuStorage::Bool(_) => DType::Bool,
        }
    }

    fn to_dtype(&self, layout: &Layout, dtype: DType) -> Result<Self> {
        Ok(elementwise::to_dtype(self, layout, dtype))
    }

    fn unary(&self, layout: &Layout, op: UnaryOp) -> Result<Self> {
        Ok(map_float!(op.name(), self, v => elementwise::unary(v, layout, op)))
    }

    fn binary(&self, layout: &Layout, rhs: &Self, rhs_layout: &Layout, op: BinaryOp) -> Result<Self> {
        Ok(match (self, rhs) {
            (CpuStorage::F32(a), CpuStorage::F32(b)) => {
                CpuStorage::F32(elementwise::binary(a, layout, b, rhs_layout, op))
            }
            (CpuStorage::F64(a), CpuStorage::F64(b)) => {
                CpuStorage::F64(elementwise::binary(a, layout, b, rhs_layout, op))
            }
            (a, b) => panic!(
                "{op:?}: expected two float tensors of one dtype, got {} and {}",
                a.dtype(),
                b.dtype()
            ),
        })
    }

    fn compare(&self, layout: &Layout, rhs: &Self, rhs_layout: &Layout, op: CmpOp) -> Result<Self> {
        let out = match (self, rhs) {
            (CpuStorage::F32(a), CpuStorage::F32(b)) => elementwise::compare(a, layout, b, rhs_layout, op),
            (CpuStorage::F64(a), CpuStorage::F64(b)) => elementwise::compare(a, layout, b, rhs_layout, op),
            (CpuStorage::I64(a), CpuStorage::I64(b)) => elementwise::compare(a, layout, b, rhs_layout, op),
            (CpuStorage::Bool(a), CpuStorage::Bool(b)) => elementwise::compare(a, layout, b, rhs_layout, op),
            (a, b) => panic!(
                "{op:?}: expected two tensors of one dtype, got {} and {}",
                a.dtype(),
                b.dtype()
            ),
        };
        Ok(CpuStorage::Bool(out))
    }

    fn where_cond(&self, l: &Layout, t: &Self, tl: &Layout, f: &Self, fl: &Layout) -> Result<Self> {
        let cond = self.as_bool("where");
        Ok(match (t, f) {
            (CpuStorage::F32(a), CpuStorage::F32(b)) => CpuStorage::F32(elementwise::select(cond, l, a, tl, b, fl)),
            (CpuStorage::F64(a), CpuStorage::F64(b)) => CpuStorage::F64(elementwise::select(cond, l, a, tl, b, fl)),
            (CpuStorage::I64(a), CpuStorage::I64(b)) => CpuStorage::I64(elementwise::select(cond, l, a, tl, b, fl)),
            (CpuStorage::Bool(a), CpuStorage::Bool(b)) => CpuStorage::Bool(elementwise::select(cond, l, a, tl, b, fl)),
            (a, b) => panic!(
                "where: branches must share a dtype, got {} and {}",
                a.dtype(),
                b.dtype()
            ),
        })
    }

    fn reduce(&self, layout: &Layout, op: ReduceOp, dims: &[usize]) -> Result<Self> {
        Ok(match self {
            CpuStorage::F32(v) => CpuStorage::F32(reduce::reduce(v, layout, op, dims)),
            CpuStorage::F64(v) => CpuStorage::F64(reduce::reduce(v, layout, op, dims)),
            CpuStorage::I64(v) => CpuStorage::I64(reduce::reduce(v, layout, op, dims)),
            CpuStorage::Bool(_) => panic!("{op:?}: cannot reduce a bool tensor; convert it to a number type first"),
        })
    }

    fn arg_reduce(&self, layout: &Layout, op: ArgReduceOp, dim: usize) -> Result<Self> {
        Ok(CpuStorage::I64(match self {
            CpuStorage::F32(v) => reduce::arg_reduce(v, layout, op, dim),
            CpuStorage::F64(v) => reduce::arg_reduce(v, layout, op, dim),
            CpuStorage::I64(v) => reduce::arg_reduce(v, layout, op, dim),
            CpuStorage::Bool(v) => reduce::arg_reduce(v, layout, op, dim),
        }))
    }

    fn cat(parts: &[(&Self, &Layout)], dim: usize) -> Result<Self> {
        Ok(index::cat(parts, dim))
    }

    fn pad(&self, layout: &Layout, pads: &[(usize, usize)], value: f64) -> Result<Self> {
        Ok(map_any!(self, v => index::pad(v, layout, pads, Element::from_f64(value))))
    }

    fn gather(&self, layout: &Layout, dim: usize, index: &Self, il: &Layout) -> Result<Self> {
        let idx = index.as_i64("gather");
        Ok(map_any!(self, v => index::gather(v, layout, dim, idx, il)))
    }

    fn scatter_add(&self, l: &Layout, dim: usize, index: &Self, il: &Layout, src: &Self, sl: &Layout) -> Result<Self> {
        let idx = index.as_i64("scatter_add");
        Ok(match (self, src) {
            (CpuStorage::F32(b), CpuStorage::F32(s)) => CpuStorage::F32(index::scatter_add(b, l, dim, idx, il, s, sl)),
            (CpuStorage::F64(b), CpuStorage::F64(s)) => CpuStorage::F64(index::scatter_add(b, l, dim, idx, il, s, sl)),
            (CpuStorage::I64(b), CpuStorage::I64(s)) => CpuStorage::I64(index::scatter_add(b, l, dim, idx, il, s, sl)),
            // PyTorch's bool scatter-add: adding is logical or.
            (CpuStorage::Bool(b), CpuStorage::Bool(s)) => {
                CpuStorage::Bool(index::scatter_add(b, l, dim, idx, il, s, sl))
            }
            (a, b) => panic!(
                "scatter_add: base and source must share a dtype, got {} and {}",
                a.dtype(),
                b.dtype()
            ),
        })
    }

    fn index_select(&self, layout: &Layout, dim: usize, index: &Self, il: &Layout) -> Result<Self> {
        let idx = index.as_i64("index_select");
        Ok(map_any!(self, v => index::index_select(v, layout, dim, idx, il)))
    }

    fn matmul(&self, layout: &Layout, rhs: &Self, rl: &Layout) -> Result<Self> {
        Ok(match (self, rhs) {
            (CpuStorage::F32(a), CpuStorage::F32(b)) => CpuStorage::F32(matmul::matmul(a, layout, b, rl)),
            (CpuStorage::F64(a), CpuStorage::F64(b)) => CpuStorage::F64(matmul::matmul(a, layout, b, rl)),
            (a, b) => panic!(
                "matmul: expected two float tensors of one dtype, got {} and {}",
                a.dtype(),
                b.dtype()
            ),
        })
    }

    fn conv2d(&self, layout: &Layout, w: &Self, wl: &Layout, p: &Conv2dParams) -> Result<Self> {
        Ok(match (self, w) {
            (CpuStorage::F32(x), CpuStorage::F32(w)) => CpuStorage::F32(conv::conv2d(x, layout, w, wl, p)),
            (CpuStorage::F64(x), CpuStorage::F64(w)) => CpuStorage::F64(conv::conv2d(x, layout, w, wl, p)),
            (a, b) => panic!(
                "conv2d: expected two float tensors of one dtype, got {} and {}",
                a.dtype(),
                b.dtype()
            ),
        })
    }

    fn conv2d_input_grad(&self, l: &Layout, w: &Self, wl: &Layout, p: &Conv2dParams, hw: [usize; 2]) -> Result<Self> {
        Ok(match (self, w) {
            (CpuStorage::F32(g), CpuStorage::F32(w)) => CpuStorage::F32(conv::conv2d_input_grad(g, l, w, wl, p, hw)),
            (CpuStorage::F64(g), CpuStorage::F64(w)) => CpuStorage::F64(conv::conv2d_input_grad(g, l, w, wl, p, hw)),
            (a, b) => panic!(
                "conv2d_input_grad: expected float tensors of one dtype, got {} and {}",
                a.dtype(),
                b.dtype()
            ),
        })
    }

    fn conv2d_weight_grad(&self, l: &Layout, g: &Self, gl: &Layout, p: &Conv2dParams, k: [usize; 2]) -> Result<Self> {
        Ok(match (self, g) {
            (CpuStorage::F32(x), CpuStorage::F32(g)) => CpuStorage::F32(conv::conv2d_weight_grad(x, l, g, gl, p, k)),
            (CpuStorage::F64(x), CpuStorage::F64(g)) => CpuStorage::F64(conv::conv2d_weight_grad(x, l, g, gl, p, k)),
            (a, b) => panic!(
                "conv2d_weight_grad: expected float tensors of one dtype, got {} and {}",
                a.dtype(),
                b.dtype()
            ),
        })
    }

    fn channel_affine(terms: &[ChannelTerm<'_, Self>], shift: Option<(&Self, &Layout)>) -> Result<Self> {
        let shape = terms[0].x.1.shape();
        macro_rules! run {
            ($variant:ident) => {{
                let parts: Vec<_> = terms
                    .iter()
                    .map(|term| match (term.x.0, term.centre.0, term.scale.0) {
                        (CpuStorage::$variant(x), CpuStorage::$variant(m), CpuStorage::$variant(s)) => {
                            channel::Term::new((x, term.x.1), (m, term.centre.1), (s, term.scale.1))
                        }
                        _ => panic!("channel_affine: dtypes differ"),
                    })
                    .collect();
                let shift = shift.map(|(t, tl)| match t {
                    CpuStorage::$variant(t) => strided::contiguous_cow(t, tl),
                    _ => panic!("channel_affine: dtypes differ"),
                });
                CpuStorage::$variant(channel::affine(shape, &parts, shift.as_deref()))
            }};
        }
        Ok(match terms[0].x.0 {
            CpuStorage::F32(_) => run!(F32),
            CpuStorage::F64(_) => run!(F64),
            other => panic!("channel_affine: expected a float tensor, got {}", other.dtype()),
        })
    }

    fn channel_dot(&self, layout: &Layout, rhs: &Self, rl: &Layout, shifts: [(&Self, &Layout); 2]) -> Result<Self> {
        macro_rules! run {
            ($variant:ident, $a:expr) => {{
                let [b, sa, sb] = [(rhs, rl), shifts[0], shifts[1]].map(|(s, l)| match s {
                    CpuStorage::$variant(v) => strided::contiguous_cow(v, l),
                    _ => panic!("channel_dot: dtypes differ"),
                });
                let a = strided::contiguous_cow($a, layout);
                CpuStorage::$variant(channel::dot(layout.shape(), &a, &b, &sa, &sb))
            }};
        }
        Ok(match self {
            CpuStorage::F32(a) => run!(F32, a),
            CpuStorage::F64(a) => run!(F64, a),
            other => panic!("channel_dot: expected a float tensor, got {}", other.dtype()),
        })
    }

    fn max_pool2d(&self, layout: &Layout, p: &Pool2dParams) -> Result<(Self, Self)> {
        Ok(match self {
            CpuStorage::F32(x) => {
                let (v, i) = pool::max_pool2d(x, layout, p);
                (CpuStorage::F32(v), CpuStorage::I64(i))
            }
            CpuStorage::F64(x) => {
                let (v, i) = pool::max_pool2d(x, layout, p);
                (CpuStorage::F64(v), CpuStorage::I64(i))
            }
            other => panic!("max_pool2d: expected a float tensor, got {}", other.dtype()),
        })
    }

    fn max_pool2d_backward(&self, l: &Layout, indices: &Self, il: &Layout, input_shape: &[usize]) -> Result<Self> {
        let idx = indices.as_i64("max_pool2d_backward");
        Ok(map_float!("max_pool2d_backward", self, g => pool::max_pool2d_backward(g, l, idx, il, input_shape)))
    }
}

/// Writes the contiguous `value` into `dst` at the elements of `layout` (same dtype and count).
pub(crate) fn assign_strided(dst: &mut CpuStorage, layout: &Layout, value: &CpuStorage) {
    fn write<T: Element>(dst: &mut [T], layout: &Layout, src: &[T]) {
        let plan = strided::Plan::new(layout.shape(), &[layout]);
        let stride = plan.inner_strides[0];
        let inner = plan.inner;
        plan.for_rows_in(0, plan.rows(), |row, offs| {
            for i in 0..inner {
                dst[offs[0] + i * stride] = src[row * inner + i];
            }
        });
    }
    match (dst, value) {
        (CpuStorage::F32(d), CpuStorage::F32(s)) => write(d, layout, s),
        (CpuStorage::F64(d), CpuStorage::F64(s)) => write(d, layout, s),
        (CpuStorage::I64(d), CpuStorage::I64(s)) => write(d, layout, s),
        (CpuStorage::Bool(d), CpuStorage::Bool(s)) => write(d, layout, s),
        (d, s) => panic!("assign: dtypes {} and {} differ", d.dtype(), s.dtype()),
    }
}
