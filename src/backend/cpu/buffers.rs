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
    let mut free = T::cache().free.lock().unwrap_or_else(|e| e.into_inner());
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
    take(len).unwrap_or_else(|| fresh(len))
}

/// A new buffer of `len` zeros, after giving back to the allocator at least as many idle bytes
/// as it takes (when that many are idle). So the cache never raises the process's footprint
/// above its peak of live tensors: a step that needs a length nobody freed reuses the memory
/// of idle buffers of other lengths (through malloc) instead of growing. Without this, a
/// penalty step's peak was 40 % idle buffers. The smallest idle buffer at least as long goes
/// first (malloc reuses its block as it is); else the longest shorter ones.
fn fresh<T: Element>(len: usize) -> Vec<T> {
    if bytes::<T>(len) >= MIN_BYTES {
        drop(evict::<T>(len));
    }
    vec![T::ZERO; len]
}

/// Takes idle buffers covering `len` elements out of the cache (the caller drops them).
fn evict<T: Cached>(len: usize) -> Vec<Vec<T>> {
    let mut free = T::cache().free.lock().unwrap_or_else(|e| e.into_inner());
    let mut evicted = Vec::new();
    let mut pop = |free: &mut BTreeMap<usize, Vec<Vec<T>>>, key: usize| {
        let list = free.get_mut(&key).expect("key taken from the map");
        let buffer = list.pop().expect("lists in the map are non-empty");
        if list.is_empty() {
            free.remove(&key);
        }
        IDLE_BYTES.fetch_sub(bytes::<T>(buffer.capacity()), Ordering::Relaxed);
        evicted.push(buffer);
    };
    if let Some(&key) = free.range(len..).next().map(|(k, _)| k) {
        pop(&mut free, key);
        return evicted;
    }
    let mut covered = 0;
    while covered < len {
        let Some(&key) = free.keys().next_back() else { break };
        pop(&mut free, key);
        covered += key;
    }
    evicted
}

/// A buffer of `len` zeros.
pub fn zeroed<T: Element>(len: usize) -> Vec<T> {
    match take(len) {
        Some(mut buffer) => {
            buffer.fill(T::ZERO);
            buffer
        }
        None => fresh(len),
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
