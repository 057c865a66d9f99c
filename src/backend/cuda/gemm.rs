//! Launch planning for the tile kernels of kernels/gemm.cu (the matmul and the three
//! convolution directions): tile size, split-K, grid, and the in-order sum of split partials.
//!
//! The plan depends only on the problem's shape (not on the GPU), so a product's rounding is
//! the same on every device and every run.

use cudarc::driver::LaunchConfig;

use super::context::Context;
use super::launch::{grid_1d, launch_typed};
use super::CudaStorage;
use crate::{DType, Error, Result};

/// Threads per block of every tile kernel (`__launch_bounds__(256)`).
const THREADS: u32 = 256;
/// Depth of a K slice (`gemm::BK`): split chunks are multiples of it.
const SLICE: usize = 16;
/// M, N, K, columns and batch must stay below this: the kernels index tiles with 32-bit ints
/// and decode convolution coordinates with a multiply-shift division exact below 2^31.
const MAX_DIM: usize = 1 << 30;
/// Blocks a product should offer before it is worth splitting K: about two per SM of an H100
/// (132 SMs, two 256-thread tile blocks resident each).
const TARGET_BLOCKS: usize = 256;
/// Each split sums at least this much of K (16 slices), so splitting pays for its partials.
const MIN_SPLIT_K: usize = 256;
/// grid.y and grid.z limits; the kernels loop over what does not fit.
const MAX_GRID_YZ: usize = 65535;
const MAX_GRID_X: usize = (1 << 31) - 1;

/// Tile edge of the kernel a plan launches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tile {
    /// 64 × 64, 4 × 4 a thread (`matmul`, all convolutions).
    Small,
    /// 128 × 128, 8 × 8 a thread (`matmul_128`): for products with plenty of large tiles.
    Large,
}

impl Tile {
    fn edge(self) -> usize {
        match self {
            Tile::Small => 64,
            Tile::Large => 128,
        }
    }
}

/// How one product `groups × [m, k]·[k, n]` is launched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    pub tile: Tile,
    /// K chunks, each written to its own partial product (1: straight into the output).
    pub splits: usize,
    /// K elements per chunk, a multiple of [`SLICE`] (≥ k when `splits` = 1).
    pub k_chunk: usize,
    groups: usize,
    m: usize,
    n: usize,
}

impl Plan {
    /// The plan for `groups` products of `[m, k]·[k, n]`; `large_tiles` when the kernel
    /// family has a 128 × 128 variant. `Err` when a dimension exceeds the kernels' limits.
    pub fn new(op: &str, groups: usize, [m, n, k]: [usize; 3], large_tiles: bool) -> Result<Plan> {
        for (name, v) in [("batch", groups), ("M", m), ("N", n), ("K", k)] {
            if v >= MAX_DIM {
                return Err(Error::Device(format!(
                    "cuda: {op}: {name} = {v} exceeds the tile kernels' limit of 2^30 (batch {groups}, M {m}, N {n}, K {k})"
                )));
            }
        }
        let tiles_of = |edge: usize| groups * m.div_ceil(edge) * n.div_ceil(edge);
        // Large tiles halve the shared-memory traffic per multiply-add but need enough of them
        // to keep every SM busy.
        let tile = if large_tiles && tiles_of(128) >= TARGET_BLOCKS && k >= 128 {
            Tile::Large
        } else {
            Tile::Small
        };
        let tiles = tiles_of(tile.edge()).max(1);
        let wanted = if tiles < TARGET_BLOCKS {
            (TARGET_BLOCKS / tiles).min(k / MIN_SPLIT_K).max(1)
        } else {
            1
        };
        let k_chunk = k.div_ceil(wanted).div_ceil(SLICE).max(1) * SLICE;
        let splits = k.div_ceil(k_chunk).max(1);
        Ok(Plan {
            tile,
            splits,
            k_chunk,
            groups,
            m,
            n,
        })
    }

    /// The kernel name stem for this plan's tile (`matmul` or `matmul_128`).
    pub fn matmul_kernel(&self) -> &'static str {
        match self.tile {
            Tile::Small => "matmul",
            Tile::Large => "matmul_128",
        }
    }

    /// Grid: N tiles on x, M tiles on y, (group, split) on z, capped (the kernels loop).
    pub fn config(&self) -> LaunchConfig {
        let e = self.tile.edge();
        LaunchConfig {
            grid_dim: (
                self.n.div_ceil(e).clamp(1, MAX_GRID_X) as u32,
                self.m.div_ceil(e).clamp(1, MAX_GRID_YZ) as u32,
                (self.groups * self.splits).clamp(1, MAX_GRID_YZ) as u32,
            ),
            block_dim: (THREADS, 1, 1),
            shared_mem_bytes: 0,
        }
    }

    /// Runs `launch(destination)` for a product whose output `out` holds `count` elements:
    /// with one split the kernel writes `out`; with more it writes `splits` partial products
    /// to a scratch buffer, which `gemm_splitk_reduce` then adds up in split order.
    pub fn run(
        &self,
        ctx: &'static Context,
        dtype: DType,
        out: &CudaStorage,
        count: usize,
        launch: impl FnOnce(u64) -> Result<()>,
    ) -> Result<()> {
        if self.splits == 1 {
            return launch(out.ptr());
        }
        // Back to the allocator when it drops; reuse is ordered on the stream.
        let partials = CudaStorage::alloc(ctx, dtype, self.splits * count)?;
        launch(partials.ptr())?;
        let args = (out.ptr(), partials.ptr(), self.splits as i32, count as i64);
        launch_typed(ctx, "gemm", "gemm_splitk_reduce", dtype, grid_1d(count), args)
    }
}

/// Panics unless `a` and `b` are float storages of one dtype (a front-end bug otherwise).
pub fn expect_floats(op: &str, a: &CudaStorage, b: &CudaStorage) -> DType {
    let (da, db) = (a.dtype, b.dtype);
    assert!(
        da == db && matches!(da, DType::F32 | DType::F64),
        "{op}: expected two float tensors of one dtype, got {da} and {db}"
    );
    da
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_outputs_use_large_tiles_and_no_split() {
        let p = Plan::new("t", 1, [4096, 4096, 4096], true).unwrap();
        assert_eq!((p.tile, p.splits), (Tile::Large, 1));
        assert!(p.k_chunk >= 4096 && p.k_chunk.is_multiple_of(SLICE));
        let p = Plan::new("t", 1, [4096, 4096, 4096], false).unwrap();
        assert_eq!((p.tile, p.splits), (Tile::Small, 1));
    }

    #[test]
    fn long_k_with_few_tiles_is_split_into_chunks_covering_k_once() {
        // The weight gradient of the seed's first convolution: 32 × 9 outputs, K = 1024·28·28.
        let k = 1024 * 28 * 28;
        let p = Plan::new("t", 1, [32, 9, k], false).unwrap();
        assert_eq!(p.tile, Tile::Small);
        assert_eq!(p.splits, TARGET_BLOCKS);
        assert_eq!(p.k_chunk % SLICE, 0);
        assert!(p.splits * p.k_chunk >= k && (p.splits - 1) * p.k_chunk < k);
    }

    #[test]
    fn short_k_is_not_split_and_empty_k_still_launches_one_chunk() {
        let p = Plan::new("t", 3, [5, 7, 300], true).unwrap();
        assert_eq!((p.tile, p.splits, p.k_chunk), (Tile::Small, 1, 304));
        let p = Plan::new("t", 1, [5, 7, 0], true).unwrap();
        assert_eq!((p.splits, p.k_chunk), (1, SLICE));
        let c = p.config();
        assert_eq!((c.grid_dim, c.block_dim), ((1, 1, 1), (THREADS, 1, 1)));
    }

    #[test]
    fn grids_are_capped_where_the_kernels_loop() {
        let p = Plan::new("t", 100_000, [64 * 70_000, 1, 1], false).unwrap();
        assert_eq!(p.config().grid_dim, (1, MAX_GRID_YZ as u32, MAX_GRID_YZ as u32));
    }

    #[test]
    fn dimensions_past_the_limit_are_an_error_naming_the_op() {
        let e = Plan::new("matmul", 1, [1, 1 << 30, 1], true).unwrap_err();
        assert!(e.to_string().contains("matmul: N = 1073741824"), "{e}");
    }
}
