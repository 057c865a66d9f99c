//! One context per CUDA device, opened on first use and shared by the whole process: the
//! driver context, its one stream (every op of the device is queued on it, in order), the
//! module cache (each kernel file compiled by NVRTC once per process), the caching allocator and
//! the fault record.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use cudarc::driver::{CudaContext, CudaFunction, CudaModule, CudaSlice, CudaStream, DevicePtr};
use parking_lot::Mutex;

use super::alloc::{self, AllocStats, Pool};
use super::{fault, sources};
use crate::{Error, Result};

/// An opened CUDA device.
pub struct Context {
    pub ordinal: usize,
    pub ctx: Arc<CudaContext>,
    /// The stream every kernel, copy and free of this device runs on.
    pub stream: Arc<CudaStream>,
    /// The architecture kernels are compiled for (to CUBIN), e.g. `sm_90`.
    pub arch: String,
    pub name: String,
    pub total_mem: usize,
    modules: Mutex<HashMap<&'static str, Arc<CudaModule>>>,
    functions: Mutex<HashMap<String, CudaFunction>>,
    pub(crate) pool: Mutex<Pool>,
    fault_record: Mutex<CudaSlice<u64>>,
    /// Device address of the fault record, passed to the indexing kernels.
    pub fault_ptr: u64,
}

type Registry = Mutex<HashMap<usize, std::result::Result<&'static Context, String>>>;

static CONTEXTS: OnceLock<Registry> = OnceLock::new();

/// Whether the CUDA driver library can be loaded (asking first: cudarc panics on a missing one).
pub fn driver_available() -> bool {
    // SAFETY: only tries to load the library; no driver function is called.
    unsafe { cudarc::driver::sys::is_culib_present() }
}

/// Number of CUDA devices (0 when the driver or NVRTC is missing or reports none).
pub fn device_count() -> usize {
    if !driver_available() || !sources::nvrtc_available() {
        return 0;
    }
    CudaContext::device_count().map_or(0, |n| n.max(0) as usize)
}

/// The context of device `ordinal`, opened on the first call. A failure is remembered: later
/// calls return the same message without probing the driver again.
pub fn get(ordinal: usize) -> Result<&'static Context> {
    let registry = CONTEXTS.get_or_init(Default::default);
    let mut map = registry.lock();
    map.entry(ordinal)
        .or_insert_with(|| open(ordinal).map(|c| &*Box::leak(Box::new(c))))
        .clone()
        .map_err(Error::Device)
}

fn open(ordinal: usize) -> std::result::Result<Context, String> {
    if !driver_available() {
        return Err(
            "cuda: the CUDA driver library (libcuda.so) was not found; this machine has no \
                    NVIDIA driver installed (or it is not on the library path)"
                .into(),
        );
    }
    if !sources::nvrtc_available() {
        return Err(sources::nvrtc_missing().to_string());
    }
    let count = CudaContext::device_count()
        .map_err(|e| format!("cuda: the driver library is present but found no usable device ({e})"))?;
    if ordinal >= count.max(0) as usize {
        return Err(format!(
            "cuda: no CUDA device with ordinal {ordinal} ({count} device{} found)",
            if count == 1 { "" } else { "s" }
        ));
    }
    let fail = |what: &str, e: cudarc::driver::DriverError| format!("cuda: device {ordinal}: {what} failed: {e}");
    let ctx = CudaContext::new(ordinal).map_err(|e| fail("opening the context", e))?;
    // One stream per device orders everything, so cudarc's per-buffer event tracking (made for
    // several streams) is only overhead. It must be off before the first buffer exists.
    // SAFETY: nothing of this context is used from a second stream.
    unsafe { ctx.disable_event_tracking() };
    let stream = ctx.new_stream().map_err(|e| fail("creating a stream", e))?;
    let (major, minor) = ctx
        .compute_capability()
        .map_err(|e| fail("reading the compute capability", e))?;
    let name = ctx.name().map_err(|e| fail("reading the name", e))?;
    let total_mem = ctx.total_mem().map_err(|e| fail("reading the memory size", e))?;
    let fault_record = stream
        .alloc_zeros::<u64>(fault::WORDS)
        .map_err(|e| fail("allocating the fault record", e))?;
    let fault_ptr = {
        let (ptr, _guard) = fault_record.device_ptr(&stream);
        ptr
    };
    Ok(Context {
        ordinal,
        arch: format!("sm_{major}{minor}"),
        name,
        total_mem,
        modules: Mutex::new(HashMap::new()),
        functions: Mutex::new(HashMap::new()),
        pool: Mutex::new(Pool::default()),
        fault_record: Mutex::new(fault_record),
        fault_ptr,
        ctx,
        stream,
    })
}

impl Context {
    /// Kernel `function` of file `kernels/{file}.cu` (e.g. `("unary", "unary_f32")`). The file
    /// is compiled by NVRTC and loaded on first use, once per process; functions are cached.
    pub fn function(&self, file: &'static str, function: &str) -> Result<CudaFunction> {
        if let Some(f) = self.functions.lock().get(function) {
            return Ok(f.clone());
        }
        let module = self.module(file)?;
        let f = module
            .load_function(function)
            .map_err(|e| Error::Device(format!("cuda: kernels/{file}.cu has no kernel {function}: {e}")))?;
        self.functions.lock().insert(function.to_string(), f.clone());
        Ok(f)
    }

    fn module(&self, file: &'static str) -> Result<Arc<CudaModule>> {
        // Held while compiling, so two threads never compile one file twice.
        let mut modules = self.modules.lock();
        if let Some(m) = modules.get(file) {
            return Ok(m.clone());
        }
        let ptx = sources::compile_file(file, &self.arch)?;
        let module = self.ctx.load_module(ptx).map_err(|e| {
            Error::Device(format!(
                "cuda: device {}: loading the compiled kernels/{file}.cu failed: {e}",
                self.ordinal
            ))
        })?;
        modules.insert(file, module.clone());
        Ok(module)
    }

    /// A device buffer of at least `bytes` bytes from the caching allocator, and its address.
    pub fn take_buffer(&self, bytes: usize) -> Result<(CudaSlice<u8>, u64)> {
        let buf = self.pool.lock().take(&self.stream, alloc::size_class(bytes))?;
        let ptr = alloc::address(&buf, &self.stream);
        Ok((buf, ptr))
    }

    /// The allocator's counters.
    pub fn alloc_stats(&self) -> AllocStats {
        self.pool.lock().stats
    }

    /// Waits for every queued op, then reports a recorded index fault, if any.
    pub fn synchronize(&self) -> Result<()> {
        self.stream
            .synchronize()
            .map_err(|e| Error::Device(format!("cuda: device {}: a queued op failed: {e}", self.ordinal)))?;
        fault::check(&self.stream, &mut self.fault_record.lock())
    }

    /// `NVIDIA H100 80GB HBM3 (sm_90, 79 GiB)`.
    pub fn describe(&self) -> String {
        format!("{} ({}, {} GiB)", self.name, self.arch, self.total_mem >> 30)
    }
}
