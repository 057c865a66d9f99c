//! Batched, strided matrix product for software adapters, as a register-blocked product
//! (`lanes`, `shaders/matmul_lanes.wgsl`). The lanes share out the longer side of the output:
//! a product with few columns (a classifier's 10 logits over a batch of 1024) is computed
//! transposed, Cᵀ = Bᵀ · Aᵀ, and stored through transposed output strides.

use super::context::Context;
use super::lanes::{block, block_shape, lanes_for, Lines, MAX_COLUMNS};
use super::pipelines::{kernel, launch, layout_words, u32_of};
use super::{wgsl_type, WgpuStorage};
use crate::{Error, Layout, Result};

const MATMUL: Lines = Lines {
    op: "matmul",
    shader: "matmul_lanes",
    columns: "let col# = (wid.x * TN + #u) * WG + lid.x;
    let live# = col# < cols;
    let obase# = out_base + row0 * out_stride + col# * out_col_stride;
    let b_col# = select(0u, col#, live#) * b_sn;",
    taps: "",
    index: "let bi# = bk + b_col#;
                let ok# = live#;",
};

/// `out` (`batch × m × n`, contiguous) = `a` (`[batch, m, k]`) · `b` (`[batch, k, n]`), both
/// read through their layouts; `m`, `n`, `k` and `batch` are nonzero.
pub(super) fn matmul_into(
    ctx: &Context,
    (a, al): (&WgpuStorage, &Layout),
    (b, bl): (&WgpuStorage, &Layout),
    out: &WgpuStorage,
) -> Result<()> {
    let (batch, m, k) = (al.shape()[0], al.shape()[1], al.shape()[2]);
    let n = bl.shape()[2];
    let words = |l: &Layout| (l.offset(), l.strides().to_vec());
    // Rows × columns of the computed product, its operands, and the output's row and column
    // strides: C itself, or Cᵀ when C has fewer columns than rows.
    let (rows, cols, row_op, col_op, out_strides) = if n >= m {
        (m, n, words(al), words(bl), [n, 1])
    } else {
        let (ao, a_s) = words(al);
        let (bo, b_s) = words(bl);
        (
            n,
            m,
            (bo, vec![b_s[0], b_s[2], b_s[1]]),
            (ao, vec![a_s[0], a_s[2], a_s[1]]),
            [1, n],
        )
    };
    let (quads, columns) = block_shape(rows, cols < MAX_COLUMNS * 8);
    let lanes = lanes_for(cols.div_ceil(columns));
    let kern = kernel(
        ctx,
        MATMUL.shader,
        &block(&MATMUL, quads, columns, wgsl_type(a.dtype)),
        2,
        lanes as u32,
    )?;
    let lay = layout_words(
        &[batch, rows, cols],
        &[u32_of(k), u32_of(out_strides[0]), u32_of(out_strides[1])],
        &[(row_op.0, &row_op.1), (col_op.0, &col_op.1)],
    );
    let (first, second) = if n >= m { (a, b) } else { (b, a) };
    let groups = [cols.div_ceil(columns * lanes), rows.div_ceil(4 * quads), batch];
    let max = ctx.limits.max_compute_workgroups_per_dimension as usize;
    if groups.iter().any(|&g| g > max) {
        return Err(Error::Device(format!(
            "wgpu: matmul of {batch} × {m} × {n} needs more workgroups than the device's {max} per dimension"
        )));
    }
    let groups = groups.map(u32_of);
    launch(
        ctx,
        &kern,
        &lay,
        &[first.buffer(), second.buffer()],
        out.buffer(),
        groups,
    );
    Ok(())
}
