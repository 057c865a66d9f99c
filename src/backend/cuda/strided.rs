//! `Strided`: the by-value operand descriptor every kernel takes, the Rust mirror of `struct
//! Strided` in kernels/common.cuh (same fields, same order, `#[repr(C)]`).

use cudarc::driver::DeviceRepr;

use crate::{Error, Layout, Result};

/// Largest rank a descriptor holds (`LL_MAX_RANK` in kernels/common.cuh). Layouts are merged
/// first (size-1 dimensions dropped, runs of mutually contiguous dimensions fused), so only a
/// layout that keeps more than this many independent dimensions is refused.
pub const MAX_RANK: usize = 12;

/// Shape, strides and offset of one operand, in elements; element `i` (row-major over `shape`)
/// sits at `offset + Σ_d coord_d · strides_d` (`ll_offset` in the prelude).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Strided {
    pub shape: [i64; MAX_RANK],
    pub strides: [i64; MAX_RANK],
    pub offset: i64,
    pub rank: i32,
    /// 1 when the element count is below 2^32 (the kernel then decodes indices in 32 bits).
    pub small: i32,
}

// SAFETY: plain old data with the C layout of the kernels' `struct Strided`.
unsafe impl DeviceRepr for Strided {}

/// Element counts below this decode their indices with 32-bit division.
const SMALL: usize = 1 << 32;

impl Strided {
    /// The descriptor of a layout, dimensions merged where that keeps the row-major order of
    /// its elements (any layout: permuted, sliced, broadcast with zero strides).
    pub fn of(layout: &Layout) -> Result<Strided> {
        Strided::merged(layout.shape(), layout.strides(), layout.offset())
    }

    /// Merged descriptor of explicit parts (e.g. a layout with one stride zeroed).
    pub fn merged(shape: &[usize], strides: &[usize], offset: usize) -> Result<Strided> {
        let numel: usize = shape.iter().product();
        let mut dims: Vec<(usize, usize)> = Vec::with_capacity(shape.len());
        if numel == 0 {
            // Nothing is launched for an empty tensor; keep a valid one-dimensional descriptor.
            dims.push((0, 1));
        } else {
            for (&size, &stride) in shape.iter().zip(strides) {
                if size == 1 {
                    continue;
                }
                match dims.last_mut() {
                    // The previous (outer) dimension steps over exactly this one: fuse them.
                    Some(last) if last.1 == stride * size => *last = (last.0 * size, stride),
                    _ => dims.push((size, stride)),
                }
            }
        }
        Strided::build(&dims, offset, numel, shape)
    }

    /// The descriptor of a layout without merging: kernels that need the coordinates of the
    /// original dimensions (scatter-add) take this.
    pub fn unmerged(layout: &Layout) -> Result<Strided> {
        let dims: Vec<(usize, usize)> = layout
            .shape()
            .iter()
            .copied()
            .zip(layout.strides().iter().copied())
            .collect();
        Strided::build(&dims, layout.offset(), layout.numel(), layout.shape())
    }

    /// `n` contiguous elements from `offset`.
    pub fn contiguous(n: usize, offset: usize) -> Strided {
        Strided::build(&[(n, 1)], offset, n, &[n]).expect("rank 1 fits")
    }

    fn build(dims: &[(usize, usize)], offset: usize, numel: usize, original: &[usize]) -> Result<Strided> {
        if dims.len() > MAX_RANK {
            return Err(Error::Device(format!(
                "cuda: a layout of shape {original:?} keeps {} independent dimensions after merging; \
                 the CUDA kernels take at most {MAX_RANK} (make the tensor contiguous first)",
                dims.len()
            )));
        }
        let mut s = Strided {
            shape: [1; MAX_RANK],
            strides: [0; MAX_RANK],
            offset: offset as i64,
            rank: dims.len() as i32,
            small: i32::from(numel < SMALL),
        };
        for (d, &(size, stride)) in dims.iter().enumerate() {
            s.shape[d] = size as i64;
            s.strides[d] = stride as i64;
        }
        Ok(s)
    }

    /// Storage offset of element `i` (the kernels' `ll_offset`), for tests of the merging.
    pub fn offset_of(&self, i: usize) -> usize {
        let mut rem = i as i64;
        let mut off = self.offset;
        for d in (0..self.rank as usize).rev() {
            off += (rem % self.shape[d]) * self.strides[d];
            rem /= self.shape[d];
        }
        off as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every element of the merged descriptor lands where the layout puts it.
    fn check(layout: &Layout) -> Strided {
        let s = Strided::of(layout).unwrap();
        let plain = Strided::unmerged(layout).unwrap();
        for i in 0..layout.numel() {
            assert_eq!(
                s.offset_of(i),
                plain.offset_of(i),
                "element {i} of {layout:?} (merged {s:?})"
            );
        }
        s
    }

    #[test]
    fn contiguous_layouts_merge_to_one_dimension() {
        let s = check(&Layout::contiguous(&[2, 3, 4]));
        assert_eq!((s.rank, s.shape[0], s.strides[0]), (1, 24, 1));
        let s = check(&Layout::contiguous(&[2, 3, 4]).narrow(0, 1, 1));
        assert_eq!((s.rank, s.offset), (1, 12));
    }

    #[test]
    fn permuted_sliced_and_broadcast_layouts_keep_their_order() {
        let base = Layout::contiguous(&[4, 5, 6]);
        check(&base.permute(&[2, 0, 1]));
        check(&base.narrow(2, 1, 3).permute(&[1, 0, 2]));
        let b = check(&Layout::contiguous(&[5, 1]).expand(&[3, 5, 7]).unwrap());
        assert_eq!(b.rank, 3, "strides 0, 1, 0 cannot fuse: {b:?}");
        let b = check(&Layout::contiguous(&[1, 7]).expand(&[3, 5, 7]).unwrap());
        assert_eq!(b.rank, 2, "the two zero-stride dimensions fuse: {b:?}");
        let scalar = check(&Layout::contiguous(&[]).expand(&[2, 2]).unwrap());
        assert_eq!((scalar.rank, scalar.shape[0], scalar.strides[0]), (1, 4, 0));
        check(&Layout::contiguous(&[1, 1, 1]));
    }

    #[test]
    fn too_many_independent_dimensions_are_refused() {
        let shape = vec![2; MAX_RANK + 1];
        let perm: Vec<usize> = (0..=MAX_RANK).rev().collect();
        let err = Strided::of(&Layout::contiguous(&shape).permute(&perm)).unwrap_err();
        assert!(err.to_string().contains("at most 12"), "{err}");
        assert!(Strided::of(&Layout::contiguous(&shape)).is_ok());
    }
}
