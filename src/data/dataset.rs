//! An in-memory labelled image dataset and its batches.

use super::pixels::{to_unit, unit_tensor};
use crate::{DType, Device, Error, Result, Tensor};
use std::fmt;

/// Labelled images of one shape `[C, H, W]`, as torchvision's datasets with `ToTensor()` yield
/// them: pixel values `byte / 255` in `[0, 1]`, channels first.
///
/// Every source format stores 8-bit pixels, so the dataset keeps the bytes and divides by 255
/// when it builds a batch: the values are exactly `ToTensor`'s, and the dataset takes a quarter
/// of the memory of an `f32` copy (CIFAR-100's training set is 150 MiB instead of 600).
#[derive(Clone)]
pub struct Dataset {
    pixels: Vec<u8>,
    labels: Vec<usize>,
    image_shape: [usize; 3],
    class_names: Vec<String>,
}

impl Dataset {
    /// A dataset from `labels.len()` images of `image_shape` (`[C, H, W]`, row-major, one image
    /// after another) and their labels, which index `class_names`.
    ///
    /// Returns [`Error::Data`] when the pixel count does not match the labels and shape, or a
    /// label names no class.
    pub fn new(
        pixels: Vec<u8>,
        labels: Vec<usize>,
        image_shape: [usize; 3],
        class_names: Vec<String>,
    ) -> Result<Dataset> {
        let per_image = image_shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| Error::Data(format!("dataset: image shape {image_shape:?} is too large")))?;
        if Some(pixels.len()) != labels.len().checked_mul(per_image) {
            return Err(Error::Data(format!(
                "dataset: {} pixel values do not make {} images of shape {image_shape:?}",
                pixels.len(),
                labels.len()
            )));
        }
        if let Some((i, &label)) = labels.iter().enumerate().find(|(_, &l)| l >= class_names.len()) {
            return Err(Error::Data(format!(
                "dataset: label {label} of image {i} is not one of the {} classes",
                class_names.len()
            )));
        }
        Ok(Dataset {
            pixels,
            labels,
            image_shape,
            class_names,
        })
    }

    /// The number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The number of classes (the length of [`Dataset::class_names`]), whether or not every
    /// class occurs in this dataset: a subset keeps the classifier's output size.
    pub fn num_classes(&self) -> usize {
        self.class_names.len()
    }

    /// `[C, H, W]` of every image.
    pub fn image_shape(&self) -> [usize; 3] {
        self.image_shape
    }

    /// Class names in label order, as the dataset defines them.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// The label of every image, in order.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// How many images each class has.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.num_classes()];
        for &label in &self.labels {
            counts[label] += 1;
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

    /// The images at `indices` as a `[B, C, H, W]` tensor of `dtype` (`F32` or `F64`) and their
    /// labels as an `I64` tensor `[B]`, on `device`.
    ///
    /// Values are computed as `f32` (`byte / 255`, what `ToTensor` gives) and widened for `F64`,
    /// so a double-precision run sees the same inputs as PyTorch's `.double()` of a batch.
    ///
    /// Panics if an index is out of range or `dtype` is not a float type (programmer errors).
    pub fn batch(&self, indices: &[usize], dtype: DType, device: &Device) -> (Tensor, Tensor) {
        assert!(dtype.is_float(), "batch: images need a float dtype, got {dtype}");
        let [c, h, w] = self.image_shape;
        let shape = [indices.len(), c, h, w];
        let mut bytes = Vec::with_capacity(indices.len() * self.image_len());
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            self.check_index(i, "batch");
            bytes.extend_from_slice(self.image_bytes(i));
            labels.push(self.labels[i] as i64);
        }
        let images = unit_tensor(&bytes, &shape, dtype, device);
        (images, Tensor::from_vec(labels, &[indices.len()], device))
    }

    /// The images at `indices`, in that order, with the same shape and class names.
    ///
    /// Panics if an index is out of range.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        let mut pixels = Vec::with_capacity(indices.len() * self.image_len());
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            self.check_index(i, "subset");
            pixels.extend_from_slice(self.image_bytes(i));
            labels.push(self.labels[i]);
        }
        Dataset {
            pixels,
            labels,
            image_shape: self.image_shape,
            class_names: self.class_names.clone(),
        }
    }
}

/// A summary, not the pixels: a dataset holds megabytes.
impl fmt::Debug for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dataset")
            .field("len", &self.len())
            .field("image_shape", &self.image_shape)
            .field("class_names", &self.class_names)
            .finish()
    }
}
