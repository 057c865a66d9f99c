//! Where a tensor's storage lives.

use std::fmt;

use crate::backend::wgpu::WgpuDevice;
use crate::Result;

/// A compute device. Each variant's storage implements the same
/// [`crate::backend::BackendStorage`] primitive set.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Device {
    Cpu,
    /// The process's wgpu adapter (Vulkan, Metal, DX12; Mesa's lavapipe in CI).
    Wgpu(WgpuDevice),
}

impl Device {
    /// The CPU device (always available).
    pub fn cpu() -> Device {
        Device::Cpu
    }

    /// The wgpu adapter, opened on first use and shared by the process. The error says what is
    /// missing (no adapter, no driver, a build without the `wgpu` feature).
    pub fn wgpu() -> Result<Device> {
        WgpuDevice::open().map(Device::Wgpu)
    }

    /// Every device this build can use, best first (wgpu, then the CPU). The CPU stays the
    /// default of tensors and of the trainer; only [`Device::best`] prefers a GPU.
    pub fn available() -> Vec<Device> {
        let mut devices: Vec<Device> = Device::wgpu().into_iter().collect();
        devices.push(Device::Cpu);
        devices
    }

    /// The fastest available device.
    pub fn best() -> Device {
        Device::available().remove(0)
    }

    /// Waits for the device's queued work (a no-op on the CPU, whose ops finish before they
    /// return). For timing: GPU ops return as soon as they are submitted.
    pub fn synchronize(&self) -> Result<()> {
        match self {
            Device::Cpu => Ok(()),
            Device::Wgpu(d) => d.synchronize(),
        }
    }

    /// A one-line description, e.g. `cpu (2 threads)`.
    pub fn describe(&self) -> String {
        match self {
            Device::Cpu => format!("cpu ({} threads)", rayon::current_num_threads()),
            Device::Wgpu(d) => format!("wgpu: {}", d.describe()),
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Wgpu(_) => f.write_str("wgpu"),
        }
    }
}
