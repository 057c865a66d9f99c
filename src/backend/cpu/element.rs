//! Rust element types behind each [`DType`](crate::DType), with the conversions kernels need.

use super::buffers::Cached;
use std::fmt::Debug;

/// A storable element: every dtype converts through `f64` (exact for f32, bool and |i| < 2^53).
pub trait Element: Copy + Send + Sync + Debug + PartialOrd + Default + Cached + 'static {
    fn from_f64(v: f64) -> Self;
    fn to_f64(self) -> f64;
    const ZERO: Self;
    /// NaN test that is false for integer types.
    fn is_nan_value(self) -> bool;
    /// Addition (wrapping for integers, logical or for bools).
    fn plus(self, other: Self) -> Self;
}

/// A floating-point element: the types with gradients and GEMM kernels.
pub trait FloatElement: Element + num_traits::Float + std::ops::AddAssign {
    /// The unsigned integer of the same width: a value ANDed with a mask of all ones or all
    /// zeros keeps it or becomes +0.0, a select that vectorises as one AND (a `bool` select
    /// widens every flag first).
    type Bits: Copy + Send + Sync + std::ops::BitAnd<Output = Self::Bits>;
    /// The mask that keeps a value (`keep`) or clears it.
    fn keep_mask(keep: bool) -> Self::Bits;
    /// `self` where the mask is all ones, +0.0 where it is zero.
    fn masked(self, mask: Self::Bits) -> Self;
}

impl Element for f32 {
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn is_nan_value(self) -> bool {
        f32::is_nan(self)
    }
    fn plus(self, other: Self) -> Self {
        self + other
    }
    const ZERO: Self = 0.0;
}

impl Element for f64 {
    fn from_f64(v: f64) -> Self {
        v
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn is_nan_value(self) -> bool {
        f64::is_nan(self)
    }
    fn plus(self, other: Self) -> Self {
        self + other
    }
    const ZERO: Self = 0.0;
}

impl Element for i64 {
    fn from_f64(v: f64) -> Self {
        // Truncation toward zero, as PyTorch's float -> int conversion.
        v as i64
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn is_nan_value(self) -> bool {
        false
    }
    fn plus(self, other: Self) -> Self {
        self.wrapping_add(other)
    }
    const ZERO: Self = 0;
}

impl Element for u8 {
    fn from_f64(v: f64) -> Self {
        u8::from(v != 0.0)
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn is_nan_value(self) -> bool {
        false
    }
    fn plus(self, other: Self) -> Self {
        // Bool "sum" is logical or.
        self | other
    }
    const ZERO: Self = 0;
}

/// `FloatElement` for a float type and the unsigned integer of its width.
macro_rules! float_element {
    ($float:ty, $bits:ty) => {
        impl FloatElement for $float {
            type Bits = $bits;
            fn keep_mask(keep: bool) -> $bits {
                if keep {
                    <$bits>::MAX
                } else {
                    0
                }
            }
            #[inline(always)]
            fn masked(self, mask: $bits) -> $float {
                <$float>::from_bits(self.to_bits() & mask)
            }
        }
    };
}

float_element!(f32, u32);
float_element!(f64, u64);
