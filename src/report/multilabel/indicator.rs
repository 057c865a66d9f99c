//! The shape and value checks shared by every multi-label metric, so that each one refuses
//! bad data with the same messages, and the thresholding of scores into predictions.

use crate::{Error, Result};

/// Multi-hot predictions from scores: 1 where `score >= threshold`, else 0 (PyTorch's
/// `(scores >= threshold)`); a NaN score compares false, so it predicts 0.
pub fn threshold(scores: &[f64], threshold: f64) -> Vec<u8> {
    scores.iter().map(|&s| u8::from(s >= threshold)).collect()
}

/// The fewest labels scikit-learn reads as multilabel-indicator data: one column is binary.
pub(super) const MULTILABEL_MIN_LABELS: usize = 2;

fn data_error(metric: &str, message: String) -> Error {
    Error::Data(format!("{metric}: {message}"))
}

/// The number of samples of `what`, a row-major matrix of `len` values in rows of `labels`.
pub(super) fn sample_count(metric: &str, what: &str, len: usize, labels: usize) -> Result<usize> {
    if labels == 0 {
        return Err(data_error(metric, "0 labels; there must be at least one".to_string()));
    }
    if !len.is_multiple_of(labels) {
        return Err(data_error(
            metric,
            format!("{what} has {len} values, not a whole number of samples of {labels} labels"),
        ));
    }
    Ok(len / labels)
}

/// Checks that every value of `what` is 0 or 1, naming the first one that is not by its
/// sample and label. Generic so that float targets (0.0/1.0, as training feeds them) pass
/// through the same check as `u8` ones.
pub(super) fn check_multi_hot<T: Copy + Into<f64>>(
    metric: &str,
    what: &str,
    values: &[T],
    labels: usize,
) -> Result<()> {
    match values.iter().position(|&v| {
        let v: f64 = v.into();
        v != 0.0 && v != 1.0
    }) {
        None => Ok(()),
        Some(i) => Err(data_error(
            metric,
            format!(
                "{what} of sample {}, label {} is {}; multi-hot values must be 0 or 1",
                i / labels,
                i % labels,
                values[i].into()
            ),
        )),
    }
}

/// Checks that `scores` is finite, as scikit-learn requires of scores it ranks.
pub(super) fn check_finite(metric: &str, scores: &[f64], labels: usize) -> Result<()> {
    match scores.iter().position(|s| !s.is_finite()) {
        None => Ok(()),
        Some(i) => Err(data_error(
            metric,
            format!(
                "score of sample {}, label {} is {}; scores must be finite",
                i / labels,
                i % labels,
                scores[i]
            ),
        )),
    }
}

/// Checks that `other` (predictions or scores) has the shape of `y_true`, that there is at
/// least one sample and `min_labels` labels, and that `y_true` is multi-hot; returns the
/// number of samples.
pub(super) fn check_against_targets(
    metric: &str,
    y_true: &[u8],
    other_name: &str,
    other_len: usize,
    labels: usize,
    min_labels: usize,
) -> Result<usize> {
    let samples = sample_count(metric, "y_true", y_true.len(), labels)?;
    let other_samples = sample_count(metric, other_name, other_len, labels)?;
    if samples != other_samples {
        return Err(data_error(
            metric,
            format!("y_true has {samples} samples but {other_name} has {other_samples} (of {labels} labels)"),
        ));
    }
    if samples == 0 {
        return Err(data_error(
            metric,
            "no samples; scikit-learn needs at least one".to_string(),
        ));
    }
    if labels < min_labels {
        return Err(data_error(
            metric,
            format!(
                "{labels} label; multi-label data needs at least {min_labels} (scikit-learn reads \
                 a single column as binary targets, with classes 0 and 1)"
            ),
        ));
    }
    check_multi_hot(metric, "y_true", y_true, labels)?;
    Ok(samples)
}

/// [`check_against_targets`] for multi-hot predictions, which are checked too.
pub(super) fn check_predictions(
    metric: &str,
    y_true: &[u8],
    y_pred: &[u8],
    labels: usize,
    min_labels: usize,
) -> Result<usize> {
    let samples = check_against_targets(metric, y_true, "y_pred", y_pred.len(), labels, min_labels)?;
    check_multi_hot(metric, "y_pred", y_pred, labels)?;
    Ok(samples)
}
