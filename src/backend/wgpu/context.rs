//! The process-wide wgpu context: one instance, adapter, device and queue, opened lazily on first
//! use and shared by every `Device::Wgpu` tensor (like a CUDA primary context).

use std::sync::OnceLock;

use crate::{Error, Result};

/// The opened device and what it offers.
pub(crate) struct Context {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    /// Whether `f64` arithmetic is available (the adapter offered SHADER_F64 and we enabled it).
    pub f64: bool,
    pub limits: wgpu::Limits,
}

static CONTEXT: OnceLock<std::result::Result<Context, String>> = OnceLock::new();

/// The shared context, opened on first call. A failure is remembered: later calls return the
/// same message without probing the drivers again.
pub(crate) fn get() -> Result<&'static Context> {
    CONTEXT.get_or_init(open).as_ref().map_err(|e| Error::Device(e.clone()))
}

fn open() -> std::result::Result<Context, String> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::HighPerformance,
        force_fallback_adapter: false,
        compatible_surface: None,
        apply_limit_buckets: false,
    }))
    .map_err(|e| {
        format!(
            "wgpu: no adapter found ({e}); install a Vulkan/Metal/DX12 driver \
             (on Debian, `apt-get install mesa-vulkan-drivers libvulkan1` gives the software \
             driver lavapipe)"
        )
    })?;
    let offered = adapter.features();
    let required_features = offered & wgpu::Features::SHADER_F64;
    // Take the adapter's own limits: the defaults cap storage buffers at 128 MiB and workgroup
    // counts lower than many drivers allow.
    let limits = adapter.limits();
    let info = adapter.get_info();
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("learnloss"),
        required_features,
        required_limits: limits.clone(),
        experimental_features: wgpu::ExperimentalFeatures::disabled(),
        memory_hints: wgpu::MemoryHints::Performance,
        trace: wgpu::Trace::Off,
    }))
    .map_err(|e| format!("wgpu: adapter '{}' refused a device: {e}", info.name))?;
    Ok(Context {
        device,
        queue,
        f64: required_features.contains(wgpu::Features::SHADER_F64),
        info,
        limits,
    })
}

impl Context {
    /// `name (backend, device type)`, e.g. `llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan, Cpu)`.
    pub fn describe(&self) -> String {
        format!(
            "{} ({:?}, {:?}{})",
            self.info.name,
            self.info.backend,
            self.info.device_type,
            if self.f64 { ", f64" } else { "" }
        )
    }
}
