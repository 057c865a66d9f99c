//! The wgpu device used from several threads at once: eight threads create tensors on it,
//! compute (forward and backward), read back, and drop tensors that other threads made, for a
//! few seconds; every result must equal the CPU's and nothing may panic. On wgpu's GL backend
//! this aborted the process before device work was serialised ("Could not lock adapter
//! context", then a panic in a destructor). Skipped with a printed reason without an adapter,
//! unless `LEARNLOSS_REQUIRE_WGPU=1`.

#[path = "common/wgpu_device.rs"]
mod wgpu_device;

use learnloss::{grad, Conv2dParams, DType, Device, Generator, Pool2dParams, Tensor};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wgpu_device::wgpu_or_skip;

const THREADS: usize = 8;
/// How long the threads keep going after each has finished its first rounds.
const FOR: Duration = Duration::from_secs(3);
/// Rounds every thread runs whatever the clock says (the first compile shaders).
const MIN_ROUNDS: usize = 3;

/// Results of one workload: forward values and gradients, to compare across devices.
fn workload(kind: usize, x: &Tensor, w: &Tensor) -> Vec<Tensor> {
    let x = x.requires_grad_(true);
    let w = w.requires_grad_(true);
    let out = match kind {
        // A linear layer, softmax and a reduction.
        0 => x.matmul(&w.mt()).relu().log_softmax(1).sum(&[1], false),
        // Elementwise chain with broadcasting.
        1 => x.tanh().mul(&x.exp().add_scalar(1.0).log()).add(&w.narrow(0, 0, 1)),
        // Convolution, max-pool, and a mean.
        _ => {
            let (b, f) = (x.dim(0), x.dim(1));
            let image = x.reshape(&[b, 1, 4, f / 4]);
            let kernel = w.narrow(1, 0, 9).reshape(&[w.dim(0), 1, 3, 3]);
            let params = Conv2dParams {
                padding: [1, 1],
                ..Conv2dParams::default()
            };
            let (pooled, _) = image.conv2d(&kernel, &params).max_pool2d(&Pool2dParams::square(2));
            pooled.mean(&[1, 2, 3], false)
        }
    };
    let grads = grad(&[out.sum_all()], &[x.clone(), w.clone()], None, false);
    // Indices and masks too (int64 word pairs and bool words on the device).
    let picked = out.argmax(0, false);
    let mask = out.gt_scalar(0.0).to_dtype(DType::F32);
    let mut all = vec![out.detach(), picked, mask];
    all.extend(grads);
    all
}

fn assert_matches(what: &str, got: &[Tensor], want: &[Tensor]) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.shape(), w.shape(), "{what} output {k}");
        assert_eq!(g.dtype(), w.dtype(), "{what} output {k}");
        let (g, w) = (g.to_f64_vec(), w.to_f64_vec());
        for (i, (a, e)) in g.iter().zip(&w).enumerate() {
            assert!(
                (a - e).abs() <= 1e-4 * e.abs().max(1.0),
                "{what} output {k} element {i}: device {a}, cpu {e}"
            );
        }
    }
}

/// One round on `device`: inputs of a size that varies with thread and round (so buffers of
/// many size classes are taken, returned and reused across threads), the workload on both
/// devices, and the results compared. Device tensors go to a shared pile, from which another
/// thread's round takes and drops them.
fn round(device: &Device, gen: &mut Generator, thread: usize, n: usize, pile: &Mutex<Vec<Tensor>>) {
    let rows = 1 + (thread * 7 + n * 5) % 23;
    let features = 4 * (3 + (thread + n) % 5);
    let x = Tensor::randn(&[rows, features], DType::F32, &Device::Cpu, gen);
    let w = Tensor::randn(&[1 + (n % 6), features], DType::F32, &Device::Cpu, gen);
    let kind = (thread + n) % 3;
    let want = workload(kind, &x, &w);
    let (xd, wd) = (x.to_device(device), w.to_device(device));
    let got = workload(kind, &xd, &wd);
    assert!(got.iter().all(|t| t.device() == device));
    assert_matches(&format!("thread {thread} round {n} workload {kind}"), &got, &want);
    let mut pile = pile.lock().unwrap();
    let theirs = pile.len().min(4);
    // Dropped here, on this thread, though another thread made them.
    drop(pile.drain(..theirs).collect::<Vec<_>>());
    pile.extend(got);
    pile.push(xd);
}

#[test]
fn eight_threads_share_the_wgpu_device() {
    // Mesa compiles every shader afresh (no disk cache), as on a user's first run: the slow
    // compiles are what made threads give up on wgpu's GL context lock. Set before the device
    // opens (this binary's only test).
    std::env::set_var("MESA_SHADER_CACHE_DISABLE", "true");
    let Some(device) = wgpu_or_skip("the wgpu threads test") else {
        return;
    };
    eprintln!("device: {}", device.describe());
    let pile = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let workers: Vec<_> = (0..THREADS)
        .map(|thread| {
            let (device, pile) = (device.clone(), pile.clone());
            std::thread::spawn(move || {
                let mut gen = Generator::new(thread as u64);
                let mut n = 0;
                let mut deadline = None;
                while n < MIN_ROUNDS || deadline.is_none_or(|d| Instant::now() < d) {
                    round(&device, &mut gen, thread, n, &pile);
                    n += 1;
                    if n == MIN_ROUNDS {
                        deadline = Some(Instant::now() + FOR);
                    }
                }
                n
            })
        })
        .collect();
    let rounds: Vec<usize> = workers
        .into_iter()
        .map(|w| w.join().expect("a thread using the device panicked"))
        .collect();
    // The last device tensors are dropped on this thread, then the device must still work.
    pile.lock().unwrap().clear();
    device.synchronize().unwrap();
    let check = Tensor::from_slice(&[1.0f32, 2.0, 3.0], &[3], &Device::Cpu).to_device(&device);
    assert_eq!(check.mul_scalar(2.0).to_vec::<f32>(), vec![2.0, 4.0, 6.0]);
    eprintln!(
        "rounds per thread {rounds:?} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
