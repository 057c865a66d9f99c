//! Turning stored 8-bit values into float tensors, shared by every dataset type so that all of
//! them scale pixels exactly as torchvision's `ToTensor` does.

use crate::{DType, Device, Tensor};

/// `ToTensor`'s scaling of one byte, in `f32` as torchvision computes it.
pub(crate) fn to_unit(b: u8) -> f32 {
    f32::from(b) / 255.0
}

/// `bytes` as a tensor of `shape` and float `dtype` on `device`, each value `value(byte)`.
///
/// Values are computed as `f32` and widened for `F64`, so a double-precision run sees the same
/// inputs as PyTorch's `.double()` of an `f32` batch.
///
/// Panics if `dtype` is not a float type (a programmer error).
pub(crate) fn float_tensor(
    bytes: &[u8],
    shape: &[usize],
    dtype: DType,
    device: &Device,
    value: impl Fn(u8) -> f32,
) -> Tensor {
    match dtype {
        DType::F32 => Tensor::from_vec(bytes.iter().map(|&b| value(b)).collect::<Vec<f32>>(), shape, device),
        DType::F64 => Tensor::from_vec(
            bytes.iter().map(|&b| f64::from(value(b))).collect::<Vec<f64>>(),
            shape,
            device,
        ),
        other => panic!("float_tensor: values need a float dtype, got {other}"),
    }
}

/// Image bytes as `ToTensor` gives them (`byte / 255`), in `dtype`.
pub(crate) fn unit_tensor(bytes: &[u8], shape: &[usize], dtype: DType, device: &Device) -> Tensor {
    float_tensor(bytes, shape, dtype, device, to_unit)
}
