//! Holding out a validation set from a multi-label training set.

use super::MultiLabelDataset;
use crate::{Error, Generator, Result};

/// Splits `train` into `(train, validation)`, with `fraction` of the images (rounded to the
/// nearest whole image) in the validation set, chosen by a generator seeded with `seed`.
///
/// Unlike [`split_validation`](crate::data::split_validation) the split is not stratified:
/// an image belongs to several labels at once, so there is no one class per image to balance
/// over. A plain seeded shuffle keeps each label's share close to the whole's when the set is
/// large; the seed makes the split the same on every run. Both parts keep the images in their
/// original order.
///
/// Returns [`Error::Config`] unless `0 <= fraction < 1`.
pub fn split_validation_multilabel(
    train: MultiLabelDataset,
    fraction: f64,
    seed: u64,
) -> Result<(MultiLabelDataset, MultiLabelDataset)> {
    if !(0.0..1.0).contains(&fraction) {
        return Err(Error::Config(format!(
            "validation fraction {fraction} must be at least 0 and below 1"
        )));
    }
    let mut order: Vec<usize> = (0..train.len()).collect();
    Generator::new(seed).shuffle(&mut order);
    let n_val = ((train.len() as f64 * fraction).round() as usize).min(train.len());
    let (held_out, keep) = order.split_at_mut(n_val);
    keep.sort_unstable();
    held_out.sort_unstable();
    Ok((train.subset(keep), train.subset(held_out)))
}
