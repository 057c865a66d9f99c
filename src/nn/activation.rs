//! Parameter-free elementwise and normalising layers.

use super::repr::py_float;
use super::{functional, Module};
use crate::Tensor;

/// Resolves a PyTorch-style dim (negative counts from the end) against a rank.
pub(crate) fn resolve_dim(op: &str, dim: isize, rank: usize) -> usize {
    let r = rank as isize;
    assert!(
        (-r..r).contains(&dim) || (rank == 0 && (dim == 0 || dim == -1)),
        "{op}: dimension out of range (expected to be in range of [{}, {}], but got {dim})",
        -r.max(1),
        r.max(1) - 1
    );
    if dim < 0 {
        (dim + r) as usize
    } else {
        dim as usize
    }
}

macro_rules! pointwise_layer {
    ($(#[$doc:meta])* $name:ident, $method:ident) => {
        pointwise_layer!($(#[$doc])* $name, $method, false);
    };
    ($(#[$doc:meta])* $name:ident, $method:ident, $is_relu:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $name;

        impl Module for $name {
            fn forward(&self, input: &Tensor) -> Tensor {
                input.$method()
            }

            fn describe(&self) -> String {
                concat!(stringify!($name), "()").to_string()
            }

            fn is_relu(&self) -> bool {
                $is_relu
            }
        }
    };
}

pointwise_layer!(
    /// `max(x, 0)`.
    ReLU,
    relu,
    true
);
pointwise_layer!(
    /// `tanh(x)`.
    Tanh,
    tanh
);
pointwise_layer!(
    /// `1 / (1 + exp(-x))`.
    Sigmoid,
    sigmoid
);

/// Passes its input through (`nn.Identity`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Identity;

impl Module for Identity {
    fn forward(&self, input: &Tensor) -> Tensor {
        input.clone()
    }

    fn describe(&self) -> String {
        "Identity()".to_string()
    }
}

/// `log(1 + exp(β·x)) / β`, linear above `threshold` (PyTorch's β = 1, threshold = 20).
#[derive(Clone, Copy, Debug)]
pub struct Softplus {
    pub beta: f64,
    pub threshold: f64,
}

impl Default for Softplus {
    fn default() -> Self {
        Softplus {
            beta: 1.0,
            threshold: 20.0,
        }
    }
}

impl Module for Softplus {
    fn forward(&self, input: &Tensor) -> Tensor {
        functional::softplus(input, self.beta, self.threshold)
    }

    fn describe(&self) -> String {
        format!(
            "Softplus(beta={}, threshold={})",
            py_float(self.beta),
            py_float(self.threshold)
        )
    }
}

/// Softmax along `dim` (negative counts from the end).
#[derive(Clone, Copy, Debug)]
pub struct Softmax {
    pub dim: isize,
}

impl Module for Softmax {
    fn forward(&self, input: &Tensor) -> Tensor {
        input.softmax(resolve_dim("Softmax", self.dim, input.rank()))
    }

    fn describe(&self) -> String {
        format!("Softmax(dim={})", self.dim)
    }
}

/// Log-softmax along `dim` (negative counts from the end).
#[derive(Clone, Copy, Debug)]
pub struct LogSoftmax {
    pub dim: isize,
}

impl Module for LogSoftmax {
    fn forward(&self, input: &Tensor) -> Tensor {
        input.log_softmax(resolve_dim("LogSoftmax", self.dim, input.rank()))
    }

    fn describe(&self) -> String {
        format!("LogSoftmax(dim={})", self.dim)
    }
}
