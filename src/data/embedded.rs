//! The Fashion-MNIST subset compiled into the binary (see `data/embedded/README.md`: the first
//! 500 training and 100 test images of each class, MIT licence), so a run needs no data on disk.

use super::{idx, names, Dataset};
use crate::Result;
use std::path::Path;

const TRAIN_IMAGES: &[u8] = include_bytes!("../../data/embedded/fashion-mnist-subset-train-images-idx3-ubyte.gz");
const TRAIN_LABELS: &[u8] = include_bytes!("../../data/embedded/fashion-mnist-subset-train-labels-idx1-ubyte.gz");
const TEST_IMAGES: &[u8] = include_bytes!("../../data/embedded/fashion-mnist-subset-test-images-idx3-ubyte.gz");
const TEST_LABELS: &[u8] = include_bytes!("../../data/embedded/fashion-mnist-subset-test-labels-idx1-ubyte.gz");

fn split(images: &[u8], images_name: &str, labels: &[u8], labels_name: &str) -> Result<Dataset> {
    idx::dataset_from_bytes(
        images,
        Path::new(images_name),
        labels,
        Path::new(labels_name),
        &names::FASHION_MNIST,
    )
}

/// The embedded `(train, test)`: 5000 and 1000 Fashion-MNIST images, 28×28, balanced classes.
///
/// Decoded by the same IDX reader as files on disk, so it is checked the same way.
pub fn load_embedded() -> Result<(Dataset, Dataset)> {
    Ok((
        split(
            TRAIN_IMAGES,
            "<embedded>/fashion-mnist-subset-train-images-idx3-ubyte.gz",
            TRAIN_LABELS,
            "<embedded>/fashion-mnist-subset-train-labels-idx1-ubyte.gz",
        )?,
        split(
            TEST_IMAGES,
            "<embedded>/fashion-mnist-subset-test-images-idx3-ubyte.gz",
            TEST_LABELS,
            "<embedded>/fashion-mnist-subset-test-labels-idx1-ubyte.gz",
        )?,
    ))
}
