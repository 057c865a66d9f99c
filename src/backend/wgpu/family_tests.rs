//! Both kernel families (`lanes::Family`) of the matrix product and the convolutions against
//! the CPU on whatever adapter is present: the device tests exercise only the family the
//! adapter picks (the lanes kernels on the software adapters CI has), so the GPU family would
//! otherwise go untested there.
//! Skipped with a printed reason when no adapter exists, unless `LEARNLOSS_REQUIRE_WGPU=1`.

use super::context::{self, Context};
use super::lanes::Family;
use super::WgpuStorage;
use super::{conv, matmul};
use crate::backend::cpu::CpuStorage;
use crate::backend::{BackendStorage, Conv2dParams};
use crate::{DType, Layout, Result};

/// Deterministic values in [-1, 1) (no RNG needed: the kernels only have to agree).
fn values(n: usize, seed: u64) -> Vec<f32> {
    (0..n as u64)
        .map(|i| {
            let h = (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ seed.wrapping_mul(0xD1B5_4A32_D192_ED03);
            ((h >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

struct Case {
    x: [usize; 4],
    w: [usize; 4],
    p: Conv2dParams,
    /// Read the input and the weight through a transposed view (strides, not contiguous).
    transposed: bool,
}

fn cases() -> Vec<Case> {
    let strided = Conv2dParams {
        stride: [2, 1],
        padding: [1, 2],
        dilation: [1, 2],
    };
    let seed_like = Conv2dParams {
        padding: [1, 1],
        ..Default::default()
    };
    let sparse = Conv2dParams {
        stride: [2, 3],
        padding: [3, 2],
        dilation: [1, 1],
    };
    let mut out = Vec::new();
    for transposed in [false, true] {
        out.extend([
            // Thin (the direct kernels), wide (the tiled products), and the first layer of the
            // seed's models (one input channel, 32 outputs, a 3 × 3 kernel over 28 × 28).
            Case {
                x: [2, 3, 9, 8],
                w: [4, 3, 3, 2],
                p: Conv2dParams::default(),
                transposed,
            },
            Case {
                x: [2, 3, 9, 8],
                w: [4, 3, 3, 2],
                p: strided,
                transposed,
            },
            Case {
                x: [2, 17, 9, 8],
                w: [20, 17, 3, 2],
                p: strided,
                transposed,
            },
            Case {
                x: [3, 1, 28, 28],
                w: [32, 1, 3, 3],
                p: seed_like,
                transposed,
            },
            // More rows than one block (37 > 32) and columns than one workgroup's.
            Case {
                x: [9, 6, 12, 12],
                w: [37, 6, 3, 3],
                p: seed_like,
                transposed,
            },
            Case {
                x: [4, 5, 12, 12],
                w: [9, 5, 7, 7],
                p: sparse,
                transposed,
            },
            Case {
                x: [2, 8, 5, 5],
                w: [16, 8, 1, 1],
                p: Conv2dParams::default(),
                transposed,
            },
        ]);
    }
    out
}

/// A tensor of `shape` as stored and the layout to read it by: contiguous, or stored with its
/// last two dims swapped and read through a transposed view.
fn operand(shape: &[usize], seed: u64, transposed: bool, dtype: DType) -> (CpuStorage, Layout) {
    let v = values(shape.iter().product(), seed);
    let data = match dtype {
        DType::F32 => CpuStorage::F32(v),
        DType::F64 => CpuStorage::F64(v.into_iter().map(f64::from).collect()),
        other => panic!("no {other} operands here"),
    };
    if !transposed {
        return (data, Layout::contiguous(shape));
    }
    let r = shape.len();
    let mut stored = shape.to_vec();
    stored.swap(r - 2, r - 1);
    let mut perm: Vec<usize> = (0..r).collect();
    perm.swap(r - 2, r - 1);
    (data, Layout::contiguous(&stored).permute(&perm))
}

/// A float storage's values, widened to f64.
fn widened(s: &CpuStorage) -> Vec<f64> {
    match s {
        CpuStorage::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
        CpuStorage::F64(v) => v.clone(),
        other => panic!("expected a float storage, got {}", other.dtype()),
    }
}

fn host(s: &WgpuStorage, l: &Layout) -> Vec<f64> {
    widened(&s.to_cpu(l).unwrap())
}

/// Each element of `got` against `want`, both sums of `terms` products of values in [-1, 1):
/// round-off grows with the square root of the length (in either summation order), a wrong
/// index is off by about one term.
fn assert_close(what: &str, family: Family, terms: usize, want: &CpuStorage, got: &[f64]) {
    let eps = if want.dtype() == DType::F32 { 2e-5 } else { 1e-12 };
    let want = widened(want);
    assert_eq!(want.len(), got.len(), "{what} ({family:?}): lengths differ");
    let tol = eps * (terms as f64).sqrt().max(1.0);
    for (i, (w, g)) in want.iter().zip(got).enumerate() {
        assert!(
            (w - g).abs() <= tol * w.abs().max(1.0),
            "{what} ({family:?}): element {i}: cpu {w}, wgpu {g}"
        );
    }
}

fn check(ctx: &Context, family: Family, dtype: DType, c: &Case) -> Result<()> {
    let (x, xl) = operand(&c.x, 1, c.transposed, dtype);
    let (w, wl) = operand(&c.w, 2, c.transposed, dtype);
    let [oh, ow] = c.p.output_size([c.x[2], c.x[3]], [c.w[2], c.w[3]]).unwrap();
    let y_shape = [c.x[0], c.w[0], oh, ow];
    let (g, gl) = operand(&y_shape, 3, false, dtype);
    let (dx, dw, dg) = (
        WgpuStorage::upload(ctx, &x)?,
        WgpuStorage::upload(ctx, &w)?,
        WgpuStorage::upload(ctx, &g)?,
    );
    let what = format!("x {:?}, w {:?}, {:?}, transposed {}", c.x, c.w, c.p, c.transposed);
    let hw = [c.x[2], c.x[3]];
    let y = conv::conv2d(ctx, family, &dx, &xl, &dw, &wl, &c.p)?;
    let k = c.x[1] * c.w[2] * c.w[3];
    assert_close(
        &format!("conv2d, {what}"),
        family,
        k,
        &x.conv2d(&xl, &w, &wl, &c.p)?,
        &host(&y, &Layout::contiguous(&y_shape)),
    );
    let gx = conv::conv2d_input_grad(ctx, family, &dg, &gl, &dw, &wl, &c.p, hw)?;
    let want = g.conv2d_input_grad(&gl, &w, &wl, &c.p, hw)?;
    let k = c.w[0] * c.w[2] * c.w[3];
    assert_close(
        &format!("input grad, {what}"),
        family,
        k,
        &want,
        &host(&gx, &Layout::contiguous(&c.x)),
    );
    let gw = conv::conv2d_weight_grad(ctx, family, &dx, &xl, &dg, &gl, &c.p, [c.w[2], c.w[3]])?;
    let want = x.conv2d_weight_grad(&xl, &g, &gl, &c.p, [c.w[2], c.w[3]])?;
    assert_close(
        &format!("weight grad, {what}"),
        family,
        c.x[0] * oh * ow,
        &want,
        &host(&gw, &Layout::contiguous(&c.w)),
    );
    Ok(())
}

/// `[batch, m, k] · [batch, k, n]`, contiguous or read through transposed views: more columns
/// than rows, fewer (the lanes kernel's transposed product), a long sum, one element.
fn check_matmul(ctx: &Context, family: Family, dtype: DType) -> Result<()> {
    for (batch, m, k, n) in [
        (2, 5, 300, 3),
        (1, 37, 19, 130),
        (3, 130, 7, 10),
        (1, 1, 5, 1),
        (2, 33, 40, 70),
    ] {
        for transposed in [false, true] {
            let (a, al) = operand(&[batch, m, k], 4, transposed, dtype);
            let (b, bl) = operand(&[batch, k, n], 5, transposed, dtype);
            let (da, db) = (WgpuStorage::upload(ctx, &a)?, WgpuStorage::upload(ctx, &b)?);
            let got = matmul::matmul(ctx, family, &da, &al, &db, &bl)?;
            let want = a.matmul(&al, &b, &bl)?;
            let what = format!("matmul {batch} × {m} × {k} × {n}, transposed {transposed}");
            assert_close(
                &what,
                family,
                k,
                &want,
                &host(&got, &Layout::contiguous(&[batch, m, n])),
            );
        }
    }
    Ok(())
}

#[test]
fn both_kernel_families_match_the_cpu() {
    if let Err(e) = context::get() {
        assert!(
            std::env::var("LEARNLOSS_REQUIRE_WGPU").as_deref() != Ok("1"),
            "LEARNLOSS_REQUIRE_WGPU=1 but wgpu is unavailable: {e}"
        );
        println!("skipping the kernel families test: {e}");
        return;
    }
    context::with("kernel families test", |ctx| {
        // f64 where the adapter has SHADER_F64 (lavapipe has; llvmpipe's GL has not).
        let dtypes = if ctx.f64 {
            vec![DType::F32, DType::F64]
        } else {
            vec![DType::F32]
        };
        for dtype in dtypes {
            for family in [Family::Lanes, Family::Tiled] {
                check_matmul(ctx, family, dtype)?;
                for c in cases() {
                    check(ctx, family, dtype, &c)?;
                }
            }
        }
        Ok(())
    })
    .unwrap();
}
