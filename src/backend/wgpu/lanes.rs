//! Register-blocked, barrier-free products for software adapters (Mesa's llvmpipe and
//! lavapipe): the shared part of `matmul`'s and `conv_lanes`' kernels (`shaders/lanes.wgsl`).
//! Those drivers run a workgroup as CPU SIMD lanes, where every storage-buffer load is a scalar
//! loop over the lanes (about 20 cycles a lane) and the arithmetic next to it is nearly free,
//! and a barrier is a coroutine switch. The tiled kernels made for GPUs stage operands through
//! workgroup memory behind barriers and load about one value per two multiply-adds; these keep
//! a block of up to 32 rows × 16 columns of the product in each invocation's registers (48
//! loads per 512 multiply-adds) with no barrier: 5-8× faster on lavapipe (benches/RESULTS.md,
//! 2026-12-07).
//!
//! The block's lines are repeated per column and per group of four rows, which a loop in the
//! shader would leave to the driver's unroller (measured 30 % slower), so they are written
//! here: each kernel gives its per-column lines with `#` standing for the column.

use super::context::Context;

/// Which kernels compute a matrix product or a convolution: these on software adapters, the
/// tiled (and for thin convolutions direct) ones on GPUs, unless `LEARNLOSS_WGPU_KERNELS`
/// (`lanes` or `tiled`) says otherwise, e.g. to compare the two. Both are tested on whatever
/// adapter is present (`family_tests`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    Lanes,
    Tiled,
}

impl Family {
    /// The family the process's context chose when it opened.
    pub fn of(ctx: &Context) -> Family {
        ctx.kernels
    }

    /// The family `LEARNLOSS_WGPU_KERNELS` names, if it is set.
    pub fn from_env() -> Result<Option<Family>, String> {
        match std::env::var("LEARNLOSS_WGPU_KERNELS") {
            Err(_) => Ok(None),
            Ok(v) if v == "lanes" => Ok(Some(Family::Lanes)),
            Ok(v) if v == "tiled" => Ok(Some(Family::Tiled)),
            Ok(v) => Err(format!(
                "wgpu: LEARNLOSS_WGPU_KERNELS={v:?} names no kernel family; expected 'lanes' or 'tiled'"
            )),
        }
    }
}

/// Groups of four rows, and columns, per invocation at most.
const MAX_ROW_QUADS: usize = 8;
pub(super) const MAX_COLUMNS: usize = 16;
/// Invocations per workgroup at most.
const LANES: usize = 64;

/// A kernel's per-column lines (`#` = the column). `columns` runs once and defines `live#`
/// (the column exists) and `obase#` (where its first row goes); `taps` runs once per outer
/// step of the sum; `index` once per term and defines `bi#` (where B's value is) and `ok#`
/// (whether it counts).
pub(super) struct Lines {
    pub op: &'static str,
    pub shader: &'static str,
    pub columns: &'static str,
    pub taps: &'static str,
    pub index: &'static str,
}

/// Groups of four rows and columns per invocation for a `rows × cols` product: the largest
/// block, smaller where there are few rows (a 1-channel input's gradient) or `narrow` columns.
pub(super) fn block_shape(rows: usize, narrow: bool) -> (usize, usize) {
    let quads = rows.div_ceil(4).min(MAX_ROW_QUADS);
    (quads, if narrow { 4 } else { MAX_COLUMNS })
}

/// Invocations per workgroup when `shared` columns (or splits) are shared out among them:
/// lanes past them still run every loop, masked, so a narrow launch takes fewer.
pub(super) fn lanes_for(shared: usize) -> usize {
    shared.clamp(8, LANES).next_power_of_two()
}

/// `text` once per column, `#` replaced by the column's number.
fn per_column(text: &str, columns: usize) -> String {
    (0..columns)
        .map(|j| text.replace('#', &j.to_string()))
        .collect::<Vec<_>>()
        .join("\n    ")
}

/// The substitutions of a `quads × 4` rows by `columns` block for `lines`, in `ty`.
pub(super) fn block(lines: &Lines, quads: usize, columns: usize, ty: &str) -> Vec<(&'static str, String)> {
    let mut rows = Vec::new();
    let mut load_a = Vec::new();
    for q in 0..quads {
        rows.push(format!(
            "let r{q} = min(vec4<u32>(row0 + {}u) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(rows - 1u)) * row_stride;",
            4 * q
        ));
        load_a.push(format!(
            "let a{q} = vec4<{ty}>(src_a[ai + r{q}.x], src_a[ai + r{q}.y], src_a[ai + r{q}.z], src_a[ai + r{q}.w]);"
        ));
    }
    let mut step = load_a;
    step.push(per_column(lines.index, columns));
    let mut accumulators = Vec::new();
    let mut store = Vec::new();
    for j in 0..columns {
        step.push(format!("let v{j} = select({ty}(0.0), src_b[bi{j}], ok{j});"));
        store.push(format!("if (live{j}) {{"));
        for q in 0..quads {
            accumulators.push(format!("var acc{j}_{q} = vec4<{ty}>(0.0);"));
            step.push(format!("acc{j}_{q} += a{q} * v{j};"));
            for (k, lane) in ["x", "y", "z", "w"].iter().enumerate() {
                let r = 4 * q + k;
                store.push(format!(
                    "    if (row0 + {r}u < rows) {{ out[obase{j} + {r}u * out_stride] = acc{j}_{q}.{lane}; }}"
                ));
            }
        }
        store.push("}".to_string());
    }
    let columns_text = format!(
        "{}\n    {}",
        per_column(lines.columns, columns),
        accumulators.join("\n    ")
    );
    vec![
        ("ROWS", rows.join("\n    ")),
        ("COLUMNS", columns_text),
        ("TAPS", per_column(lines.taps, columns)),
        ("STEP", step.join("\n                ")),
        ("STORE", store.join("\n    ")),
        ("TM", (4 * quads).to_string()),
        ("TN", columns.to_string()),
        ("T", ty.to_string()),
    ]
}
