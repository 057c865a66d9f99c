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

/// Parses PyTorch's names (`float32`, `float64`, `int64`, `bool`) and the short ones (`f32`,
/// `f64`, `i64`), case-insensitively: `--dtype` and TOML configurations.
impl std::str::FromStr for DType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "float32" | "f32" | "float" => Ok(DType::F32),
            "float64" | "f64" | "double" => Ok(DType::F64),
            "int64" | "i64" | "long" => Ok(DType::I64),
            "bool" => Ok(DType::Bool),
            other => Err(format!(
                "unknown dtype {other:?} (expected float32/f32, float64/f64, int64/i64 or bool)"
            )),
        }
    }
}

crate::serde_str::serde_via_str!(DType);

#[cfg(test)]
mod tests {
    use super::DType;

    #[test]
    fn names_parse_back() {
        for d in [DType::F32, DType::F64, DType::I64, DType::Bool] {
            assert_eq!(d.as_str().parse::<DType>(), Ok(d));
        }
        assert_eq!("F64".parse::<DType>(), Ok(DType::F64));
        assert!("f16".parse::<DType>().unwrap_err().contains("\"f16\""));
    }
}
