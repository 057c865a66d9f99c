//! Tuning of glibc's malloc for tensor workloads.
//!
//! A training step allocates and frees the same multi-megabyte buffers every time. By default
//! glibc serves blocks above 128 KiB–32 MiB with mmap and gives them back with munmap, so every
//! step page-faults its memory back in and the kernel zeroes each page again: profiled on the
//! learnable training step, `clear_page` alone took a quarter of the time. Keeping freed memory
//! in the heap makes later steps reuse it.

/// Makes glibc keep freed memory for reuse (no mmap for large blocks, no trimming, one arena).
/// Call once at the start of a program; a no-op on other C libraries. Peak memory use is unchanged; memory
/// freed after the peak stays with the process until it exits.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; it is safe to call at any time.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, i32::MAX);
        // -1 is SIZE_MAX once glibc widens it: with i32::MAX (2 GiB) a learnable step, whose
        // peak is above 2 GiB, still trimmed the heap at the end of some steps and faulted
        // 100 MB back in on the next.
        libc::mallopt(libc::M_TRIM_THRESHOLD, -1);
        // One arena for every thread. Pool threads allocate too (kernel scratch, outputs), and
        // glibc's other arenas are 64 MiB heaps: a larger block is always an mmap there and
        // their heaps are trimmed whatever the threshold. A learnable step run on a pool
        // thread spent a third of its time in page faults and TLB shootdowns that way.
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
