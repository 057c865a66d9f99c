//! scikit-learn's `classification_report` text, byte for byte, plus the confusion matrix and
//! per-class precision/recall/F1 it is built from.
//!
//! The labels are always every class `0..C`, as scikit-learn gives with `labels=range(C)`: a
//! class absent from both `y_true` and `y_pred` keeps its all-zero row, so reports of runs
//! with different predictions line up. A ratio with a zero denominator is scored 0.0, which is
//! scikit-learn's `zero_division="warn"` value (minus the warning). Sums follow numpy's
//! pairwise summation and F1 is `2·tp / (true + pred)` as scikit-learn computes it, so the
//! averages round to the same last digit.

use crate::{Error, Result};

/// Precision, recall, F1 and support of one class (or of one label of multi-label data, see
/// [`multilabel`](crate::report::multilabel)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassScores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Number of samples whose true class is this one (that carry the label).
    pub support: usize,
}

/// `counts[t][p]`: how many samples of true class `t` were predicted as `p` (scikit-learn's
/// row = truth, column = prediction orientation).
///
/// Errors when the slices differ in length or a label is not below `n_classes`.
pub fn confusion_matrix(y_true: &[usize], y_pred: &[usize], n_classes: usize) -> Result<Vec<Vec<usize>>> {
    if y_true.len() != y_pred.len() {
        return Err(Error::Data(format!(
            "confusion matrix: y_true has {} labels but y_pred has {}",
            y_true.len(),
            y_pred.len()
        )));
    }
    let mut counts = vec![vec![0usize; n_classes]; n_classes];
    for (i, (&t, &p)) in y_true.iter().zip(y_pred).enumerate() {
        if t >= n_classes || p >= n_classes {
            return Err(Error::Data(format!(
                "confusion matrix: sample {i} has y_true {t}, y_pred {p}, \
                 but there are only {n_classes} classes"
            )));
        }
        counts[t][p] += 1;
    }
    Ok(counts)
}

/// Per-class scores for classes `0..n_classes`, in class order.
pub fn per_class_scores(y_true: &[usize], y_pred: &[usize], n_classes: usize) -> Result<Vec<ClassScores>> {
    let counts = confusion_matrix(y_true, y_pred, n_classes)?;
    Ok(scores_from_counts(&counts))
}

impl ClassScores {
    /// The scores of a class (or of one label of multi-label data) from its true positives,
    /// its number of true samples (`support`) and of predicted samples, as scikit-learn's
    /// `precision_recall_fscore_support` divides them.
    pub(crate) fn from_counts(tp: usize, support: usize, predicted: usize) -> ClassScores {
        ClassScores {
            precision: ratio(tp as f64, predicted as f64),
            recall: ratio(tp as f64, support as f64),
            f1: ratio(2.0 * tp as f64, (support + predicted) as f64),
            support,
        }
    }
}

fn scores_from_counts(counts: &[Vec<usize>]) -> Vec<ClassScores> {
    (0..counts.len())
        .map(|c| {
            let support: usize = counts[c].iter().sum();
            let predicted: usize = counts.iter().map(|row| row[c]).sum();
            ClassScores::from_counts(counts[c][c], support, predicted)
        })
        .collect()
}

/// `num / den`, or 0.0 when `den` is 0 (scikit-learn's `zero_division="warn"`).
pub(crate) fn ratio(num: f64, den: f64) -> f64 {
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

/// numpy's pairwise summation of a contiguous float64 array (`np.sum`), so that averages
/// agree with scikit-learn to the last bit: eight accumulators over blocks of at most 128,
/// halves (rounded down to a multiple of 8) above that.
pub(crate) fn numpy_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        a.iter().fold(0.0, |acc, &x| acc + x)
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let whole = n - n % 8;
        let mut i = 8;
        while i < whole {
            for (j, acc) in r.iter_mut().enumerate() {
                *acc += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &a[whole..] {
            res += x;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        numpy_sum(&a[..n2]) + numpy_sum(&a[n2..])
    }
}

/// Unweighted mean as `np.mean`.
pub(crate) fn mean(values: &[f64]) -> f64 {
    numpy_sum(values) / values.len() as f64
}

/// Support-weighted mean as `np.average(values, weights=support)`, falling back to the plain
/// mean when every weight is zero, as scikit-learn's `_nanaverage` does.
pub(crate) fn weighted_mean(values: &[f64], support: &[usize]) -> f64 {
    let total: usize = support.iter().sum();
    if total == 0 {
        return mean(values);
    }
    let products: Vec<f64> = values.iter().zip(support).map(|(v, &w)| v * w as f64).collect();
    numpy_sum(&products) / total as f64
}

/// The text of scikit-learn's
/// `classification_report(y_true, y_pred, labels=range(C), target_names=class_names,
/// digits=digits)`, byte for byte (see the module notes for the choices that makes).
///
/// Errors when there are no classes or no samples (scikit-learn rejects both), when the
/// slices differ in length, or a label is not below `class_names.len()`.
pub fn classification_report(
    y_true: &[usize],
    y_pred: &[usize],
    class_names: &[String],
    digits: usize,
) -> Result<String> {
    let n_classes = class_names.len();
    if n_classes == 0 {
        return Err(Error::Data("classification report: no class names".to_string()));
    }
    if y_true.is_empty() {
        return Err(Error::Data("classification report: no samples".to_string()));
    }
    let counts = confusion_matrix(y_true, y_pred, n_classes)?;
    let scores = scores_from_counts(&counts);

    let layout = ReportLayout::new(class_names, digits);
    let mut out = layout.header();
    for (name, s) in class_names.iter().zip(&scores) {
        out += &layout.row(name, s.precision, s.recall, s.f1, s.support);
    }
    out.push('\n');

    // With labels covering every class, the micro average is the accuracy: sum(tp) / n.
    let n = y_true.len();
    let tp: usize = (0..n_classes).map(|c| counts[c][c]).sum();
    let accuracy = ratio(2.0 * tp as f64, 2.0 * n as f64);
    out += &layout.accuracy_row(accuracy, n);

    let precision: Vec<f64> = scores.iter().map(|s| s.precision).collect();
    let recall: Vec<f64> = scores.iter().map(|s| s.recall).collect();
    let f1: Vec<f64> = scores.iter().map(|s| s.f1).collect();
    out += &layout.row("macro avg", mean(&precision), mean(&recall), mean(&f1), n);
    let support: Vec<usize> = scores.iter().map(|s| s.support).collect();
    out += &layout.row(
        "weighted avg",
        weighted_mean(&precision, &support),
        weighted_mean(&recall, &support),
        weighted_mean(&f1, &support),
        n,
    );
    Ok(out)
}

/// The columns of scikit-learn's report text, shared by the multiclass and the multi-label
/// report: names right-aligned to the longest name or "weighted avg" (or `digits`, if
/// wider), then four 9-wide columns, floats with `digits` decimals.
pub(crate) struct ReportLayout {
    width: usize,
    digits: usize,
}

impl ReportLayout {
    /// Python pads by code points, as Rust's `{:>width$}` pads by `char`s.
    pub(crate) fn new(names: &[String], digits: usize) -> ReportLayout {
        let name_width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
        ReportLayout {
            width: name_width.max("weighted avg".len()).max(digits),
            digits,
        }
    }

    /// The column headings and the blank line under them.
    pub(crate) fn header(&self) -> String {
        let width = self.width;
        format!(
            "{:>width$}  {:>9} {:>9} {:>9} {:>9}\n\n",
            "", "precision", "recall", "f1-score", "support"
        )
    }

    /// One line of scores: a class, a label or an average.
    pub(crate) fn row(&self, name: &str, precision: f64, recall: f64, f1: f64, support: usize) -> String {
        let (width, d) = (self.width, self.digits);
        format!("{name:>width$}  {precision:>9.d$} {recall:>9.d$} {f1:>9.d$} {support:>9}\n")
    }

    /// The multiclass report's accuracy line: the value in the f1-score column.
    pub(crate) fn accuracy_row(&self, accuracy: f64, n: usize) -> String {
        let (width, d) = (self.width, self.digits);
        format!("{:>width$}  {:>9} {:>9} {accuracy:>9.d$} {n:>9}\n", "accuracy", "", "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_sum_matches_sequential_for_short_and_exact_sums() {
        let a: Vec<f64> = (0..300).map(|i| i as f64).collect();
        assert_eq!(numpy_sum(&a), 44850.0);
        assert_eq!(numpy_sum(&a[..5]), 10.0);
        assert_eq!(numpy_sum(&[]), 0.0);
    }

    #[test]
    fn bad_labels_are_errors() {
        let names = vec!["a".to_string(), "b".to_string()];
        assert!(classification_report(&[0, 2], &[0, 1], &names, 4).is_err());
        assert!(classification_report(&[0], &[0, 1], &names, 4).is_err());
        assert!(classification_report(&[], &[], &names, 4).is_err());
        assert!(classification_report(&[0], &[0], &[], 4).is_err());
    }
}
