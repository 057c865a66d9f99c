//! The caching allocator: device buffers are kept in free lists by size class and handed out
//! again, so a training step allocates nothing from the driver once the first step has filled
//! the lists. A buffer goes back to its list when the storage holding it drops.
//!
//! Reuse is safe without waiting: every kernel, copy and free of a device runs on its one
//! stream, so work that still reads a returned buffer is queued before any work that writes
//! the buffer's next owner.

use std::collections::HashMap;

use cudarc::driver::{CudaSlice, CudaStream, DevicePtr};

use crate::{Error, Result};

/// Smallest buffer handed out (and the alignment of every buffer: driver allocations are
/// 256-byte aligned).
const MIN_BYTES: usize = 256;

/// The size class of a request: the next of four steps per power of two (at most 25 % waste).
pub fn size_class(bytes: usize) -> usize {
    if bytes <= MIN_BYTES {
        return MIN_BYTES;
    }
    let pow = bytes.next_power_of_two();
    let step = pow / 8; // classes pow/2 + k·pow/8, k = 1..4
    bytes.div_ceil(step) * step
}

/// Counters of the allocator, for tests and benches ("nothing from the driver after warm-up").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AllocStats {
    /// Buffers obtained from the driver since the device was opened.
    pub driver_allocs: u64,
    /// Bytes obtained from the driver, in total.
    pub driver_bytes: u64,
    /// Requests served from the free lists.
    pub reuses: u64,
    /// Bytes sitting in the free lists now.
    pub cached_bytes: u64,
}

/// Free device buffers by size class.
#[derive(Default)]
pub struct Pool {
    free: HashMap<usize, Vec<CudaSlice<u8>>>,
    pub stats: AllocStats,
}

impl Pool {
    /// A buffer of `class` bytes (a value of [`size_class`]): a cached one when there is one,
    /// else a new one from the driver. When the driver is out of memory, the cached buffers of
    /// other sizes are released and the request tried once more.
    pub fn take(&mut self, stream: &std::sync::Arc<CudaStream>, class: usize) -> Result<CudaSlice<u8>> {
        if let Some(buf) = self.free.get_mut(&class).and_then(Vec::pop) {
            self.stats.reuses += 1;
            self.stats.cached_bytes -= class as u64;
            return Ok(buf);
        }
        // SAFETY: the contents are uninitialised; every op writes its output before reading it.
        let fresh = match unsafe { stream.alloc::<u8>(class) } {
            Ok(buf) => buf,
            Err(_) => {
                self.release_all();
                stream
                    .synchronize()
                    .map_err(|e| Error::Device(format!("cuda: waiting for the stream failed: {e}")))?;
                unsafe { stream.alloc::<u8>(class) }.map_err(|e| {
                    Error::Device(format!(
                        "cuda: out of device memory allocating {class} bytes \
                         (after releasing every cached buffer): {e}"
                    ))
                })?
            }
        };
        self.stats.driver_allocs += 1;
        self.stats.driver_bytes += class as u64;
        Ok(fresh)
    }

    /// Returns a buffer to its list.
    pub fn give_back(&mut self, buf: CudaSlice<u8>) {
        let class = buf.len();
        self.stats.cached_bytes += class as u64;
        self.free.entry(class).or_default().push(buf);
    }

    /// Frees every cached buffer (stream-ordered frees).
    pub fn release_all(&mut self) {
        self.free.clear();
        self.stats.cached_bytes = 0;
    }
}

/// The device address of a buffer's first byte.
pub fn address(buf: &CudaSlice<u8>, stream: &CudaStream) -> u64 {
    // Event tracking is off for our contexts, so the guard returned beside the pointer records
    // nothing; ordering comes from the single stream.
    let (ptr, _guard) = buf.device_ptr(stream);
    ptr
}

#[cfg(test)]
mod tests {
    use super::size_class;

    #[test]
    fn size_classes_cover_requests_with_little_waste() {
        assert_eq!(size_class(0), 256);
        assert_eq!(size_class(257), 320);
        assert_eq!(size_class(1000), 1024);
        assert_eq!(size_class(1025), 1280);
        for bytes in [1usize, 255, 256, 300, 4097, 1 << 20, (1 << 20) + 1, 123_456_789] {
            let c = size_class(bytes);
            assert!(
                c >= bytes && (c as f64) <= (bytes.max(256) as f64) * 1.25 + 1.0,
                "{bytes} -> {c}"
            );
            assert_eq!(size_class(c), c, "a class is its own class");
        }
    }
}
