//! A cache of freed storage buffers, by element type and length, reused for op outputs.
//!
//! An autograd graph allocates one output per op and frees most of them together. For large
//! tensors every fresh allocation is a new `mmap` whose pages fault in and are zeroed by the
//! kernel, and every free unmaps them again: in a batched penalty step that was a third of the
//! time. Steps repeat the same shapes, so a buffer of the same length freed by the previous op
//! or step is almost always at hand.
//!
//! Taken buffers hold stale values (valid numbers, never uninitialised memory): a kernel that
//! takes one with [`output`] overwrites every element; [`zeroed`] clears it first.

use super::element::Element;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Smaller buffers come cheaply from the allocator's own free lists.
const MIN_BYTES: usize = 1 << 16;
/// Idle bytes kept over all element types; beyond that freed buffers go back to the allocator.
const MAX_IDLE_BYTES: usize = 1 << 30;

static IDLE_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Freed buffers of one element type, by length.
pub struct Cache<T> {
    free: Mutex<BTreeMap<usize, Vec<Vec<T>>>>,
}

impl<T> Cache<T> {
    pub const fn new() -> Cache<T> {
        Cache {
            free: Mutex::new(BTreeMap::new()),
        }
    }
}

/// An element type with a buffer cache of its own.
pub trait Cached: Sized + 'static {
    fn cache() -> &'static Cache<Self>;
}

fn bytes<T>(len: usize) -> usize {
    len * std::mem::size_of::<T>()
}

/// A cached buffer of exactly `len` elements, if one is idle.
fn take<T: Cached>(len: usize) -> Option<Vec<T>> {
    if bytes::<T>(len) < MIN_BYTES {
        return None;
    }
    pop_idle(&mut T::cache().free.lock().unwrap_or_else(|e| e.into_inner()), len)
}

/// One idle buffer of length `len` out of `free`, if there is one.
fn pop_idle<T>(free: &mut BTreeMap<usize, Vec<Vec<T>>>, len: usize) -> Option<Vec<T>> {
    let list = free.get_mut(&len)?;
    let buffer = list.pop()?;
    if list.is_empty() {
        free.remove(&len);
    }
    IDLE_BYTES.fetch_sub(bytes::<T>(buffer.capacity()), Ordering::Relaxed);
    Some(buffer)
}

/// A buffer of `len` elements with unspecified (stale) contents, for a kernel that writes every
/// element.
pub fn output<T: Element>(len: usize) -> Vec<T> {
    take(len).unwrap_or_else(|| fresh(len, false))
}

/// A new buffer of `len` elements (zeros, or stale values when `zero` is false), after giving
/// back to the allocator at least as many idle bytes as it takes (when that many are idle). So
/// the cache never raises the process's footprint above its peak of live tensors: a step that
/// needs a length nobody freed reuses the memory of idle buffers of other lengths instead of
/// growing. Without this, a penalty step's peak was 40 % idle buffers.
///
/// In a training loop every idle buffer is wanted again in the next step, so each eviction
/// makes a later miss, which evicts again, every step (22 misses a baseline step, about 9 % of
/// a forward-Laplacian penalty step in zeroing fresh buffers). Reusing a longer victim in
/// place saves the allocation and, for `output`, the zeroing of those misses; the misses whose
/// length is longer than every idle buffer still allocate (benches/RESULTS.md, 2026-12-03).
fn fresh<T: Element>(len: usize, zero: bool) -> Vec<T> {
    if bytes::<T>(len) >= MIN_BYTES {
        match evict::<T>(len) {
            Evicted::Longer(mut victim) => {
                victim.truncate(len);
                // Gives the tail back to malloc: the block is split in place, nothing is copied.
                victim.shrink_to_fit();
                if zero {
                    victim.fill(T::ZERO);
                }
                return victim;
            }
            Evicted::Shorter(freed) => drop(freed),
        }
    }
    vec![T::ZERO; len]
}

/// What a miss takes out of the cache to make room.
enum Evicted<T> {
    /// The smallest idle buffer at least as long as the request: cut down and reused, which is
    /// what malloc would do with its block.
    Longer(Vec<T>),
    /// Else the longest shorter ones covering the request (or all there are), to be freed.
    Shorter(Vec<Vec<T>>),
}

fn evict<T: Cached>(len: usize) -> Evicted<T> {
    let mut free = T::cache().free.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&key) = free.range(len..).next().map(|(k, _)| k) {
        return Evicted::Longer(pop_idle(&mut free, key).expect("key taken from the map"));
    }
    let (mut shorter, mut covered) = (Vec::new(), 0);
    while covered < len {
        let Some(&key) = free.keys().next_back() else { break };
        shorter.push(pop_idle(&mut free, key).expect("key taken from the map"));
        covered += key;
    }
    Evicted::Shorter(shorter)
}

/// A buffer of `len` zeros.
pub fn zeroed<T: Element>(len: usize) -> Vec<T> {
    match take(len) {
        Some(mut buffer) => {
            buffer.fill(T::ZERO);
            buffer
        }
        None => fresh(len, true),
    }
}

/// Keeps a freed buffer for reuse (or frees it when it is small or the cache is full).
pub fn give_back<T: Cached>(buffer: Vec<T>) {
    let size = bytes::<T>(buffer.capacity());
    if bytes::<T>(buffer.len()) < MIN_BYTES || IDLE_BYTES.load(Ordering::Relaxed) + size > MAX_IDLE_BYTES {
        return;
    }
    IDLE_BYTES.fetch_add(size, Ordering::Relaxed);
    let mut free = T::cache().free.lock().unwrap_or_else(|e| e.into_inner());
    free.entry(buffer.len()).or_default().push(buffer);
}

macro_rules! cached {
    ($($t:ty),*) => {$(
        impl Cached for $t {
            fn cache() -> &'static Cache<$t> {
                static CACHE: Cache<$t> = Cache::new();
                &CACHE
            }
        }
    )*};
}

cached!(f32, f64, i64, u8);

#[cfg(test)]
mod tests {
    use super::*;

    /// Lengths no other test allocates (the cache is shared by the whole test process).
    const LONG: usize = 3_000_017;
    const SHORTER: usize = 3_000_011;

    #[test]
    fn a_miss_reuses_the_smallest_longer_idle_buffer() {
        give_back(vec![7i64; LONG]);
        // No idle buffer of this length: the longer one is cut down, its values kept.
        let out: Vec<i64> = output(SHORTER);
        assert_eq!(out.len(), SHORTER);
        assert!(out.iter().all(|&v| v == 7), "the idle buffer was not reused");
        give_back(out);
        // `zeroed` reuses it too, cleared.
        let zeros: Vec<i64> = zeroed(SHORTER - 1);
        assert_eq!(zeros.len(), SHORTER - 1);
        assert!(zeros.iter().all(|&v| v == 0));
    }
}
