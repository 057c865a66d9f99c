//! The three convolution directions for software adapters, as register-blocked products
//! (`lanes`, `shaders/conv_lanes_*.wgsl`): the forward pass and the input gradient share the
//! output's positions out among the lanes; the weight gradient, a small product with a long
//! sum, shares the batch out instead and adds the lanes' partial sums afterwards.

use super::context::Context;
use super::conv::{checked_groups, output, Geometry, Output};
use super::lanes::{block, block_shape, lanes_for, Lines, MAX_COLUMNS};
use super::pipelines::{grid_1d, kernel, launch, layout_words, u32_of};
use super::{wgsl_type, WgpuStorage};
use crate::backend::Conv2dParams;
use crate::{Layout, Result};

/// Workgroups the weight gradient should offer the driver's threads at least, reached by
/// splitting its long sum over more of the batch.
const MIN_GROUPS: usize = 16;
/// Elements the weight gradient's partial sums may take (64 MiB of f32): a large layer (512 ×
/// 512 × 3 × 3) gets fewer slices rather than a buffer past the binding limit.
const PARTIAL_BUDGET: usize = 1 << 24;

#[derive(Clone, Copy)]
pub(super) enum Direction {
    Forward,
    InputGrad,
    WeightGrad,
}

const FORWARD: Lines = Lines {
    op: "conv2d",
    shader: "conv_lanes_forward",
    columns: "let col# = (wid.x * TN + #u) * WG + lid.x;
    let live# = col# < cols;
    let n# = col# / ohw;
    let oh# = (col# % ohw) / g.ow;
    let ow# = col# % g.ow;
    let obase# = (n# * g.cout + row0) * ohw + col# % ohw;",
    taps: "let ih# = i32(oh# * g.sh + a * g.dh) - i32(g.ph);
            let iw# = i32(ow# * g.sw + c * g.dw) - i32(g.pw);
            let ok# = live# && ih# >= 0 && ih# < i32(g.h) && iw# >= 0 && iw# < i32(g.w);
            let tb# = select(g.b_off, at(g.b_off, g.b_s, n#, 0u, u32(ih#), u32(iw#)), ok#);
            let st# = select(0u, g.b_s.y, ok#);",
    index: "let bi# = tb# + ci * st#;",
};

const INPUT_GRAD: Lines = Lines {
    op: "conv2d_input_grad",
    shader: "conv_lanes_input_grad",
    columns: "let col# = (wid.x * TN + #u) * WG + lid.x;
    let live# = col# < cols;
    let n# = col# / hw;
    let y# = (col# % hw) / g.w;
    let x# = col# % g.w;
    let obase# = (n# * g.cin + row0) * hw + col# % hw;",
    taps: "let th# = i32(y# + g.ph) - i32(a * g.dh);
            let tw# = i32(x# + g.pw) - i32(c * g.dw);
            let oh# = u32(th#) / g.sh;
            let ow# = u32(tw#) / g.sw;
            let ok# = live# && th# >= 0 && tw# >= 0 && u32(th#) % g.sh == 0u && u32(tw#) % g.sw == 0u
                && oh# < g.oh && ow# < g.ow;
            let tb# = select(g.b_off, at(g.b_off, g.b_s, n#, 0u, oh#, ow#), ok#);
            let st# = select(0u, g.b_s.y, ok#);",
    index: "let bi# = tb# + co * st#;",
};

const WEIGHT_GRAD: Lines = Lines {
    op: "conv2d_weight_grad",
    shader: "conv_lanes_weight_grad",
    columns: "let col# = wid.x * TN + #u;
    let live# = col# < cols;
    let ci# = col# / khw;
    let a# = (col# % khw) / g.kw;
    let c# = col# % g.kw;
    let obase# = split_base + row0 * cols + col#;",
    taps: "let ih# = i32(oh * g.sh + a# * g.dh) - i32(g.ph);
            let row_ok# = live# && ih# >= 0 && ih# < i32(g.h);
            let x_row# = at(g.b_off, g.b_s, n, ci#, u32(ih#), 0u);",
    index: "let iw# = i32(ow * g.sw + c# * g.dw) - i32(g.pw);
                let ok# = row_ok# && iw# >= 0 && iw# < i32(g.w);
                let bi# = select(g.b_off, x_row# + u32(iw#) * g.b_s.w, ok#);",
};

impl Direction {
    fn lines(self) -> &'static Lines {
        match self {
            Direction::Forward => &FORWARD,
            Direction::InputGrad => &INPUT_GRAD,
            Direction::WeightGrad => &WEIGHT_GRAD,
        }
    }
}

/// Runs direction `dir` of the product `geo` (`a` the row operand, `b` the column operand) into
/// a new contiguous output of `out_len` elements.
pub(super) fn run(
    ctx: &Context,
    dir: Direction,
    geo: Geometry,
    a: (&WgpuStorage, &Layout),
    b: (&WgpuStorage, &Layout),
    p: &Conv2dParams,
    out_len: usize,
) -> Result<WgpuStorage> {
    let dtype = a.0.dtype;
    let out = match output(ctx, dtype, &geo, out_len)? {
        Output::Fill(out) => out,
        Output::Done(done) => return Ok(done),
    };
    let lines = dir.lines();
    let [rows, cols, _] = geo.mnk;
    let batch = geo.x_shape[0];
    let weight_grad = matches!(dir, Direction::WeightGrad);
    let narrow = if weight_grad { cols < 8 } else { cols < MAX_COLUMNS * 8 };
    let (quads, columns) = block_shape(rows, narrow);
    let lanes = lanes_for(if weight_grad {
        batch.min(PARTIAL_BUDGET / out_len)
    } else {
        cols.div_ceil(columns)
    });
    let subs = block(lines, quads, columns, wgsl_type(dtype));
    let kern = kernel(ctx, lines.shader, &subs, 2, lanes as u32)?;
    let lay = geo.words(p, a.1, b.1);
    let inputs = [a.0.buffer(), b.0.buffer()];
    let rows_groups = rows.div_ceil(4 * quads);
    if !weight_grad {
        let grid = [u32_of(cols.div_ceil(columns * lanes)), u32_of(rows_groups), 1];
        launch(
            ctx,
            &kern,
            &lay,
            &inputs,
            out.buffer(),
            checked_groups(ctx, lines.op, &geo, grid)?,
        );
        return Ok(out);
    }
    let col_groups = cols.div_ceil(columns);
    let z = MIN_GROUPS
        .div_ceil(col_groups * rows_groups)
        .min(batch.div_ceil(lanes))
        .min(PARTIAL_BUDGET / (lanes * out_len))
        .max(1);
    let grid = [u32_of(col_groups), u32_of(rows_groups), u32_of(z)];
    let grid = checked_groups(ctx, lines.op, &geo, grid)?;
    let slices = z * lanes;
    let partial = WgpuStorage::alloc(ctx, dtype, slices * out_len)?;
    launch(ctx, &kern, &lay, &inputs, partial.buffer(), grid);
    let sum = kernel(
        ctx,
        "conv_lanes_split_sum",
        &[("T", wgsl_type(dtype).to_string())],
        1,
        64,
    )?;
    let lay = layout_words(&[out_len], &[u32_of(slices)], &[]);
    launch(
        ctx,
        &sum,
        &lay,
        &[partial.buffer()],
        out.buffer(),
        grid_1d(ctx, &sum, out_len)?,
    );
    Ok(out)
}
