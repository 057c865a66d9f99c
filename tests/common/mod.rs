//! Helpers shared by the integration tests of the tensor API and of autograd semantics.
// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

use learnloss::{Device, Tensor};
use std::panic::{catch_unwind, AssertUnwindSafe};

pub const DEV: Device = Device::Cpu;

/// An f64 tensor from row-major values.
pub fn t(data: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_slice(data, shape, &DEV)
}

pub fn values(x: &Tensor) -> Vec<f64> {
    x.to_vec::<f64>()
}

/// Elementwise closeness (relative-plus-absolute `tol`); NaN must match NaN, infinities exactly.
pub fn assert_close(actual: &[f64], expected: &[f64], tol: f64) {
    assert_eq!(
        actual.len(),
        expected.len(),
        "lengths differ: {actual:?} vs {expected:?}"
    );
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        let ok = if e.is_nan() {
            a.is_nan()
        } else if e.is_infinite() {
            a == e
        } else {
            (a - e).abs() <= tol * (1.0 + e.abs())
        };
        assert!(
            ok,
            "element {i}: got {a}, expected {e}\n  actual:   {actual:?}\n  expected: {expected:?}"
        );
    }
}

/// Runs `f`, which must panic, and returns the panic message.
pub fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    if let Some(s) = err.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = err.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        "<non-string panic payload>".to_string()
    }
}
