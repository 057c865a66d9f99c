//! The `learnloss` command line. Until the trainer lands, `info` reports the build, the devices
//! and runs a small third-order gradient check end to end.

use clap::{Parser, Subcommand};
use learnloss::check::{gradcheck, gradgradcheck};
use learnloss::{grad, DType, Device, Generator, Tensor};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "learnloss",
    version,
    about = "Tensors and autograd to any order for learnable loss networks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Version, devices, and a gradient check of a Hessian trace's gradient (third order).
    Info,
}

/// Σ_b tr ∂²E_b/∂x_b² of a small Tanh MLP E(x) = w2·tanh(W1·x + b1), by the seed's loop of
/// double-backward passes; differentiable in the weights.
fn hessian_trace(x: &Tensor, w1: &Tensor, b1: &Tensor, w2: &Tensor) -> Tensor {
    let e = x.matmul(&w1.mt()).add(b1).tanh().matmul(w2);
    let g = grad(&[e.sum_all()], std::slice::from_ref(x), None, true).remove(0);
    let mut trace: Option<Tensor> = None;
    for i in 0..x.dim(1) {
        let gi = grad(&[g.narrow(1, i, 1).sum_all()], std::slice::from_ref(x), None, true).remove(0);
        let term = gi.narrow(1, i, 1).sum_all();
        trace = Some(match trace {
            None => term,
            Some(t) => t.add(&term),
        });
    }
    trace.expect("at least one input feature")
}

fn info() -> ExitCode {
    println!("learnloss {}", env!("CARGO_PKG_VERSION"));
    println!("devices:");
    for d in Device::available() {
        println!("  {}", d.describe());
    }
    println!("backends in this build: cpu (CUDA and wgpu backends are not part of this build yet)");

    let dev = Device::Cpu;
    let mut gen = Generator::new(42);
    let x = Tensor::randn(&[3, 4], DType::F64, &dev, &mut gen).requires_grad_(true);
    let w1 = Tensor::randn(&[5, 4], DType::F64, &dev, &mut gen)
        .mul_scalar(0.5)
        .requires_grad_(true);
    let b1 = Tensor::randn(&[5], DType::F64, &dev, &mut gen).requires_grad_(true);
    let w2 = Tensor::randn(&[5], DType::F64, &dev, &mut gen).requires_grad_(true);
    let trace = |a: &[Tensor]| hessian_trace(&x, &a[0], &a[1], &a[2]);
    let start = Instant::now();
    let params = [w1, b1, w2];
    println!("Hessian trace of a tanh MLP: {:.6}", trace(&params).item());
    let third = gradcheck(trace, &params);
    let fourth = gradgradcheck(trace, &params);
    let elapsed = start.elapsed();
    match (third, fourth) {
        (Ok(()), Ok(())) => {
            println!(
                "gradcheck of d(trace)/d(weights) (3rd order) and gradgradcheck (4th order): passed in {:.2?}",
                elapsed
            );
            ExitCode::SUCCESS
        }
        (third, fourth) => {
            for e in [third.err(), fourth.err()].into_iter().flatten() {
                eprintln!("FAILED: {e}");
            }
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Info => info(),
    }
}
