//! Data movement: concatenation, constant padding, gather, scatter-add and index-select.

use super::element::Element;
use super::strided::{contiguous_cow, Plan};
use super::CpuStorage;
use crate::backend::BackendStorage;
use crate::layout::contiguous_strides;
use crate::Layout;
use rayon::prelude::*;

fn check_index(op: &str, i: i64, size: usize, dim: usize) -> usize {
    assert!(
        i >= 0 && (i as usize) < size,
        "{op}: index {i} is out of bounds for dimension {dim} with size {size}"
    );
    i as usize
}

pub fn cat(parts: &[(&CpuStorage, &Layout)], dim: usize) -> CpuStorage {
    let first = parts[0].1.shape();
    let outer: usize = first[..dim].iter().product();
    let inners: Vec<usize> = parts.iter().map(|(_, l)| l.shape()[dim..].iter().product()).collect();
    let total: usize = inners.iter().sum();
    fn cat_typed<T: Element>(parts: &[(&[T], &Layout)], outer: usize, inners: &[usize], total: usize) -> Vec<T> {
        let mut out = vec![T::default(); outer * total];
        let mut start = 0;
        for ((data, layout), &inner) in parts.iter().zip(inners) {
            let src = contiguous_cow(data, layout);
            for o in 0..outer {
                out[o * total + start..o * total + start + inner].copy_from_slice(&src[o * inner..(o + 1) * inner]);
            }
            start += inner;
        }
        out
    }
    macro_rules! typed {
        ($variant:ident) => {{
            let typed: Vec<(&[_], &Layout)> = parts
                .iter()
                .map(|(s, l)| match s {
                    CpuStorage::$variant(v) => (v.as_slice(), *l),
                    other => panic!(
                        "cat: all tensors must share a dtype, got {:?} and {}",
                        parts[0].0.dtype(),
                        other.dtype()
                    ),
                })
                .collect();
            CpuStorage::$variant(cat_typed(&typed, outer, &inners, total))
        }};
    }
    match parts[0].0 {
        CpuStorage::F32(_) => typed!(F32),
        CpuStorage::F64(_) => typed!(F64),
        CpuStorage::I64(_) => typed!(I64),
        CpuStorage::Bool(_) => typed!(Bool),
    }
}

pub fn pad<T: Element>(src: &[T], layout: &Layout, pads: &[(usize, usize)], value: T) -> Vec<T> {
    let out_shape: Vec<usize> = layout.shape().iter().zip(pads).map(|(&s, &(b, a))| s + b + a).collect();
    let out_strides = contiguous_strides(&out_shape);
    let interior = out_strides.iter().zip(pads).map(|(s, (b, _))| s * b).sum();
    let mut out = vec![value; out_shape.iter().product()];
    // Walk the input and its destination (the interior of the output) together.
    let dest = Layout::new(layout.shape().to_vec(), out_strides, interior);
    let plan = Plan::new(layout.shape(), &[layout, &dest]);
    let (si, so) = (plan.inner_strides[0], plan.inner_strides[1]);
    plan.for_rows_in(0, plan.rows(), |_, offs| {
        for i in 0..plan.inner {
            out[offs[1] + i * so] = src[offs[0] + i * si];
        }
    });
    out
}

/// Layout of `layout`'s storage indexed at the positions of `index_shape`, with dimension `dim`'s
/// stride zeroed (the index supplies that coordinate).
fn without_dim(layout: &Layout, index_shape: &[usize], dim: usize) -> Layout {
    let mut strides = layout.strides().to_vec();
    strides[dim] = 0;
    Layout::new(index_shape.to_vec(), strides, layout.offset())
}

pub fn gather<T: Element>(src: &[T], layout: &Layout, dim: usize, index: &[i64], il: &Layout) -> Vec<T> {
    let idx = contiguous_cow(index, il);
    let base = without_dim(layout, il.shape(), dim);
    let contiguous_idx = Layout::contiguous(il.shape());
    let plan = Plan::new(il.shape(), &[&base, &contiguous_idx]);
    let (sb, si) = (plan.inner_strides[0], plan.inner_strides[1]);
    let (size, stride) = (layout.shape()[dim], layout.strides()[dim]);
    let mut out = vec![T::default(); plan.numel()];
    plan.fill_rows(&mut out, |row, offs| {
        for (i, o) in row.iter_mut().enumerate() {
            let j = check_index("gather", idx[offs[1] + i * si], size, dim);
            *o = src[offs[0] + i * sb + j * stride];
        }
    });
    out
}

/// Sequential on purpose: positions may repeat, and a fixed order keeps results reproducible.
pub fn scatter_add<T: Element>(
    base: &[T],
    layout: &Layout,
    dim: usize,
    index: &[i64],
    il: &Layout,
    src: &[T],
    sl: &Layout,
) -> Vec<T> {
    let mut out = super::strided::contiguous_copy(base, layout);
    let out_layout = Layout::contiguous(layout.shape());
    let dest = without_dim(&out_layout, il.shape(), dim);
    let plan = Plan::new(il.shape(), &[&dest, il, sl]);
    let s = plan.inner_strides.clone();
    let (size, stride) = (layout.shape()[dim], out_layout.strides()[dim]);
    plan.for_rows_in(0, plan.rows(), |_, offs| {
        for i in 0..plan.inner {
            let j = check_index("scatter_add", index[offs[1] + i * s[1]], size, dim);
            let pos = offs[0] + i * s[0] + j * stride;
            out[pos] = out[pos].plus(src[offs[2] + i * s[2]]);
        }
    });
    out
}

pub fn index_select<T: Element>(src: &[T], layout: &Layout, dim: usize, index: &[i64], il: &Layout) -> Vec<T> {
    let idx = contiguous_cow(index, il);
    let data = contiguous_cow(src, layout);
    let shape = layout.shape();
    let outer: usize = shape[..dim].iter().product();
    let inner: usize = shape[dim + 1..].iter().product();
    let size = shape[dim];
    let picks: Vec<usize> = idx.iter().map(|&i| check_index("index_select", i, size, dim)).collect();
    let mut out = vec![T::default(); outer * picks.len() * inner];
    if inner == 0 || picks.is_empty() {
        return out;
    }
    out.par_chunks_mut(picks.len() * inner)
        .enumerate()
        .for_each(|(o, block)| {
            for (j, &p) in picks.iter().enumerate() {
                let from = (o * size + p) * inner;
                block[j * inner..(j + 1) * inner].copy_from_slice(&data[from..from + inner]);
            }
        });
    out
}
