//! Tensors to and from safetensors' little-endian byte layout.

use crate::{DType, Device, Tensor};
use safetensors::tensor::{Dtype, View};
use std::borrow::Cow;

/// A tensor's bytes in safetensors layout, ready to serialise.
pub(crate) struct Encoded {
    dtype: Dtype,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl View for &Encoded {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

/// `t`'s values (row-major, whatever its layout) as F32/F64/I64 little-endian or BOOL bytes.
pub(crate) fn encode(t: &Tensor) -> Encoded {
    let (dtype, data) = match t.dtype() {
        DType::F32 => (
            Dtype::F32,
            t.to_vec::<f32>().iter().flat_map(|v| v.to_le_bytes()).collect(),
        ),
        DType::F64 => (
            Dtype::F64,
            t.to_vec::<f64>().iter().flat_map(|v| v.to_le_bytes()).collect(),
        ),
        DType::I64 => (
            Dtype::I64,
            t.to_vec::<i64>().iter().flat_map(|v| v.to_le_bytes()).collect(),
        ),
        DType::Bool => (Dtype::BOOL, t.to_vec::<bool>().into_iter().map(u8::from).collect()),
    };
    Encoded {
        dtype,
        shape: t.shape().to_vec(),
        data,
    }
}

/// Reads fixed-size little-endian elements (the view's length was validated by the parser).
fn le<const N: usize, T>(bytes: &[u8], from: fn([u8; N]) -> T) -> Vec<T> {
    bytes
        .chunks_exact(N)
        .map(|c| from(c.try_into().expect("chunks_exact yields N bytes")))
        .collect()
}

/// A CPU tensor from a tensor's bytes (their length already validated against `dtype` and
/// `shape` by the header parser), or the reason its dtype is unsupported.
pub(crate) fn decode(dtype: Dtype, shape: &[usize], bytes: &[u8]) -> Result<Tensor, String> {
    let dev = &Device::Cpu;
    Ok(match dtype {
        Dtype::F32 => Tensor::from_vec(le(bytes, f32::from_le_bytes), shape, dev),
        Dtype::F64 => Tensor::from_vec(le(bytes, f64::from_le_bytes), shape, dev),
        Dtype::I64 => Tensor::from_vec(le(bytes, i64::from_le_bytes), shape, dev),
        Dtype::BOOL => Tensor::from_vec(bytes.iter().map(|&b| b != 0).collect::<Vec<_>>(), shape, dev),
        other => return Err(format!("has dtype {other}; learnloss reads F32, F64, I64 and BOOL")),
    })
}
