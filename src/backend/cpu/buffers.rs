//! A cache of freed storage buffers, by element type and length, reused for op outputs.
//!
//! An autograd graph allocates one output per op and frees most of them together. For large
//! tensors every fresh allocation is a new `mmap` whose pages fault in and are zeroed by the
//! kernel, and every free unmaps them again: in a batched penalty step that was a third of the
//! time. Steps repeat the same shapes, so a buffer of the same length freed by the previous op
//! or step is almost always at hand.
//!
//! A kernel that writes every element of its output takes a buffer with [`uninit`] (stale values
//! or fresh memory, never cleared: clearing the cache's misses was 8–10 % of a training step) and
//! hands it out with [`assume_init`]; [`zeroed`] clears it first.

use super::element::Element;
use std::collections::BTreeMap;
use std::mem::{ManuallyDrop, MaybeUninit};
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

/// A buffer of `len` elements with unspecified contents, for a kernel that writes every element
/// and then calls [`assume_init`].
pub fn uninit<T: Element>(len: usize) -> Vec<MaybeUninit<T>> {
    match take(len) {
        Some(buffer) => forget_values(buffer),
        None => fresh(len),
    }
}

/// The buffer of a kernel that has written every element.
///
/// # Safety
/// Every element of `buffer` must have been written.
pub unsafe fn assume_init<T>(buffer: Vec<MaybeUninit<T>>) -> Vec<T> {
    let mut buffer = ManuallyDrop::new(buffer);
    // SAFETY: MaybeUninit<T> has T's layout, and the caller guarantees every element is set.
    unsafe { Vec::from_raw_parts(buffer.as_mut_ptr().cast(), buffer.len(), buffer.capacity()) }
}

/// The same block seen as memory to overwrite.
fn forget_values<T>(buffer: Vec<T>) -> Vec<MaybeUninit<T>> {
    let mut buffer = ManuallyDrop::new(buffer);
    // SAFETY: MaybeUninit<T> has T's layout and asks nothing of the contents.
    unsafe { Vec::from_raw_parts(buffer.as_mut_ptr().cast(), buffer.len(), buffer.capacity()) }
}

/// Clears unwritten memory, to be added into.
pub fn clear<T: Element>(dst: &mut [MaybeUninit<T>]) -> &mut [T] {
    dst.fill(MaybeUninit::new(T::ZERO));
    // SAFETY: every element was just written.
    unsafe { assume_written(dst) }
}

/// The first `len` elements of a kernel's scratch buffer, grown without being written: a
/// `resize` would clear megabytes the kernel is about to overwrite (2 % of a conv weight
/// gradient, whose scratch is made per rayon job).
pub fn scratch<T>(buf: &mut Vec<MaybeUninit<T>>, len: usize) -> &mut [MaybeUninit<T>] {
    if buf.len() < len {
        buf.reserve(len - buf.len());
        // SAFETY: the capacity is reserved, and `MaybeUninit` needs no initialisation.
        unsafe { buf.set_len(len) };
    }
    &mut buf[..len]
}

/// `buf` read as written memory.
///
/// # Safety
/// Every element of `buf` must have been written.
pub unsafe fn assume_written<T>(buf: &mut [MaybeUninit<T>]) -> &mut [T] {
    // SAFETY: written (the caller's promise), and MaybeUninit<T> has T's layout.
    unsafe { &mut *(buf as *mut [MaybeUninit<T>] as *mut [T]) }
}

/// Copies `src` into `dst` (the `copy_from_slice` of unwritten memory).
pub fn write_copy<'a, T: Copy>(dst: &'a mut [MaybeUninit<T>], src: &[T]) -> &'a mut [T] {
    assert_eq!(
        dst.len(),
        src.len(),
        "write_copy: destination and source lengths differ"
    );
    // SAFETY: same length, and a `&mut` destination cannot overlap the shared source; once
    // copied, every element is written.
    unsafe {
        std::ptr::copy_nonoverlapping(src.as_ptr(), dst.as_mut_ptr().cast::<T>(), src.len());
        assume_written(dst)
    }
}

/// A new block of `len` elements, after giving back to the allocator at least as many idle
/// bytes as it takes (when that many are idle). So the cache never raises the process's
/// footprint above its peak of live tensors: a step that needs a length nobody freed reuses the
/// memory of idle buffers of other lengths instead of growing. Without this, a penalty step's
/// peak was 40 % idle buffers.
///
/// In a training loop every idle buffer is wanted again in the next step, so each eviction
/// makes a later miss, which evicts again, every step (22 misses a baseline step). A longer
/// victim is reused in place, saving the allocation; the block is never cleared, which is what
/// those misses cost when fresh buffers were zeroed (8–10 % of a step, benches/RESULTS.md,
/// 2026-12-03).
fn fresh<T: Element>(len: usize) -> Vec<MaybeUninit<T>> {
    if bytes::<T>(len) >= MIN_BYTES {
        match evict::<T>(len) {
            Evicted::Longer(mut victim) => {
                victim.truncate(len);
                // Gives the tail back to malloc: the block is split in place, nothing is copied.
                victim.shrink_to_fit();
                return forget_values(victim);
            }
            Evicted::Shorter(freed) => drop(freed),
        }
    }
    let mut block = Vec::with_capacity(len);
    // SAFETY: the capacity is `len`, and MaybeUninit elements need no initialisation.
    unsafe { block.set_len(len) };
    block
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
    let mut buffer = uninit(len);
    buffer.fill(MaybeUninit::new(T::ZERO));
    // SAFETY: every element was just written.
    unsafe { assume_init(buffer) }
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
        let long = vec![7i64; LONG];
        let block = long.as_ptr() as usize;
        give_back(long);
        // No idle buffer of this length: the longer one is cut down in place.
        let out: Vec<MaybeUninit<i64>> = uninit(SHORTER);
        assert_eq!(out.len(), SHORTER);
        assert_eq!(out.as_ptr() as usize, block, "the idle buffer was not reused");
        // SAFETY: the block still holds the sevens it was given back with.
        let out = unsafe { assume_init(out) };
        assert!(out.iter().all(|&v| v == 7));
        give_back(out);
        // `zeroed` reuses it too, cleared.
        let zeros: Vec<i64> = zeroed(SHORTER - 1);
        assert_eq!(zeros.len(), SHORTER - 1);
        assert_eq!(zeros.as_ptr() as usize, block, "the idle buffer was not reused");
        assert!(zeros.iter().all(|&v| v == 0));
    }
}
