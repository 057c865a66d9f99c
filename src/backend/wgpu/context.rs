//! The process-wide wgpu context: one instance, adapter, device and queue, opened lazily on first
//! use and shared by every `Device::Wgpu` tensor (like a CUDA primary context), and the one way
//! into it, [`with`], which makes device work safe from several threads on every wgpu backend.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use parking_lot::{ReentrantMutex, ReentrantMutexGuard};

use super::lanes::Family;
use crate::{Error, Result};

/// The opened device and what it offers.
pub(crate) struct Context {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    /// Whether `f64` arithmetic is available (the adapter offered SHADER_F64 and we enabled it).
    pub f64: bool,
    /// Whether the adapter offers SHADER_INT64. Informational: int64 tensors are kept as word
    /// pairs in every shader, so they work without it.
    pub int64: bool,
    pub limits: wgpu::Limits,
    /// The matrix-product and convolution kernels for this adapter (`lanes::Family`).
    pub kernels: Family,
    /// Held around every use of the device on backends that cannot take concurrent callers.
    /// wgpu's GL backend guards its one GL context with a lock that gives up after a few seconds
    /// and then panics ("Could not lock adapter context"), also inside `Drop` of a buffer, which
    /// aborts the process; a slow shader compile on one thread was enough to make another give
    /// up. Our lock waits without a limit, so only one of our threads ever asks for wgpu's.
    /// Reentrant: an op that reads back or frees a buffer takes it again on the same thread.
    serial: Option<ReentrantMutex<()>>,
}

static CONTEXT: OnceLock<std::result::Result<Context, String>> = OnceLock::new();

/// The shared context, opened on first call. A failure is remembered: later calls return the
/// same message without probing the drivers again.
pub(crate) fn get() -> Result<&'static Context> {
    CONTEXT.get_or_init(open).as_ref().map_err(|e| Error::Device(e.clone()))
}

/// Runs `work` on the shared context as one unit of device work: serialised with every other
/// thread's where the backend needs it, and with any panic from inside wgpu turned into a device
/// error naming `what` (so none unwinds through our callers' destructors holding wgpu state).
pub(crate) fn with<T>(what: &str, work: impl FnOnce(&'static Context) -> Result<T>) -> Result<T> {
    let ctx = get()?;
    let _turn = ctx.turn();
    catch_unwind(AssertUnwindSafe(|| work(ctx))).unwrap_or_else(|payload| {
        Err(Error::Device(format!(
            "wgpu: {what} failed inside wgpu on '{}': {}",
            ctx.info.name,
            panic_text(payload.as_ref())
        )))
    })
}

/// Drops a wgpu object where dropping may call into the driver (freeing a buffer on GL needs the
/// GL context): under the device's turn, and never letting a panic escape into the destructor
/// that called it (a panic during unwinding aborts). A failed free leaks the object.
pub(crate) fn release<T>(object: T) {
    let Ok(ctx) = get() else { return };
    let _turn = ctx.turn();
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(object))) {
        eprintln!(
            "learnloss: wgpu failed to free a buffer on '{}' ({}); it is leaked",
            ctx.info.name,
            panic_text(payload.as_ref())
        );
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// How much we want an adapter, lower first: real GPUs before virtual ones before software
/// rasterisers (lavapipe, llvmpipe, WARP), then the native APIs before GL (wgpu's GL backend is
/// its least complete), then an adapter that does f64 before one that does not.
fn preference(info: &wgpu::AdapterInfo, features: wgpu::Features) -> (u8, u8, u8) {
    let kind = match info.device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    };
    let api = u8::from(info.backend == wgpu::Backend::Gl);
    let f64 = u8::from(!features.contains(wgpu::Features::SHADER_F64));
    (kind, api, f64)
}

/// The adapter to use: the one named by `WGPU_ADAPTER_NAME` (a case-insensitive part of its
/// name) when set, else the most wanted by [`preference`]. `WGPU_BACKEND` limits which
/// backends are looked at (the instance reads it).
fn choose(instance: &wgpu::Instance) -> std::result::Result<wgpu::Adapter, String> {
    let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
    let listed = |adapters: &[wgpu::Adapter]| {
        adapters
            .iter()
            .map(|a| {
                let i = a.get_info();
                format!("'{}' ({:?})", i.name, i.backend)
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if adapters.is_empty() {
        let backends = std::env::var("WGPU_BACKEND").map_or(String::new(), |b| format!(" (WGPU_BACKEND={b})"));
        return Err(format!(
            "wgpu: no adapter found{backends}; install a Vulkan/Metal/DX12 or OpenGL driver \
             (on Debian, `apt-get install mesa-vulkan-drivers libvulkan1` gives the software \
             driver lavapipe)"
        ));
    }
    if let Ok(wanted) = std::env::var("WGPU_ADAPTER_NAME") {
        let needle = wanted.to_lowercase();
        let all = listed(&adapters);
        return adapters
            .into_iter()
            .find(|a| a.get_info().name.to_lowercase().contains(&needle))
            .ok_or_else(|| format!("wgpu: no adapter matches WGPU_ADAPTER_NAME={wanted:?}; found {all}"));
    }
    Ok(adapters
        .into_iter()
        .min_by_key(|a| preference(&a.get_info(), a.features()))
        .expect("at least one adapter"))
}

fn open() -> std::result::Result<Context, String> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapter = choose(&instance)?;
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
    let kernels = Family::from_env()?.unwrap_or(if info.device_type == wgpu::DeviceType::Cpu {
        Family::Lanes
    } else {
        Family::Tiled
    });
    Ok(Context {
        kernels,
        device,
        queue,
        f64: required_features.contains(wgpu::Features::SHADER_F64),
        int64: offered.contains(wgpu::Features::SHADER_INT64),
        serial: (info.backend == wgpu::Backend::Gl).then(|| ReentrantMutex::new(())),
        info,
        limits,
    })
}

impl Context {
    /// This thread's turn on the device, where the backend needs turns (see `serial`).
    fn turn(&self) -> Option<ReentrantMutexGuard<'_, ()>> {
        self.serial.as_ref().map(ReentrantMutex::lock)
    }

    /// Whether the adapter is a software rasteriser running on the CPU (lavapipe, llvmpipe,
    /// WARP), which is slower than the CPU backend.
    pub fn is_software(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }

    /// `name (backend, device type; what it lacks)`, e.g.
    /// `llvmpipe (LLVM 15.0.6, 256 bits) (Gl, Cpu; software; no f64, no int64 in shaders)`.
    pub fn describe(&self) -> String {
        let mut notes = Vec::new();
        if self.is_software() {
            notes.push("software");
        }
        notes.push(if self.f64 { "f64" } else { "no f64" });
        // int64 tensors work either way (word pairs); say what the shaders could not use.
        if !self.int64 {
            notes.push("no int64 in shaders");
        }
        format!(
            "{} ({:?}, {:?}; {})",
            self.info.name,
            self.info.backend,
            self.info.device_type,
            notes.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::preference;

    fn info(device_type: wgpu::DeviceType, backend: wgpu::Backend) -> wgpu::AdapterInfo {
        wgpu::AdapterInfo::new(device_type, backend)
    }

    #[test]
    fn real_gpus_come_before_software_and_native_apis_before_gl() {
        use wgpu::{Backend, DeviceType, Features};
        let f64 = Features::SHADER_F64;
        let none = Features::empty();
        let mut order = [
            preference(&info(DeviceType::Cpu, Backend::Vulkan), f64),
            preference(&info(DeviceType::IntegratedGpu, Backend::Gl), none),
            preference(&info(DeviceType::DiscreteGpu, Backend::Vulkan), none),
            preference(&info(DeviceType::Cpu, Backend::Gl), none),
            preference(&info(DeviceType::IntegratedGpu, Backend::Vulkan), none),
            preference(&info(DeviceType::DiscreteGpu, Backend::Vulkan), f64),
        ];
        let want = [order[5], order[2], order[4], order[1], order[0], order[3]];
        order.sort();
        assert_eq!(order, want);
    }
}
