//! Where a tensor's storage lives.

use std::fmt;

/// A compute device. Only the CPU exists in this build; the CUDA and wgpu backends add variants
/// that implement the same [`crate::backend::BackendStorage`] primitive set.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Device {
    Cpu,
}

impl Device {
    /// The CPU device (always available).
    pub fn cpu() -> Device {
        Device::Cpu
    }

    /// Every device this build can use, best first.
    pub fn available() -> Vec<Device> {
        vec![Device::Cpu]
    }

    /// The fastest available device.
    pub fn best() -> Device {
        Device::available().remove(0)
    }

    /// A one-line description, e.g. `cpu (2 threads)`.
    pub fn describe(&self) -> String {
        match self {
            Device::Cpu => format!("cpu ({} threads)", rayon::current_num_threads()),
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
        }
    }
}
