//! Per-label confusion matrices, precision, recall, F1 and support, and their four averages,
//! as scikit-learn's `multilabel_confusion_matrix` and `precision_recall_fscore_support`
//! compute them on multilabel-indicator data.

use super::indicator::{check_predictions, MULTILABEL_MIN_LABELS};
use crate::report::classification_report::{mean, weighted_mean, ClassScores};
use crate::Result;

/// How per-label (or per-sample) scores are averaged into one, as scikit-learn's `average`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Average {
    /// Scores of the counts pooled over every label: each (sample, label) entry weighs one.
    Micro,
    /// Unweighted mean of the per-label scores: rare labels weigh as much as common ones.
    Macro,
    /// Mean of the per-label scores weighted by support (the plain mean when no label has
    /// a true sample, as scikit-learn falls back to).
    Weighted,
    /// Mean over samples of each sample's scores of its own label set. A sample with no
    /// true labels has recall 0/0, one with no predicted labels precision 0/0, and one with
    /// neither F1 0/0: all score 0.0 and still count in the mean.
    Samples,
}

impl Average {
    /// The averages of a multi-label report, in its line order.
    pub const ALL: [Average; 4] = [Average::Micro, Average::Macro, Average::Weighted, Average::Samples];

    /// The report's heading of the average ("micro avg").
    pub fn heading(self) -> &'static str {
        match self {
            Average::Micro => "micro avg",
            Average::Macro => "macro avg",
            Average::Weighted => "weighted avg",
            Average::Samples => "samples avg",
        }
    }
}

/// True positives, true and predicted counts of one label (over samples) or of one sample
/// (over labels): all that precision, recall and F1 are made of.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    tp: usize,
    true_count: usize,
    predicted: usize,
}

impl Counts {
    fn add(&mut self, truth: u8, prediction: u8) {
        self.tp += usize::from(truth == 1 && prediction == 1);
        self.true_count += usize::from(truth);
        self.predicted += usize::from(prediction);
    }

    fn scores(self) -> ClassScores {
        ClassScores::from_counts(self.tp, self.true_count, self.predicted)
    }
}

/// Counts per label, of validated data.
fn label_counts(y_true: &[u8], y_pred: &[u8], labels: usize) -> Vec<Counts> {
    let mut counts = vec![Counts::default(); labels];
    for (t, p) in y_true.chunks(labels).zip(y_pred.chunks(labels)) {
        for (c, (&truth, &prediction)) in counts.iter_mut().zip(t.iter().zip(p)) {
            c.add(truth, prediction);
        }
    }
    counts
}

/// Counts per sample, of validated data.
fn sample_counts(y_true: &[u8], y_pred: &[u8], labels: usize) -> Vec<Counts> {
    y_true
        .chunks(labels)
        .zip(y_pred.chunks(labels))
        .map(|(t, p)| {
            let mut c = Counts::default();
            for (&truth, &prediction) in t.iter().zip(p) {
                c.add(truth, prediction);
            }
            c
        })
        .collect()
}

/// Per label `[[tn, fp], [fn, tp]]`: row = truth, column = prediction, each label's samples
/// read as a binary problem (scikit-learn's `multilabel_confusion_matrix` layout).
///
/// Errors on bad data, no samples, or fewer than 2 labels (see the module notes).
pub fn multilabel_confusion_matrix(y_true: &[u8], y_pred: &[u8], labels: usize) -> Result<Vec<[[usize; 2]; 2]>> {
    let samples = check_predictions(
        "multilabel confusion matrix",
        y_true,
        y_pred,
        labels,
        MULTILABEL_MIN_LABELS,
    )?;
    Ok(label_counts(y_true, y_pred, labels)
        .into_iter()
        .map(|c| {
            let fp = c.predicted - c.tp;
            let fn_ = c.true_count - c.tp;
            [[samples - c.tp - fp - fn_, fp], [fn_, c.tp]]
        })
        .collect())
}

/// Precision, recall, F1 and support (number of samples with the label) of each label, in
/// label order; a ratio with a zero denominator is 0.0.
///
/// Errors on bad data, no samples, or fewer than 2 labels (see the module notes).
pub fn per_label_scores(y_true: &[u8], y_pred: &[u8], labels: usize) -> Result<Vec<ClassScores>> {
    check_predictions("per-label scores", y_true, y_pred, labels, MULTILABEL_MIN_LABELS)?;
    Ok(scores_per_label(y_true, y_pred, labels))
}

/// [`per_label_scores`] of validated data.
pub(super) fn scores_per_label(y_true: &[u8], y_pred: &[u8], labels: usize) -> Vec<ClassScores> {
    label_counts(y_true, y_pred, labels)
        .into_iter()
        .map(Counts::scores)
        .collect()
}

/// Precision, recall and F1 averaged as scikit-learn's `precision_recall_fscore_support(...,
/// average=...)`. `support` is the number of true (sample, label) entries, the count the
/// report prints beside every average.
///
/// Errors on bad data, no samples, or fewer than 2 labels (see the module notes).
pub fn average_scores(y_true: &[u8], y_pred: &[u8], labels: usize, average: Average) -> Result<ClassScores> {
    check_predictions("averaged scores", y_true, y_pred, labels, MULTILABEL_MIN_LABELS)?;
    let per_label = scores_per_label(y_true, y_pred, labels);
    Ok(averaged(y_true, y_pred, labels, &per_label, average))
}

/// [`average_scores`] of validated data whose per-label scores are already known, so that
/// the report computes them once for its rows and all four averages.
pub(super) fn averaged(
    y_true: &[u8],
    y_pred: &[u8],
    labels: usize,
    per_label: &[ClassScores],
    average: Average,
) -> ClassScores {
    let support: Vec<usize> = per_label.iter().map(|s| s.support).collect();
    let total_support = support.iter().sum();
    let column = |f: fn(&ClassScores) -> f64, of: &[ClassScores]| of.iter().map(f).collect::<Vec<f64>>();
    let (precision, recall, f1) = match average {
        Average::Micro => {
            let mut pooled = Counts::default();
            for (&truth, &prediction) in y_true.iter().zip(y_pred) {
                pooled.add(truth, prediction);
            }
            let pooled = pooled.scores();
            (pooled.precision, pooled.recall, pooled.f1)
        }
        Average::Macro => (
            mean(&column(|s| s.precision, per_label)),
            mean(&column(|s| s.recall, per_label)),
            mean(&column(|s| s.f1, per_label)),
        ),
        Average::Weighted => (
            weighted_mean(&column(|s| s.precision, per_label), &support),
            weighted_mean(&column(|s| s.recall, per_label), &support),
            weighted_mean(&column(|s| s.f1, per_label), &support),
        ),
        Average::Samples => {
            let per_sample: Vec<ClassScores> = sample_counts(y_true, y_pred, labels)
                .into_iter()
                .map(Counts::scores)
                .collect();
            (
                mean(&column(|s| s.precision, &per_sample)),
                mean(&column(|s| s.recall, &per_sample)),
                mean(&column(|s| s.f1, &per_sample)),
            )
        }
    };
    ClassScores {
        precision,
        recall,
        f1,
        support: total_support,
    }
}
