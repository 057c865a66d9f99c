//! Batched matrix products on the tile kernels of kernels/gemm.cu. Operands are read through
//! their strides (transposed and batch-broadcast views need no copy); the output is contiguous.

use cudarc::driver::DeviceRepr;

use super::gemm::{expect_floats, Plan};
use super::launch::launch_typed;
use super::{same_device, CudaStorage};
use crate::{Layout, Result};

/// One `[B, rows, cols]` operand: element (g, r, c) sits at
/// `offset + g·batch_stride + r·row_stride + c·col_stride`. The Rust mirror of
/// `struct GemmOperand` in kernels/gemm.cu (same fields, same order, `#[repr(C)]`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GemmOperand {
    pub offset: i64,
    pub batch_stride: i64,
    pub row_stride: i64,
    pub col_stride: i64,
}

// SAFETY: plain old data with the C layout of the kernels' `struct GemmOperand`.
unsafe impl DeviceRepr for GemmOperand {}

impl GemmOperand {
    /// The descriptor of a rank-3 layout.
    pub fn of(layout: &Layout) -> GemmOperand {
        let s = layout.strides();
        GemmOperand {
            offset: layout.offset() as i64,
            batch_stride: s[0] as i64,
            row_stride: s[1] as i64,
            col_stride: s[2] as i64,
        }
    }
}

/// `[B, M, K] · [B, K, N] → [B, M, N]`, any strides.
pub fn matmul(a: &CudaStorage, al: &Layout, b: &CudaStorage, bl: &Layout) -> Result<CudaStorage> {
    same_device("matmul", a, b);
    let dtype = expect_floats("matmul", a, b);
    let (batch, m, k) = (al.shape()[0], al.shape()[1], al.shape()[2]);
    let n = bl.shape()[2];
    let ctx = a.ctx();
    let count = batch * m * n;
    let out = CudaStorage::alloc(ctx, dtype, count)?;
    if count == 0 {
        return Ok(out);
    }
    let plan = Plan::new("matmul", batch, [m, n, k], true)?;
    let (ad, bd) = (GemmOperand::of(al), GemmOperand::of(bl));
    plan.run(ctx, dtype, &out, count, |dst| {
        let args = (
            dst,
            a.ptr(),
            ad,
            b.ptr(),
            bd,
            batch as i32,
            m as i32,
            n as i32,
            k as i32,
            plan.splits as i32,
            plan.k_chunk as i32,
        );
        launch_typed(ctx, "gemm", plan.matmul_kernel(), dtype, plan.config(), args)
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operand_descriptor_reads_offset_and_strides() {
        // A transposed [2, 3, 4] view of [2, 4, 3] storage, from element 5.
        let l = Layout::new(vec![2, 3, 4], vec![12, 1, 3], 5);
        assert_eq!(
            GemmOperand::of(&l),
            GemmOperand {
                offset: 5,
                batch_stride: 12,
                row_stride: 1,
                col_stride: 3
            }
        );
        assert_eq!(std::mem::size_of::<GemmOperand>(), 32);
    }
}
