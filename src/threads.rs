//! The CPU thread pool that the kernels' parallel loops run on.

/// Makes the calling thread one of the computing threads of rayon's global pool (index 0),
/// as OpenMP's master thread is in PyTorch: with N cores, N threads then share the work of
/// each parallel kernel, where by default N pool threads do it while the caller waits — one
/// thread more than cores, and every kernel a hand-off to the pool and back. Measured on a
/// 2-vCPU Xeon (benches/RESULTS.md, 2026-12-03): the forward-Laplacian penalty step 5–15 %
/// faster, the seed loop's penalty step about 40 %.
///
/// Call it once, first thing, on the thread that will run the tensor work (the trainer does),
/// before anything else uses rayon; it returns false, changing nothing, when the global pool
/// already exists. The pool's size is rayon's default (`RAYON_NUM_THREADS`, else one thread a
/// core).
pub fn compute_on_calling_thread() -> bool {
    rayon::ThreadPoolBuilder::new()
        .use_current_thread()
        .build_global()
        .is_ok()
}
