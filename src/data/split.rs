//! Holding out a validation set from the training set.

use super::Dataset;
use crate::{Error, Generator, Result};

/// Splits `train` into `(train, validation)`, with `fraction` of each class's images (rounded
/// to the nearest whole image) in the validation set, chosen by a generator seeded with `seed`.
///
/// Stratifying keeps the class balance of both parts equal to the whole's, so a small
/// validation set does not misstate accuracy on a rare class; the seed makes the split the same
/// on every run, so a model selected on it can be reproduced. Both parts keep the images in
/// their original order.
///
/// Returns [`Error::Config`] unless `0 <= fraction < 1`.
pub fn split_validation(train: Dataset, fraction: f64, seed: u64) -> Result<(Dataset, Dataset)> {
    if !(0.0..1.0).contains(&fraction) {
        return Err(Error::Config(format!(
            "validation fraction {fraction} must be at least 0 and below 1"
        )));
    }
    let mut by_class = vec![Vec::new(); train.num_classes()];
    for (i, &label) in train.labels().iter().enumerate() {
        by_class[label].push(i);
    }
    let mut gen = Generator::new(seed);
    let mut keep = Vec::with_capacity(train.len());
    let mut held_out = Vec::new();
    for mut members in by_class {
        gen.shuffle(&mut members);
        let n_val = ((members.len() as f64 * fraction).round() as usize).min(members.len());
        held_out.extend_from_slice(&members[..n_val]);
        keep.extend_from_slice(&members[n_val..]);
    }
    keep.sort_unstable();
    held_out.sort_unstable();
    Ok((train.subset(&keep), train.subset(&held_out)))
}
