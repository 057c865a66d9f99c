//! Average precision from scores, as scikit-learn's `average_precision_score` on
//! multilabel-indicator targets: per label, macro ("mAP") and micro.
//!
//! AP is the step integral of the precision-recall curve, `Σ (R_k − R_{k−1}) · P_k` over
//! the distinct score thresholds from high to low, with no interpolation. Tied scores form
//! one threshold, so their order never matters (`precision_recall_curve`'s thresholds).
//!
//! A label with no positive sample: scikit-learn warns ("No positive class found in
//! y_true") and sets the recall to 1 at every threshold, so the curve's only step is at its
//! start and AP is the precision at the highest threshold, which is 0 without positives:
//! the label's AP is 0.0, and the macro mean counts that 0.0 like any other label. Micro AP
//! is 0.0 when no entry at all is positive.

use super::indicator::{check_against_targets, check_finite};
use crate::report::classification_report::{mean, numpy_sum};
use crate::Result;

/// Checks multi-hot `y_true` against finite `scores` of its shape.
fn check(metric: &str, y_true: &[u8], scores: &[f64], labels: usize) -> Result<()> {
    check_against_targets(metric, y_true, "scores", scores.len(), labels, 1)?;
    check_finite(metric, scores, labels)
}

/// AP of one binary problem: `(score, is positive)` pairs, scores finite.
fn binary_average_precision(mut pairs: Vec<(f64, bool)>) -> f64 {
    // Descending; total_cmp orders -0.0 just below 0.0, so equal scores stay adjacent.
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    // True and false positives at each distinct threshold, highest first: taken at the
    // last sample of each run of equal scores.
    let mut tps = Vec::new();
    let mut fps = Vec::new();
    let mut tp = 0usize;
    for (i, &(score, positive)) in pairs.iter().enumerate() {
        tp += usize::from(positive);
        if pairs.get(i + 1).is_none_or(|next| next.0 != score) {
            tps.push(tp as f64);
            fps.push((i + 1 - tp) as f64);
        }
    }
    let positives = tp as f64;
    let precision: Vec<f64> = tps.iter().zip(&fps).map(|(tp, fp)| tp / (tp + fp)).collect();
    let recall: Vec<f64> = tps
        .iter()
        .map(|tp| if positives == 0.0 { 1.0 } else { tp / positives })
        .collect();
    // scikit-learn's curve runs from the lowest threshold up and ends at (recall 0,
    // precision 1); AP = -Σ diff(recall) · precision[:-1], summed by numpy, clipped at 0.
    let thresholds = tps.len();
    let recall_at = |k: usize| {
        if k == thresholds {
            0.0
        } else {
            recall[thresholds - 1 - k]
        }
    };
    let terms: Vec<f64> = (0..thresholds)
        .map(|k| (recall_at(k + 1) - recall_at(k)) * precision[thresholds - 1 - k])
        .collect();
    let ap = -numpy_sum(&terms);
    if ap > 0.0 {
        ap
    } else {
        0.0
    }
}

/// Validated per-label APs.
fn per_label(y_true: &[u8], scores: &[f64], labels: usize) -> Vec<f64> {
    (0..labels)
        .map(|label| {
            let column = y_true
                .iter()
                .skip(label)
                .step_by(labels)
                .zip(scores.iter().skip(label).step_by(labels))
                .map(|(&truth, &score)| (score, truth == 1))
                .collect();
            binary_average_precision(column)
        })
        .collect()
}

/// scikit-learn's `average_precision_score(y_true, scores, average=None)`: the AP of each
/// label, in label order; 0.0 for a label with no positive sample (see the module notes).
///
/// Errors on bad data, non-finite scores, or no samples.
pub fn average_precision_per_label(y_true: &[u8], scores: &[f64], labels: usize) -> Result<Vec<f64>> {
    check("average precision", y_true, scores, labels)?;
    Ok(per_label(y_true, scores, labels))
}

/// Mean average precision, scikit-learn's `average_precision_score(y_true, scores,
/// average="macro")`: the unweighted mean of every label's AP, labels without a positive
/// sample included at 0.0 (see the module notes).
///
/// Errors on bad data, non-finite scores, or no samples.
pub fn mean_average_precision(y_true: &[u8], scores: &[f64], labels: usize) -> Result<f64> {
    check("mean average precision", y_true, scores, labels)?;
    Ok(mean(&per_label(y_true, scores, labels)))
}

/// scikit-learn's `average_precision_score(y_true, scores, average="micro")`: the AP of
/// every (sample, label) entry ranked together as one binary problem.
///
/// Errors on bad data, non-finite scores, or no samples.
pub fn micro_average_precision(y_true: &[u8], scores: &[f64], labels: usize) -> Result<f64> {
    check("micro average precision", y_true, scores, labels)?;
    let pairs = scores.iter().zip(y_true).map(|(&s, &t)| (s, t == 1)).collect();
    Ok(binary_average_precision(pairs))
}

#[cfg(test)]
mod tests {
    use super::binary_average_precision;

    fn ap(scores: &[f64], positives: &[bool]) -> f64 {
        binary_average_precision(scores.iter().copied().zip(positives.iter().copied()).collect())
    }

    #[test]
    fn matches_sklearn_docstring_example() {
        // average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.8333...
        let got = ap(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]);
        assert!((got - 0.8333333333333333).abs() < 1e-15, "{got}");
    }

    #[test]
    fn ties_form_one_threshold_whatever_their_order() {
        // One threshold over everything: AP is the prevalence, in any order.
        assert_eq!(ap(&[0.5; 4], &[true, false, false, true]), 0.5);
        assert_eq!(ap(&[0.5; 4], &[false, true, true, false]), 0.5);
        // 0.0 and -0.0 are one score, as numpy's diff sees them.
        assert_eq!(
            ap(&[0.0, -0.0, 1.0], &[true, false, true]),
            ap(&[0.0, 0.0, 1.0], &[true, false, true])
        );
    }

    #[test]
    fn no_positive_gives_zero() {
        assert_eq!(ap(&[0.9, 0.1, 0.4], &[false; 3]), 0.0);
    }
}
