//! Element types a tensor can hold.

use std::fmt;

/// The element type of a tensor.
///
/// `F32` and `F64` are the differentiable types; `I64` holds indices (labels, argmax, pool
/// indices, gather/scatter positions) and `Bool` holds comparison masks (stored as one byte).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    F32,
    F64,
    I64,
    Bool,
}

impl DType {
    /// Whether the type is a floating-point type (and so can carry gradients).
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }

    /// Size of one element in bytes.
    pub fn size_in_bytes(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F64 | DType::I64 => 8,
            DType::Bool => 1,
        }
    }

    /// The name PyTorch prints for the matching type.
    pub fn as_str(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::I64 => "int64",
            DType::Bool => "bool",
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
