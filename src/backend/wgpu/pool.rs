//! Buffer pool: device buffers are recycled by size class instead of being created per op.
//!
//! Every op submits its work at once, in order, on the one queue, so a buffer whose storage was
//! dropped can be handed to the next op: any earlier command that read it runs before anything
//! the new owner submits.

use std::collections::HashMap;
use std::sync::Mutex;

use super::context::{self, Context};

/// Usage of every pooled buffer: bound as storage, copied to/from, written by the queue.
const USAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

/// Idle bytes kept for reuse; beyond this, returned buffers are freed.
const MAX_IDLE_BYTES: u64 = 1 << 30;

#[derive(Default)]
struct Pool {
    free: HashMap<u64, Vec<wgpu::Buffer>>,
    idle_bytes: u64,
}

static POOL: Mutex<Option<Pool>> = Mutex::new(None);

/// A device buffer of at least the requested size that goes back to the pool when dropped.
#[derive(Debug)]
pub(crate) struct PooledBuffer {
    buffer: Option<wgpu::Buffer>,
}

impl PooledBuffer {
    pub fn buffer(&self) -> &wgpu::Buffer {
        self.buffer.as_ref().expect("pooled buffer used after release")
    }
}

/// Sizes are rounded up to a power of two (at least 256 bytes), so buffers of nearby sizes share
/// a class and bind-time sizes stay multiples of 4. Near the adapter's largest storage binding a
/// power of two could exceed it (kernels bind whole buffers), so there only 256-byte rounding.
fn size_class(bytes: u64, max_binding: u64) -> u64 {
    let class = bytes.max(256).next_power_of_two();
    if class <= max_binding {
        class
    } else {
        bytes.div_ceil(256) * 256
    }
}

/// A buffer of at least `bytes` bytes with undefined contents.
pub(crate) fn take(ctx: &Context, bytes: u64) -> PooledBuffer {
    let class = size_class(bytes, ctx.limits.max_storage_buffer_binding_size);
    let reused = {
        let mut guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
        let pool = guard.get_or_insert_with(Pool::default);
        let found = pool.free.get_mut(&class).and_then(Vec::pop);
        if found.is_some() {
            pool.idle_bytes -= class;
        }
        found
    };
    let buffer = reused.unwrap_or_else(|| {
        ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("learnloss storage"),
            size: class,
            usage: USAGE,
            mapped_at_creation: false,
        })
    });
    PooledBuffer { buffer: Some(buffer) }
}

impl Drop for PooledBuffer {
    /// Back to the pool; a buffer the pool has no room for is freed through
    /// [`context::release`], which takes the device's turn (freeing calls into the driver) and
    /// keeps any panic from wgpu out of this destructor.
    fn drop(&mut self) {
        let Some(buffer) = self.buffer.take() else { return };
        let class = buffer.size();
        let spare = {
            let mut guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
            let pool = guard.get_or_insert_with(Pool::default);
            if pool.idle_bytes + class <= MAX_IDLE_BYTES {
                pool.idle_bytes += class;
                pool.free.entry(class).or_default().push(buffer);
                None
            } else {
                Some(buffer)
            }
        };
        if let Some(buffer) = spare {
            context::release(buffer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::size_class;

    #[test]
    fn classes_are_powers_of_two_below_the_binding_limit() {
        assert_eq!(size_class(4, 1 << 27), 256);
        assert_eq!(size_class(1000, 1 << 27), 1024);
        assert_eq!(size_class(1 << 27, 1 << 27), 1 << 27);
        // Above half the limit a power of two would not be bindable.
        assert_eq!(size_class((1 << 26) + 4, (1 << 26) + 1000), (1 << 26) + 256);
    }
}
