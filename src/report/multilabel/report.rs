//! scikit-learn's `classification_report` text on multilabel-indicator data, byte for byte,
//! in the multiclass report's layout.

use super::indicator::{check_predictions, MULTILABEL_MIN_LABELS};
use super::scores::{averaged, scores_per_label, Average};
use crate::report::classification_report::ReportLayout;
use crate::{Error, Result};

/// The text of scikit-learn's `classification_report(y_true, y_pred,
/// target_names=target_names, digits=digits, zero_division=0)` on multi-hot `y_true` and
/// `y_pred` of `labels` columns: a row per label, then the micro, macro, weighted and
/// samples averages (see [`Average`]), each with the total support. There is no accuracy
/// line: scikit-learn prints one only when the micro average is the accuracy, which
/// single-label data alone makes it.
///
/// Errors on bad data, no samples, fewer than 2 labels (see the module notes), or a number
/// of target names other than `labels`.
pub fn multilabel_classification_report(
    y_true: &[u8],
    y_pred: &[u8],
    labels: usize,
    target_names: &[String],
    digits: usize,
) -> Result<String> {
    const METRIC: &str = "multilabel classification report";
    check_predictions(METRIC, y_true, y_pred, labels, MULTILABEL_MIN_LABELS)?;
    if target_names.len() != labels {
        return Err(Error::Data(format!(
            "{METRIC}: {} target names for {labels} labels",
            target_names.len()
        )));
    }
    let per_label = scores_per_label(y_true, y_pred, labels);
    let layout = ReportLayout::new(target_names, digits);
    let mut out = layout.header();
    for (name, s) in target_names.iter().zip(&per_label) {
        out += &layout.row(name, s.precision, s.recall, s.f1, s.support);
    }
    out.push('\n');
    for average in Average::ALL {
        let s = averaged(y_true, y_pred, labels, &per_label, average);
        out += &layout.row(average.heading(), s.precision, s.recall, s.f1, s.support);
    }
    Ok(out)
}
