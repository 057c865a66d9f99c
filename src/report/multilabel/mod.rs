//! Multi-label classification metrics — every sample may carry any number of K labels —
//! equal to scikit-learn's on multilabel-indicator input, the report text byte for byte.
//!
//! Targets and predictions are multi-hot matrices: row-major `&[u8]` of N samples × K labels,
//! each value 0 or 1, with K passed explicitly (N is the length over K). Scores (sigmoid
//! outputs) are `&[f64]` of the same shape. Bad data — a length that is not N × K, a value
//! other than 0/1, a non-finite score — is an [`Error::Data`](crate::Error::Data) naming the
//! fault, never a panic.
//!
//! scikit-learn's own limits are kept, so a value here is always the value scikit-learn
//! gives: no samples (N = 0) and no labels (K = 0) are errors. A single column (K = 1) is
//! accepted where scikit-learn's answer for it is the multi-label formula (accuracies,
//! Hamming loss, average precision) and refused by the confusion matrices, per-label scores
//! and report, because scikit-learn reads one column as binary targets and answers those
//! with classes 0 and 1 instead.
//!
//! A ratio with a zero denominator scores 0.0, as in the multiclass report: scikit-learn's
//! `zero_division=0`, which is also the value of its default `"warn"`.

mod accuracy;
mod average_precision;
mod indicator;
mod report;
mod scores;

pub use accuracy::{hamming_loss, subset_accuracy, ElementwiseAccuracy};
pub use average_precision::{average_precision_per_label, mean_average_precision, micro_average_precision};
pub use indicator::threshold;
pub use report::multilabel_classification_report;
pub use scores::{average_scores, multilabel_confusion_matrix, per_label_scores, Average};
