//! Philox4x32-10, the counter-based generator behind the backends' random primitive
//! ([`BackendStorage::rand_uniform`](super::BackendStorage::rand_uniform)), and the exact rule that
//! turns its words into uniform floats. Every device implements this same definition (the CPU
//! through the functions here, wgpu in `shaders/philox.wgsl`, CUDA in `kernels/random.cu`), so a
//! draw is bit-identical on every device and for any thread count.
//!
//! # Definition
//!
//! Philox4x32-10 (Salmon et al., SC'11; Random123, curand and PyTorch's CUDA generator) maps a
//! 128-bit counter `(c0, c1, c2, c3)` and a 64-bit key `(k0, k1)` to four 32-bit words by ten
//! rounds of
//!
//! ```text
//! (hi0, lo0) = 0xD2511F53 · c0      (full 64-bit product, high and low words)
//! (hi1, lo1) = 0xCD9E8D57 · c2
//! (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
//! ```
//!
//! with the key bumped between rounds: `k0 += 0x9E3779B9`, `k1 += 0xBB67AE85` (wrapping).
//!
//! A draw of `n` values of one float dtype is named by a [`PhiloxDraw`] `{seed, offset}`
//! (PyTorch's `philox_seed_offset`). Element `i` (row-major) comes from Philox block
//! `b = offset + ⌊i / P⌋` (wrapping in 64 bits), `P` = [`per_block`] (4 for `f32`, 2 for `f64`):
//!
//! ```text
//! key     = (seed mod 2^32, seed >> 32)
//! counter = (b mod 2^32, b >> 32, 0, 0)
//! w       = philox4x32_10(counter, key)
//! f32: j = i mod 4;  u = (w[j] >> 8) · 2^-24                              (24 bits)
//! f64: j = i mod 2;  u = (((w[2j] as u64) << 32 | w[2j+1]) >> 11) · 2^-53   (53 bits)
//! ```
//!
//! so `u` lies in `[0, 1)` and is a pure function of `(seed, offset, i)`. A draw uses
//! [`blocks_used`] = `⌈n / P⌉` blocks; a [`Generator`](crate::Generator) advances its offset by
//! that much, so consecutive draws never share a block.

use crate::DType;

/// The round multipliers.
pub const PHILOX_M: [u32; 2] = [0xD251_1F53, 0xCD9E_8D57];
/// The key increments between rounds (the golden ratio and √3 − 1, in 32-bit fixed point).
pub const PHILOX_W: [u32; 2] = [0x9E37_79B9, 0xBB67_AE85];

/// Names one draw: the key, and the first counter block it uses.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct PhiloxDraw {
    pub seed: u64,
    pub offset: u64,
}

/// Philox4x32-10 of `counter` under `key`.
#[inline]
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let [mut c0, mut c1, mut c2, mut c3] = counter;
    let [mut k0, mut k1] = key;
    for round in 0..10 {
        if round > 0 {
            k0 = k0.wrapping_add(PHILOX_W[0]);
            k1 = k1.wrapping_add(PHILOX_W[1]);
        }
        let p0 = u64::from(PHILOX_M[0]) * u64::from(c0);
        let p1 = u64::from(PHILOX_M[1]) * u64::from(c2);
        (c0, c1, c2, c3) = (
            (p1 >> 32) as u32 ^ c1 ^ k0,
            p1 as u32,
            (p0 >> 32) as u32 ^ c3 ^ k1,
            p0 as u32,
        );
    }
    [c0, c1, c2, c3]
}

/// Values of `dtype` taken from one Philox block (4 for `f32`, 2 for `f64`).
pub fn per_block(dtype: DType) -> usize {
    match dtype {
        DType::F32 => 4,
        DType::F64 => 2,
        other => panic!("rand_uniform: expected a float dtype, got {other}"),
    }
}

/// Counter blocks a draw of `numel` values of `dtype` consumes: `⌈numel / per_block⌉`.
pub fn blocks_used(numel: usize, dtype: DType) -> u64 {
    numel.div_ceil(per_block(dtype)) as u64
}

impl PhiloxDraw {
    /// The four words of block `block` of this draw (block 0 is the one at `offset`).
    #[inline]
    pub fn block(&self, block: u64) -> [u32; 4] {
        let b = self.offset.wrapping_add(block);
        philox4x32_10(
            [b as u32, (b >> 32) as u32, 0, 0],
            [self.seed as u32, (self.seed >> 32) as u32],
        )
    }

    /// Element `i` of an `f32` draw.
    pub fn f32_at(&self, i: u64) -> f32 {
        f32_of_words(self.block(i / 4))[(i % 4) as usize]
    }

    /// Element `i` of an `f64` draw.
    pub fn f64_at(&self, i: u64) -> f64 {
        f64_of_words(self.block(i / 2))[(i % 2) as usize]
    }
}

/// The four `f32` values of a block: the top 24 bits of each word times 2^-24.
#[inline]
pub fn f32_of_words(w: [u32; 4]) -> [f32; 4] {
    w.map(|x| (x >> 8) as f32 * (1.0 / 16_777_216.0))
}

/// The two `f64` values of a block: the top 53 bits of the words (w0, w1) and (w2, w3), the
/// first word of each pair the high one, times 2^-53.
#[inline]
pub fn f64_of_words(w: [u32; 4]) -> [f64; 2] {
    let bits =
        |hi: u32, lo: u32| ((u64::from(hi) << 32 | u64::from(lo)) >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0);
    [bits(w[0], w[1]), bits(w[2], w[3])]
}

#[cfg(test)]
mod tests {
    use super::*;

    // Random123's known-answer vectors are checked in tests/random.rs (`philox_matches_random123_known_answers`).

    #[test]
    fn float_rules_cover_zero_to_just_below_one() {
        assert_eq!(
            f32_of_words([0, 0xff, u32::MAX, 1 << 8]),
            [0.0, 0.0, 1.0 - 2f32.powi(-24), 2f32.powi(-24)]
        );
        assert_eq!(
            f64_of_words([0, 0x7ff, u32::MAX, u32::MAX]),
            [0.0, 1.0 - 2f64.powi(-53)]
        );
        // The high word's top bit is the value's top bit.
        assert_eq!(f64_of_words([1 << 31, 0, 0, 1 << 11]), [0.5, 2f64.powi(-53)]);
    }

    #[test]
    fn the_block_counter_is_the_offset_plus_the_block_index() {
        let d = PhiloxDraw {
            seed: 0x0123_4567_89ab_cdef,
            offset: u64::MAX - 1,
        };
        let key = [0x89ab_cdef, 0x0123_4567];
        assert_eq!(d.block(0), philox4x32_10([u32::MAX - 1, u32::MAX, 0, 0], key));
        assert_eq!(d.block(1), philox4x32_10([u32::MAX, u32::MAX, 0, 0], key));
        // Wraps to counter 0 past 2^64 - 1.
        assert_eq!(d.block(2), philox4x32_10([0; 4], key));
        assert_eq!(d.f32_at(5), f32_of_words(d.block(1))[1]);
        assert_eq!(d.f64_at(5), f64_of_words(d.block(2))[1]);
    }
}
