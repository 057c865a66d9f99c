//! The device a bench runs on, from `LEARNLOSS_BENCH_DEVICE`: `cpu` (the default, also when the
//! variable is unset or empty), `cuda` (device 0), `cuda:N` or `wgpu`. Shared by
//! `second_order.rs` and `ops.rs` (a folder with `mod.rs`, so cargo does not take it for a bench).
//!
//! On the CPU nothing changes: benchmark ids, closures and timings are what they were before
//! devices could be chosen. On another device
//! - every group name is prefixed with the device (`cuda/penalty_step/…`, `wgpu/…`), so its
//!   results get their own folders under criterion's output and never mix with the CPU's;
//! - each timed iteration ends with `Device::synchronize` (GPU ops only queue work, so without it
//!   criterion would time the submission);
//! - each benchmark runs once, untimed, before criterion's warm-up: the one-time costs (NVRTC
//!   compiling the kernels the workload uses, pipeline creation) then stay out of criterion's
//!   estimate of the iteration time;
//! - a workload that panics (an op the device lacks, a device error) is skipped with the reason
//!   printed, and the remaining benchmarks still run.

#![allow(dead_code)] // each bench target uses a different part

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput};
use learnloss::Device;
use std::any::Any;
use std::hint::black_box;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

/// The variable that names the device.
pub const DEVICE_VAR: &str = "LEARNLOSS_BENCH_DEVICE";

/// The device of this bench process and the prefix of its benchmark ids.
pub struct BenchDevice {
    pub device: Device,
    /// `None` on the CPU (ids unchanged); `cuda`, `cudaN` or `wgpu` otherwise.
    prefix: Option<String>,
}

/// The process's bench device, opened on first use. Panics with the reason when the variable
/// names a device that cannot be opened: a bench asked to run on a GPU must not quietly time
/// the CPU instead.
pub fn bench_device() -> &'static BenchDevice {
    static DEVICE: OnceLock<BenchDevice> = OnceLock::new();
    DEVICE.get_or_init(|| {
        let name = std::env::var(DEVICE_VAR).unwrap_or_default();
        let device = open(&name).unwrap_or_else(|e| panic!("{DEVICE_VAR}={name}: {e}"));
        let prefix = match &device {
            Device::Cpu => None,
            Device::Wgpu(_) => Some("wgpu".to_string()),
            Device::Cuda(d) if d.ordinal() == 0 => Some("cuda".to_string()),
            Device::Cuda(d) => Some(format!("cuda{}", d.ordinal())),
        };
        if prefix.is_some() {
            eprintln!("benches on {}", device.describe());
        }
        BenchDevice { device, prefix }
    })
}

/// The device a value of `LEARNLOSS_BENCH_DEVICE` names.
fn open(name: &str) -> Result<Device, String> {
    match name.trim().to_ascii_lowercase().as_str() {
        "" | "cpu" => Ok(Device::Cpu),
        "wgpu" => Device::wgpu().map_err(|e| e.to_string()),
        "cuda" => Device::cuda(0).map_err(|e| e.to_string()),
        other => match other.strip_prefix("cuda:").map(str::parse::<usize>) {
            Some(Ok(ordinal)) => Device::cuda(ordinal).map_err(|e| e.to_string()),
            _ => Err(format!("unknown device {other:?} (expected cpu, cuda, cuda:N or wgpu)")),
        },
    }
}

/// A panic's message.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else {
        "(a panic without a message)".to_string()
    }
}

impl BenchDevice {
    pub fn is_cpu(&self) -> bool {
        self.device == Device::Cpu
    }

    /// A benchmark group named `name` on the CPU, `<device>/name` elsewhere.
    pub fn group<'c>(&'static self, c: &'c mut Criterion, name: &str) -> Group<'c> {
        let name = match &self.prefix {
            Some(prefix) => format!("{prefix}/{name}"),
            None => name.to_string(),
        };
        Group {
            inner: c.benchmark_group(name.clone()),
            name,
            device: self,
        }
    }

    /// Builds a workload's inputs: `Some(build())` on the CPU; elsewhere `None`, with the reason
    /// printed, when building panics (the device lacks an op the inputs need).
    pub fn build<T>(&self, what: &str, build: impl FnOnce() -> T) -> Option<T> {
        if self.is_cpu() {
            return Some(build());
        }
        match catch_unwind(AssertUnwindSafe(build)) {
            Ok(value) => Some(value),
            Err(payload) => {
                eprintln!(
                    "{what}: skipped on {}: building its inputs failed: {}",
                    self.device,
                    panic_message(payload.as_ref())
                );
                None
            }
        }
    }

    /// Waits for the device's queued work; a device error (a fault found by a kernel, a lost
    /// device) fails the benchmark that queued it.
    fn synchronize(&self) {
        if let Err(e) = self.device.synchronize() {
            panic!("{}: synchronize failed: {e}", self.device);
        }
    }
}

/// A criterion benchmark group on the bench device (see the module comment).
pub struct Group<'c> {
    inner: BenchmarkGroup<'c, WallTime>,
    name: String,
    device: &'static BenchDevice,
}

impl Group<'_> {
    pub fn sample_size(&mut self, n: usize) -> &mut Self {
        self.inner.sample_size(n);
        self
    }

    pub fn throughput(&mut self, throughput: Throughput) -> &mut Self {
        self.inner.throughput(throughput);
        self
    }

    /// Times `routine` as benchmark `id` of the group (one call an iteration).
    pub fn bench<R>(&mut self, id: impl Into<String>, mut routine: impl FnMut() -> R) {
        let id = id.into();
        let device = self.device;
        if device.is_cpu() {
            self.inner.bench_function(id, |b| b.iter(|| black_box(routine())));
            return;
        }
        // Criterion calls the closure once per warm-up round and once per sample, each time
        // timing only inside `iter`; the first call's untimed run absorbs one-time costs.
        let mut warmed_up = false;
        let run = catch_unwind(AssertUnwindSafe(|| {
            self.inner.bench_function(id.as_str(), |b| {
                if !warmed_up {
                    black_box(routine());
                    device.synchronize();
                    warmed_up = true;
                }
                b.iter(|| {
                    let out = routine();
                    device.synchronize();
                    black_box(out)
                })
            });
        }));
        if let Err(payload) = run {
            eprintln!(
                "{}/{id}: skipped on {}: {}",
                self.name,
                device.device,
                panic_message(payload.as_ref())
            );
        }
    }

    pub fn finish(self) {
        self.inner.finish();
    }
}
