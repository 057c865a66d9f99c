//! Peak memory of one penalty step (f32, B = 1024, C = 100) for every loss network of the
//! second-order bench and every trace method,
//! each measured in a fresh process: the peak resident set (VmHWM) minus the resident set after
//! the inputs and the loss network exist (VmRSS), from /proc/self/status (Linux).
//!
//! `cargo bench --bench penalty_memory` prints one line per path; `benches/torch_reference.py
//! --memory` measures PyTorch's the same way. Figures in benches/RESULTS.md.

mod workloads;

use learnloss::learnable::TraceMethod;
use learnloss::Device;
use std::process::Command;
use workloads::{PenaltyBatch, Variant, BATCH};

const CLASSES: usize = 100;

/// A field of /proc/self/status in MiB.
fn status_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The child: one path, one step, one line of output.
fn measure(variant: Variant, method: TraceMethod) {
    let batch = PenaltyBatch::new(variant, CLASSES, BATCH, &Device::Cpu);
    let before = status_mib("VmRSS:").expect("/proc/self/status is readable");
    let grads = batch.penalty_step(method);
    let peak = status_mib("VmHWM:").expect("/proc/self/status is readable");
    drop(grads);
    println!(
        "penalty_step/{}/C{CLASSES}/{method}: peak {:.0} MiB above the loaded process",
        variant.name(),
        peak - before
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--child") {
        let variant = Variant::ALL[args[pos + 1].parse::<usize>().expect("variant index")];
        let method: TraceMethod = args[pos + 2].parse().expect("method");
        measure(variant, method);
        return;
    }
    if status_mib("VmRSS:").is_none() {
        println!("penalty_memory: skipped, /proc/self/status is not available on this system");
        return;
    }
    let exe = std::env::current_exe().expect("the bench knows its path");
    for (index, variant) in Variant::ALL.into_iter().enumerate() {
        for method in variant.methods() {
            let out = Command::new(&exe)
                .args(["--child", &index.to_string(), &method.to_string()])
                .output()
                .expect("the bench runs itself");
            print!("{}", String::from_utf8_lossy(&out.stdout));
            if !out.status.success() {
                eprint!("{}", String::from_utf8_lossy(&out.stderr));
            }
        }
    }
}
