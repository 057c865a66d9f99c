//! Uniform random values from the Philox stream (`backend::philox`), filled in parallel: each
//! chunk computes its own counter blocks from its position, so the values do not depend on how
//! rayon splits the work.

use super::buffers;
use super::element::Element;
use crate::backend::philox::{f32_of_words, f64_of_words, PhiloxDraw};
use rayon::prelude::*;

/// Values a rayon task fills (a multiple of 4, so chunks start on block boundaries for both
/// dtypes); Philox costs a few ns a block, so smaller chunks would be all overhead.
const CHUNK: usize = 1 << 14;

/// `numel` values, `P` per counter block, each block's values from `values_of(block)`.
fn fill<T: Element, const P: usize>(numel: usize, draw: PhiloxDraw, values_of: fn([u32; 4]) -> [T; P]) -> Vec<T> {
    let mut out = buffers::uninit::<T>(numel);
    out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, chunk)| {
        let first_block = (c * CHUNK / P) as u64;
        for (b, values) in chunk.chunks_mut(P).enumerate() {
            let v = values_of(draw.block(first_block + b as u64));
            buffers::write_copy(values, &v[..values.len()]);
        }
    });
    // SAFETY: the chunks cover the buffer and every chunk's values are written.
    unsafe { buffers::assume_init(out) }
}

pub fn uniform_f32(numel: usize, draw: PhiloxDraw) -> Vec<f32> {
    fill(numel, draw, f32_of_words)
}

pub fn uniform_f64(numel: usize, draw: PhiloxDraw) -> Vec<f64> {
    fill(numel, draw, f64_of_words)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every element is the scalar definition's, across chunk boundaries and a partial last
    /// block, and under pools of different sizes.
    #[test]
    fn parallel_fill_matches_the_scalar_definition() {
        let draw = PhiloxDraw {
            seed: 0xdead_beef_0bad_f00d,
            offset: u64::MAX - 3,
        };
        let n = 3 * CHUNK + 7;
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let (a, b) = pool.install(|| (uniform_f32(n, draw), uniform_f64(n, draw)));
            assert!(a.iter().enumerate().all(|(i, &x)| x == draw.f32_at(i as u64)));
            assert!(b.iter().enumerate().all(|(i, &x)| x == draw.f64_at(i as u64)));
        }
    }
}
