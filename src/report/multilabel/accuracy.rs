//! Accuracies of multi-hot predictions: the element-wise accuracy tracked batch by batch
//! during training, and scikit-learn's `accuracy_score` (exact match) and `hamming_loss`.

use super::indicator::{check_multi_hot, check_predictions, sample_count};
use crate::{Error, Result};

/// The fraction of (sample, label) entries predicted right, pooled over batches: the
/// accuracy to track while training multi-label outputs, where a whole-sample exact match
/// ([`subset_accuracy`]) is too strict to move early on. Over the same data it equals
/// scikit-learn's `1 - hamming_loss(y_true, scores >= threshold)`.
///
/// Counts are kept rather than per-batch ratios, so batches of different sizes weigh by
/// their entries and the pooled value is exact.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ElementwiseAccuracy {
    correct: u64,
    total: u64,
    labels: Option<usize>,
}

impl ElementwiseAccuracy {
    pub fn new() -> ElementwiseAccuracy {
        ElementwiseAccuracy::default()
    }

    /// Counts the entries of one batch where `(score >= threshold) == (target == 1)`.
    ///
    /// `scores` and `targets` are row-major `[batch, labels]`; targets may be `u8`, `f32` or
    /// `f64` but must be 0 or 1. A NaN score predicts 0, as PyTorch's comparison does. An
    /// empty batch counts nothing. Errors, counting nothing, on mismatched lengths, a
    /// target other than 0/1, or `labels` different from an earlier batch's (the pooled
    /// value would no longer be one Hamming loss).
    pub fn add_batch<T: Copy + Into<f64>>(
        &mut self,
        scores: &[f64],
        targets: &[T],
        labels: usize,
        threshold: f64,
    ) -> Result<()> {
        const METRIC: &str = "element-wise accuracy";
        sample_count(METRIC, "the batch's scores", scores.len(), labels)?;
        if targets.len() != scores.len() {
            return Err(Error::Data(format!(
                "{METRIC}: {} scores but {} targets",
                scores.len(),
                targets.len()
            )));
        }
        if let Some(earlier) = self.labels.filter(|&l| l != labels) {
            return Err(Error::Data(format!(
                "{METRIC}: batch of {labels} labels after batches of {earlier}"
            )));
        }
        check_multi_hot(METRIC, "target", targets, labels)?;
        let correct = scores
            .iter()
            .zip(targets)
            .filter(|&(&s, &t)| (s >= threshold) == (t.into() == 1.0))
            .count();
        self.correct += correct as u64;
        self.total += scores.len() as u64;
        self.labels = Some(labels);
        Ok(())
    }

    /// Entries predicted right so far.
    pub fn correct(&self) -> u64 {
        self.correct
    }

    /// Entries counted so far: samples × labels.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// `correct / total`, or `None` before any entry was counted (0/0 has no accuracy, and
    /// scikit-learn refuses empty input rather than inventing one).
    pub fn value(&self) -> Option<f64> {
        (self.total > 0).then(|| self.correct as f64 / self.total as f64)
    }
}

/// scikit-learn's `accuracy_score` on multi-label data: the fraction of samples whose
/// predicted label set equals the true one exactly (subset accuracy).
pub fn subset_accuracy(y_true: &[u8], y_pred: &[u8], labels: usize) -> Result<f64> {
    let samples = check_predictions("subset accuracy", y_true, y_pred, labels, 1)?;
    let exact = y_true
        .chunks(labels)
        .zip(y_pred.chunks(labels))
        .filter(|(t, p)| t == p)
        .count();
    Ok(exact as f64 / samples as f64)
}

/// scikit-learn's `hamming_loss` on multi-label data: the fraction of (sample, label)
/// entries predicted wrong.
pub fn hamming_loss(y_true: &[u8], y_pred: &[u8], labels: usize) -> Result<f64> {
    check_predictions("Hamming loss", y_true, y_pred, labels, 1)?;
    let wrong = y_true.iter().zip(y_pred).filter(|(t, p)| t != p).count();
    Ok(wrong as f64 / y_true.len() as f64)
}
