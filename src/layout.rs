//! Shape, strides and offset: how a tensor's elements sit in its storage.
//!
//! Views (reshape of contiguous data, permute, narrow, expand) only build a new [`Layout`] over the
//! same storage; backends read any layout, so no view copies data.

/// Element strides of a contiguous (row-major) tensor of this shape.
pub fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; shape.len()];
    let mut acc = 1;
    for d in (0..shape.len()).rev() {
        strides[d] = acc;
        acc *= shape[d];
    }
    strides
}

/// Number of elements of a shape (1 for a scalar of shape `[]`).
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Shape, element strides and element offset of a strided view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    shape: Vec<usize>,
    strides: Vec<usize>,
    offset: usize,
}

impl Layout {
    /// A contiguous row-major layout starting at element 0.
    pub fn contiguous(shape: &[usize]) -> Layout {
        Layout {
            shape: shape.to_vec(),
            strides: contiguous_strides(shape),
            offset: 0,
        }
    }

    /// A layout from its parts. The caller guarantees every index stays inside the storage.
    pub fn new(shape: Vec<usize>, strides: Vec<usize>, offset: usize) -> Layout {
        assert_eq!(
            shape.len(),
            strides.len(),
            "layout: shape {shape:?} and strides {strides:?} differ in rank"
        );
        Layout { shape, strides, offset }
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    pub fn strides(&self) -> &[usize] {
        &self.strides
    }

    pub fn offset(&self) -> usize {
        self.offset
    }

    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    pub fn numel(&self) -> usize {
        numel(&self.shape)
    }

    /// Whether the elements are stored row-major without gaps (the offset may be non-zero).
    pub fn is_contiguous(&self) -> bool {
        let mut acc = 1;
        for d in (0..self.shape.len()).rev() {
            if self.shape[d] != 1 && self.strides[d] != acc {
                return false;
            }
            acc *= self.shape[d];
        }
        true
    }

    /// The storage range `offset..offset+numel` if the layout is contiguous.
    pub fn contiguous_range(&self) -> Option<std::ops::Range<usize>> {
        self.is_contiguous().then(|| self.offset..self.offset + self.numel())
    }

    /// Reorders the dimensions: dimension `i` of the result is dimension `perm[i]` of `self`.
    pub fn permute(&self, perm: &[usize]) -> Layout {
        Layout {
            shape: perm.iter().map(|&p| self.shape[p]).collect(),
            strides: perm.iter().map(|&p| self.strides[p]).collect(),
            offset: self.offset,
        }
    }

    /// Keeps `len` entries of dimension `dim` starting at `start`.
    pub fn narrow(&self, dim: usize, start: usize, len: usize) -> Layout {
        let mut shape = self.shape.clone();
        shape[dim] = len;
        Layout {
            shape,
            strides: self.strides.clone(),
            offset: self.offset + start * self.strides[dim],
        }
    }

    /// Broadcasts to `shape` (numpy rules, new dimensions in front) with zero strides.
    /// Returns `None` when the shapes are not broadcast-compatible.
    pub fn expand(&self, shape: &[usize]) -> Option<Layout> {
        if shape.len() < self.rank() {
            return None;
        }
        let lead = shape.len() - self.rank();
        let mut strides = vec![0; shape.len()];
        for (d, &size) in shape.iter().enumerate() {
            if d < lead {
                continue;
            }
            let src = self.shape[d - lead];
            if src == size {
                strides[d] = self.strides[d - lead];
            } else if src != 1 {
                return None;
            }
        }
        Some(Layout {
            shape: shape.to_vec(),
            strides,
            offset: self.offset,
        })
    }

    /// A view with a new shape over the same elements, when the strides allow one without a copy
    /// (PyTorch's `view` rule: each new dimension must lie inside a run of old dimensions that
    /// are laid out contiguously with respect to each other).
    pub fn reshape(&self, shape: &[usize]) -> Option<Layout> {
        debug_assert_eq!(numel(shape), self.numel());
        if self.is_contiguous() {
            return Some(Layout {
                shape: shape.to_vec(),
                strides: contiguous_strides(shape),
                offset: self.offset,
            });
        }
        // Merge the old dimensions into chunks of mutually contiguous dimensions, then split each
        // chunk among consecutive new dimensions.
        let old: Vec<(usize, usize)> = self
            .shape
            .iter()
            .zip(&self.strides)
            .filter(|(&s, _)| s != 1)
            .map(|(&s, &st)| (s, st))
            .collect();
        let mut new_strides = vec![0; shape.len()];
        let mut oi = 0;
        let mut ni = 0;
        while ni < shape.len() {
            if shape[ni] == 1 {
                new_strides[ni] = 1;
                ni += 1;
                continue;
            }
            if oi >= old.len() {
                return None;
            }
            // One chunk of old dims: sizes multiply, each inner stride times size = outer stride.
            let mut chunk_size = old[oi].0;
            let mut chunk_end = oi;
            while chunk_end + 1 < old.len() && old[chunk_end].1 == old[chunk_end + 1].1 * old[chunk_end + 1].0 {
                chunk_end += 1;
                chunk_size *= old[chunk_end].0;
            }
            let innermost_stride = old[chunk_end].1;
            // New dims that exactly consume this chunk.
            let mut acc = 1;
            let start = ni;
            while ni < shape.len() && acc < chunk_size {
                acc *= shape[ni];
                ni += 1;
            }
            if acc != chunk_size {
                return None;
            }
            let mut stride = innermost_stride;
            for d in (start..ni).rev() {
                new_strides[d] = stride;
                stride *= shape[d];
            }
            oi = chunk_end + 1;
        }
        if oi != old.len() {
            return None;
        }
        Some(Layout {
            shape: shape.to_vec(),
            strides: new_strides,
            offset: self.offset,
        })
    }
}

/// The numpy/PyTorch broadcast of two shapes, or `None` if they are incompatible.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for i in 0..rank {
        let da = if i < rank - a.len() { 1 } else { a[i - (rank - a.len())] };
        let db = if i < rank - b.len() { 1 } else { b[i - (rank - b.len())] };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return None;
        };
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reshape_of_permuted_splits_within_chunks() {
        // [2, 3, 4] permuted to [3, 2, 4]: dims (2,4) are not mergeable with 3.
        let l = Layout::contiguous(&[2, 3, 4]).permute(&[1, 0, 2]);
        let r = l.reshape(&[3, 2, 2, 2]).expect("splitting the last dim is a view");
        assert_eq!(r.strides(), &[4, 12, 2, 1]);
        assert!(
            l.reshape(&[6, 4]).is_none(),
            "merging non-adjacent strides needs a copy"
        );
        assert!(l.reshape(&[3, 8]).is_none());
    }

    #[test]
    fn broadcast_rules_match_numpy() {
        assert_eq!(broadcast_shapes(&[3, 1, 5], &[4, 1]), Some(vec![3, 4, 5]));
        assert_eq!(broadcast_shapes(&[], &[2, 2]), Some(vec![2, 2]));
        assert_eq!(broadcast_shapes(&[3], &[4]), None);
    }
}
