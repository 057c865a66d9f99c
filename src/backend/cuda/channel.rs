//! Batch normalisation's per-channel passes over contiguous `[N, C, *]` tensors
//! (kernels/channel.cu): the affine combination (bit-identical to the CPU) and the centred dot
//! product (a fixed reduction tree per channel, no atomics).

use super::launch::{blocks, grid_1d, launch_typed};
use super::layout_ops::{contiguous, Contiguous};
use super::{same_device, CudaStorage};
use crate::backend::ChannelTerm;
use crate::{DType, Error, Layout, Result};

/// `(N, C, inner)` of a `[N, C, *]` shape.
fn split(shape: &[usize]) -> (usize, usize, usize) {
    (shape[0], shape[1], shape[2..].iter().product())
}

fn channels(op: &str, c: usize) -> Result<i32> {
    i32::try_from(c).map_err(|_| Error::Device(format!("cuda: {op}: {c} channels exceed the kernels' 32-bit range")))
}

fn check_operand(op: &str, first: &CudaStorage, other: &CudaStorage) {
    same_device(op, first, other);
    assert_eq!(
        first.dtype, other.dtype,
        "{op}: dtypes {} and {} differ",
        first.dtype, other.dtype
    );
}

/// `operand` as contiguous data (borrowed when it already is), after checking it against `first`.
fn packed<'a>(op: &str, first: &CudaStorage, (s, l): (&'a CudaStorage, &Layout)) -> Result<Contiguous<'a>> {
    check_operand(op, first, s);
    contiguous(s, l)
}

/// `out[n, c, …] = Σ_k (x_k - centre_k[c])·scale_k[c] + shift[c]`, one or two terms.
pub fn channel_affine(
    terms: &[ChannelTerm<'_, CudaStorage>],
    shift: Option<(&CudaStorage, &Layout)>,
) -> Result<CudaStorage> {
    let op = "channel_affine";
    assert!(
        matches!(terms.len(), 1 | 2),
        "{op}: takes one or two terms, got {}",
        terms.len()
    );
    let x0 = terms[0].x.0;
    let dtype = x0.dtype;
    assert!(
        matches!(dtype, DType::F32 | DType::F64),
        "{op}: expected float tensors, got {dtype}"
    );
    let (n, c, inner) = split(terms[0].x.1.shape());
    let ctx = x0.ctx();
    let total = n * c * inner;
    let out = CudaStorage::alloc(ctx, dtype, total)?;
    if total == 0 {
        return Ok(out);
    }
    let packed = |operand| packed(op, x0, operand);
    // [x, centre, scale] per term, then the shift: contiguous (borrowed when already so).
    let mut parts: Vec<[Contiguous<'_>; 3]> = Vec::with_capacity(2);
    for t in terms {
        parts.push([packed(t.x)?, packed(t.centre)?, packed(t.scale)?]);
    }
    let shift = shift.map(packed).transpose()?;
    let null = 0u64;
    let (xb, cb, sb) = match parts.get(1) {
        Some([x, m, s]) => (x.ptr(), m.ptr(), s.ptr()),
        None => (null, null, null),
    };
    let [xa, ca, sa] = &parts[0];
    let args = (
        out.ptr(),
        xa.ptr(),
        ca.ptr(),
        sa.ptr(),
        xb,
        cb,
        sb,
        shift.as_ref().map_or(null, |s| s.ptr()),
        n as i64,
        channels(op, c)?,
        inner as i64,
    );
    launch_typed(ctx, "channel", "channel_affine", dtype, grid_1d(total), args)?;
    Ok(out)
}

/// `out[c] = Σ_{n, …} (a - shift_a[c])·(b - shift_b[c])`, `[C]`.
pub fn channel_dot(
    a: &CudaStorage,
    al: &Layout,
    b: &CudaStorage,
    bl: &Layout,
    [(sa, sal), (sb, sbl)]: [(&CudaStorage, &Layout); 2],
) -> Result<CudaStorage> {
    let op = "channel_dot";
    let dtype = a.dtype;
    assert!(
        matches!(dtype, DType::F32 | DType::F64),
        "{op}: expected float tensors, got {dtype}"
    );
    for other in [b, sa, sb] {
        check_operand(op, a, other);
    }
    let (n, c, inner) = split(al.shape());
    let ctx = a.ctx();
    let out = CudaStorage::alloc(ctx, dtype, c)?;
    if c == 0 {
        return Ok(out);
    }
    // Bound here so that packed copies outlive the launch that reads them.
    let packed = [(a, al), (b, bl), (sa, sal), (sb, sbl)]
        .into_iter()
        .map(|(s, l)| contiguous(s, l))
        .collect::<Result<Vec<_>>>()?;
    let args = (
        out.ptr(),
        packed[0].ptr(),
        packed[1].ptr(),
        packed[2].ptr(),
        packed[3].ptr(),
        n as i64,
        channels(op, c)?,
        inner as i64,
    );
    // One 256-thread block per channel (the kernel's summation order assumes 256 threads;
    // blocks() always gives that), looping over channels past the grid cap.
    launch_typed(ctx, "channel", "channel_dot", dtype, blocks(c), args)?;
    Ok(out)
}
