//! Where a tensor's storage lives.

use std::fmt;

use crate::backend::cuda::CudaDevice;
use crate::backend::wgpu::WgpuDevice;
use crate::{DType, Result};

/// A compute device. Each variant's storage implements the same
/// [`crate::backend::BackendStorage`] primitive set.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Device {
    Cpu,
    /// The process's wgpu adapter (Vulkan, Metal, DX12; Mesa's lavapipe in CI).
    Wgpu(WgpuDevice),
    /// An NVIDIA GPU by ordinal, through the CUDA driver and NVRTC (loaded at run time).
    Cuda(CudaDevice),
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

    /// CUDA device `ordinal`, opened on first use and shared by the process (one context and
    /// one stream per device). The error says what is missing: the driver library, the NVRTC
    /// library, a device with that ordinal, or a build without the `cuda` feature.
    pub fn cuda(ordinal: usize) -> Result<Device> {
        CudaDevice::open(ordinal).map(Device::Cuda)
    }

    /// Every device this build can use, best first: CUDA devices, a wgpu adapter that is a real
    /// GPU, the CPU, and last a wgpu adapter that is a software rasteriser (lavapipe, llvmpipe,
    /// WARP: it runs every op, but several times slower than the CPU backend). The CPU stays the
    /// default of tensors and of the trainer; only [`Device::best`] prefers another device.
    pub fn available() -> Vec<Device> {
        let mut devices: Vec<Device> = (0..crate::backend::cuda::device_count())
            .filter_map(|i| Device::cuda(i).ok())
            .collect();
        let (software, gpu): (Vec<Device>, Vec<Device>) = Device::wgpu()
            .into_iter()
            .partition(|d| matches!(d, Device::Wgpu(w) if w.is_software()));
        devices.extend(gpu);
        devices.push(Device::Cpu);
        devices.extend(software);
        devices
    }

    /// The fastest available device: the first of [`Device::available`] (a GPU when there is a
    /// real one, else the CPU). [`Device::describe`] says which adapter it is and what it lacks.
    pub fn best() -> Device {
        Device::available().remove(0)
    }

    /// Whether tensors of `dtype` can live on this device. Only float64 on a wgpu adapter without
    /// SHADER_F64 (Apple's Metal, many GL and mobile drivers) cannot.
    pub fn supports(&self, dtype: DType) -> bool {
        self.check_dtype(dtype).is_ok()
    }

    /// `Ok` when tensors of `dtype` can live on this device, else the error that every way of
    /// putting one there returns (naming the adapter and what it lacks).
    pub fn check_dtype(&self, dtype: DType) -> Result<()> {
        match self {
            Device::Wgpu(d) => d.holds(dtype),
            _ => Ok(()),
        }
    }

    /// Waits for the device's queued work (a no-op on the CPU, whose ops finish before they
    /// return). For timing: GPU ops return as soon as they are submitted.
    pub fn synchronize(&self) -> Result<()> {
        match self {
            Device::Cpu => Ok(()),
            Device::Wgpu(d) => d.synchronize(),
            Device::Cuda(d) => d.synchronize(),
        }
    }

    /// A one-line description, e.g. `cpu (2 threads)`.
    pub fn describe(&self) -> String {
        match self {
            Device::Cpu => format!("cpu ({} threads)", rayon::current_num_threads()),
            Device::Wgpu(d) => format!("wgpu: {}", d.describe()),
            Device::Cuda(d) => format!("cuda:{}: {}", d.ordinal(), d.describe()),
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Wgpu(_) => f.write_str("wgpu"),
            Device::Cuda(d) => write!(f, "cuda:{}", d.ordinal()),
        }
    }
}
