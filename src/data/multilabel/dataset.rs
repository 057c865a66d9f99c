//! An in-memory multi-label image dataset and its batches.

use crate::data::pixels::{float_tensor, to_unit, unit_tensor};
use crate::{DType, Device, Error, Result, Tensor};
use std::collections::HashSet;
use std::fmt;

/// Images of one shape `[C, H, W]`, each with a set of labels out of `K` (none, one or several):
/// the targets of a multi-label classifier trained with a per-label sigmoid loss.
///
/// Pixels are kept as bytes, as [`Dataset`](crate::data::Dataset) keeps them, and scaled to
/// `byte / 255` when a batch is built, so both kinds of dataset feed a model the same values.
/// Targets are multi-hot: `N × K` bytes, each 0 or 1, row `i` marking the labels of image `i`.
#[derive(Clone)]
pub struct MultiLabelDataset {
    pixels: Vec<u8>,
    targets: Vec<u8>,
    image_shape: [usize; 3],
    label_names: Vec<String>,
}

impl MultiLabelDataset {
    /// A dataset from `N` images of `image_shape` (`[C, H, W]`, row-major, one image after
    /// another) and their multi-hot targets (`N × K` values, row by row), where `K` is the
    /// number of `label_names` and `N = targets.len() / K`.
    ///
    /// Returns [`Error::Data`] when there are no label names, a name is repeated, the targets
    /// do not make whole rows, the pixel count does not match `N` images, or a target is
    /// neither 0 nor 1.
    pub fn new(
        pixels: Vec<u8>,
        targets: Vec<u8>,
        image_shape: [usize; 3],
        label_names: Vec<String>,
    ) -> Result<MultiLabelDataset> {
        let k = label_names.len();
        if k == 0 {
            return Err(Error::Data("multi-label dataset: no label names".into()));
        }
        let mut seen = HashSet::with_capacity(k);
        if let Some(name) = label_names.iter().find(|name| !seen.insert(name.as_str())) {
            return Err(Error::Data(format!(
                "multi-label dataset: label name {name:?} is given twice"
            )));
        }
        if !targets.len().is_multiple_of(k) {
            return Err(Error::Data(format!(
                "multi-label dataset: {} target values do not make whole rows of {k} labels",
                targets.len()
            )));
        }
        let n = targets.len() / k;
        let per_image = image_shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| Error::Data(format!("multi-label dataset: image shape {image_shape:?} is too large")))?;
        if Some(pixels.len()) != n.checked_mul(per_image) {
            return Err(Error::Data(format!(
                "multi-label dataset: {} pixel values do not make {n} images of shape {image_shape:?}",
                pixels.len()
            )));
        }
        if let Some((at, &value)) = targets.iter().enumerate().find(|(_, &v)| v > 1) {
            return Err(Error::Data(format!(
                "multi-label dataset: target {value} of image {} for label {:?} is neither 0 nor 1",
                at / k,
                label_names[at % k]
            )));
        }
        Ok(MultiLabelDataset {
            pixels,
            targets,
            image_shape,
            label_names,
        })
    }

    /// The number of images.
    pub fn len(&self) -> usize {
        self.targets.len() / self.num_labels()
    }

    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// `K`, the number of labels (the length of [`MultiLabelDataset::label_names`]), whether
    /// or not every label occurs in this dataset: a subset keeps the classifier's output size.
    pub fn num_labels(&self) -> usize {
        self.label_names.len()
    }

    /// `[C, H, W]` of every image.
    pub fn image_shape(&self) -> [usize; 3] {
        self.image_shape
    }

    /// Label names in target order.
    pub fn label_names(&self) -> &[String] {
        &self.label_names
    }

    /// The multi-hot targets of image `index`: `K` values, 1 where the image has the label.
    ///
    /// Panics if `index` is out of range.
    pub fn targets_of(&self, index: usize) -> &[u8] {
        self.check_index(index, "targets_of");
        let k = self.num_labels();
        &self.targets[index * k..(index + 1) * k]
    }

    /// Every image's targets, row by row (`N × K`).
    pub fn targets(&self) -> &[u8] {
        &self.targets
    }

    /// How many images carry each label.
    pub fn label_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.num_labels()];
        for row in self.targets.chunks_exact(self.num_labels()) {
            for (count, &t) in counts.iter_mut().zip(row) {
                *count += usize::from(t);
            }
        }
        counts
    }

    fn image_len(&self) -> usize {
        self.image_shape.iter().product()
    }

    /// The raw bytes of image `index` (`C·H·W` values, channels first).
    ///
    /// Panics if `index` is out of range.
    pub fn image_bytes(&self, index: usize) -> &[u8] {
        self.check_index(index, "image_bytes");
        let n = self.image_len();
        &self.pixels[index * n..(index + 1) * n]
    }

    /// Image `index` as `ToTensor` gives it: `byte / 255` in `f32`.
    ///
    /// Panics if `index` is out of range.
    pub fn image(&self, index: usize) -> Vec<f32> {
        self.image_bytes(index).iter().map(|&b| to_unit(b)).collect()
    }

    fn check_index(&self, index: usize, op: &str) {
        assert!(
            index < self.len(),
            "{op}: index {index} is out of range for a dataset of {} images",
            self.len()
        );
    }

    /// The images at `indices` as a `[B, C, H, W]` tensor of `dtype` (`F32` or `F64`,
    /// `byte / 255` as [`Dataset::batch`](crate::data::Dataset::batch) computes it) and their
    /// targets as a `[B, K]` tensor of 0.0 and 1.0 in the same dtype, on `device`: the form a
    /// binary cross-entropy over each label takes.
    ///
    /// Panics if an index is out of range or `dtype` is not a float type (programmer errors).
    pub fn batch(&self, indices: &[usize], dtype: DType, device: &Device) -> (Tensor, Tensor) {
        assert!(dtype.is_float(), "batch: images need a float dtype, got {dtype}");
        let [c, h, w] = self.image_shape;
        let mut bytes = Vec::with_capacity(indices.len() * self.image_len());
        let mut targets = Vec::with_capacity(indices.len() * self.num_labels());
        for &i in indices {
            bytes.extend_from_slice(self.image_bytes(i));
            targets.extend_from_slice(self.targets_of(i));
        }
        let images = unit_tensor(&bytes, &[indices.len(), c, h, w], dtype, device);
        let targets = float_tensor(&targets, &[indices.len(), self.num_labels()], dtype, device, f32::from);
        (images, targets)
    }

    /// The images at `indices`, in that order, with the same shape and label names.
    ///
    /// Panics if an index is out of range.
    pub fn subset(&self, indices: &[usize]) -> MultiLabelDataset {
        let mut pixels = Vec::with_capacity(indices.len() * self.image_len());
        let mut targets = Vec::with_capacity(indices.len() * self.num_labels());
        for &i in indices {
            pixels.extend_from_slice(self.image_bytes(i));
            targets.extend_from_slice(self.targets_of(i));
        }
        MultiLabelDataset {
            pixels,
            targets,
            image_shape: self.image_shape,
            label_names: self.label_names.clone(),
        }
    }
}

/// A summary, not the pixels: a dataset holds megabytes.
impl fmt::Debug for MultiLabelDataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MultiLabelDataset")
            .field("len", &self.len())
            .field("image_shape", &self.image_shape)
            .field("label_names", &self.label_names)
            .finish()
    }
}
