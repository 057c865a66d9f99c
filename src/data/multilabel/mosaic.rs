//! A multi-label task built from a single-label dataset, so multi-label training runs with no
//! data on disk: each image is a 2×2 mosaic of four source images, labelled with the set of
//! their classes.

use super::MultiLabelDataset;
use crate::data::{load_embedded, Dataset};
use crate::{Generator, Result};

/// How many mosaics [`load_mosaic`] builds for training: as many as the embedded training
/// split has images, so an epoch takes as many steps as one over the embedded set.
pub const MOSAIC_TRAIN_COUNT: usize = 5000;

/// How many mosaics [`load_mosaic`] builds for testing: as many as the embedded test split has
/// images.
pub const MOSAIC_TEST_COUNT: usize = 1000;

/// `count` mosaics of four images of `source` each, drawn uniformly with replacement by a
/// generator seeded with `seed` (the same seed gives the same mosaics).
///
/// An image of shape `[C, H, W]` in `source` gives mosaics of `[C, 2H, 2W]`: the first image
/// drawn top-left, then top-right, bottom-left, bottom-right. A mosaic's targets mark the
/// classes of its four images: one to four labels out of the source's classes, named as the
/// source names them. The same class twice is one label: the task is which classes appear, not
/// how often.
///
/// Panics if `source` is empty: there is nothing to draw from (every loader returns an error
/// rather than an empty dataset).
pub fn mosaic_dataset(source: &Dataset, count: usize, seed: u64) -> MultiLabelDataset {
    assert!(
        !source.is_empty(),
        "mosaic_dataset: cannot draw mosaics from an empty dataset"
    );
    let [c, h, w] = source.image_shape();
    let (mosaic_len, k) = (c * 4 * h * w, source.num_classes());
    let mut gen = Generator::new(seed);
    let mut pixels = vec![0u8; count * mosaic_len];
    let mut targets = vec![0u8; count * k];
    for m in 0..count {
        for quadrant in 0..4 {
            let drawn = gen.below(source.len() as u64) as usize;
            let mosaic = &mut pixels[m * mosaic_len..(m + 1) * mosaic_len];
            place(mosaic, source.image_bytes(drawn), [c, h, w], quadrant);
            targets[m * k + source.labels()[drawn]] = 1;
        }
    }
    MultiLabelDataset::new(pixels, targets, [c, 2 * h, 2 * w], source.class_names().to_vec())
        .expect("mosaic_dataset: sizes and 0/1 targets hold by construction")
}

/// Copies `image` (`[C, H, W]`) into `quadrant` (0 top-left, 1 top-right, 2 bottom-left,
/// 3 bottom-right) of `mosaic` (`[C, 2H, 2W]`).
fn place(mosaic: &mut [u8], image: &[u8], [c, h, w]: [usize; 3], quadrant: usize) {
    let (top, left) = ((quadrant / 2) * h, (quadrant % 2) * w);
    for channel in 0..c {
        for y in 0..h {
            let from = (channel * h + y) * w;
            let to = (channel * 2 * h + top + y) * 2 * w + left;
            mosaic[to..to + w].copy_from_slice(&image[from..from + w]);
        }
    }
}

/// The built-in multi-label task: [`MOSAIC_TRAIN_COUNT`] training mosaics of the embedded
/// Fashion-MNIST training split and [`MOSAIC_TEST_COUNT`] test mosaics of its test split
/// (`[1, 56, 56]`, 10 labels), so no test mosaic holds a training image.
///
/// `seed` seeds a generator that draws the seeds of the two streams, so train and test are
/// drawn independently and the whole task is the same for the same `seed`.
pub fn load_mosaic(seed: u64) -> Result<(MultiLabelDataset, MultiLabelDataset)> {
    let (train, test) = load_embedded()?;
    let mut seeds = Generator::new(seed);
    let train_seed = seeds.below(u64::MAX);
    let test_seed = seeds.below(u64::MAX);
    Ok((
        mosaic_dataset(&train, MOSAIC_TRAIN_COUNT, train_seed),
        mosaic_dataset(&test, MOSAIC_TEST_COUNT, test_seed),
    ))
}
