//! The `Module` interface: a forward function plus named parameters and buffers, PyTorch style.
//!
//! Names follow PyTorch's `state_dict()` so that checkpoints load into the matching `nn.Module`:
//! a container prefixes its children's names with the child's name (`net.0.weight`), and each
//! module lists its own parameters before its own buffers.

use crate::{DType, Device, Tensor};

/// Whether a named tensor is a trainable parameter or a buffer (running statistics, counters).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Slot {
    Parameter,
    Buffer,
}

/// The dtype and device new parameters are created with (PyTorch's `dtype=`/`device=` keywords).
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    pub dtype: DType,
    pub device: Device,
}

impl Spec {
    pub fn new(dtype: DType, device: Device) -> Spec {
        Spec { dtype, device }
    }

    /// f64 on the CPU: what gradient checks need.
    pub fn f64() -> Spec {
        Spec::new(DType::F64, Device::Cpu)
    }
}

impl Default for Spec {
    /// f32 on the CPU, as PyTorch's default.
    fn default() -> Spec {
        Spec::new(DType::F32, Device::Cpu)
    }
}

/// Joins a prefix and a local name with a dot (`""` + `weight` = `weight`).
pub fn join_name(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// A layer or a network of layers.
pub trait Module {
    /// Applies the module to a batch.
    fn forward(&self, input: &Tensor) -> Tensor;

    /// Calls `visit(name, tensor, slot)` for every parameter and buffer, in PyTorch's
    /// `state_dict()` order, each name prefixed with `prefix`. Modules without tensors keep the
    /// default.
    fn visit(&self, _prefix: &str, _visit: &mut dyn FnMut(String, &Tensor, Slot)) {}

    /// Switches training mode (batch statistics, dropout) on or off; containers forward it.
    fn set_training(&mut self, _training: bool) {}

    /// PyTorch's `repr` of the module, e.g. `Linear(in_features=4, out_features=2, bias=True)`.
    fn describe(&self) -> String;

    /// Whether the module is `max(x, 0)` elementwise (see [`Module::is_max_pool`]).
    fn is_relu(&self) -> bool {
        false
    }

    /// Whether the module is a max-pool. A ReLU followed by a max-pool in a `Sequential` runs
    /// after it instead: the two commute exactly (values and derivatives of every order), and
    /// the ReLU then touches a quarter of the elements of a 2×2 pool.
    fn is_max_pool(&self) -> bool {
        false
    }

    /// `model.train()`.
    fn train(&mut self) {
        self.set_training(true);
    }

    /// `model.eval()`.
    fn eval(&mut self) {
        self.set_training(false);
    }

    /// Every parameter and buffer under its PyTorch name (`state_dict()`).
    fn state_dict(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        self.visit("", &mut |name, t, _| out.push((name, t.clone())));
        out
    }

    /// The trainable parameters under their PyTorch names (`named_parameters()`).
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        self.visit("", &mut |name, t, slot| {
            if slot == Slot::Parameter {
                out.push((name, t.clone()))
            }
        });
        out
    }

    /// The buffers under their PyTorch names (`named_buffers()`).
    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        self.visit("", &mut |name, t, slot| {
            if slot == Slot::Buffer {
                out.push((name, t.clone()))
            }
        });
        out
    }

    /// The trainable parameters, in order.
    fn parameters(&self) -> Vec<Tensor> {
        self.named_parameters().into_iter().map(|(_, t)| t).collect()
    }

    /// The number of trainable scalars.
    fn num_parameters(&self) -> usize {
        self.parameters().iter().map(Tensor::numel).sum()
    }

    /// Clears the accumulated gradient of every parameter.
    fn zero_grad(&self) {
        for p in self.parameters() {
            p.zero_grad();
        }
    }
}

impl<M: Module + ?Sized> Module for Box<M> {
    fn forward(&self, input: &Tensor) -> Tensor {
        (**self).forward(input)
    }
    fn visit(&self, prefix: &str, visit: &mut dyn FnMut(String, &Tensor, Slot)) {
        (**self).visit(prefix, visit)
    }
    fn set_training(&mut self, training: bool) {
        (**self).set_training(training)
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}
