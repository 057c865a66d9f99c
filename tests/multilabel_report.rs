//! learnloss::report::multilabel against scikit-learn on fixtures made by
//! tests/fixtures/make_multilabel_reports.py: the report text byte for byte, confusion
//! matrices and supports exactly, every other value to 1e-12; then the training accumulator
//! and the errors on bad data.

use std::collections::HashMap;
use std::path::PathBuf;

use learnloss::report::multilabel::{
    average_precision_per_label, average_scores, hamming_loss, mean_average_precision, micro_average_precision,
    multilabel_classification_report, multilabel_confusion_matrix, per_label_scores, subset_accuracy, threshold,
    Average, ElementwiseAccuracy,
};
use learnloss::Error;

#[derive(serde::Deserialize)]
struct Case {
    target_names: Vec<String>,
    digits: usize,
    threshold: f64,
    /// One string of '0'/'1' per sample.
    y_true: Vec<String>,
    y_pred: Vec<String>,
    scores: Vec<Vec<f64>>,
}

#[derive(serde::Deserialize)]
struct PerLabel {
    precision: Vec<f64>,
    recall: Vec<f64>,
    f1: Vec<f64>,
    support: Vec<usize>,
}

/// scikit-learn's values, as the script writes them.
#[derive(serde::Deserialize)]
struct Expected {
    subset_accuracy: f64,
    hamming_loss: f64,
    confusion_matrices: Vec<[[usize; 2]; 2]>,
    per_label: PerLabel,
    /// "micro", "macro", "weighted", "samples" -> [precision, recall, f1].
    averages: HashMap<String, [f64; 3]>,
    average_precision: Vec<f64>,
    mean_average_precision: f64,
    micro_average_precision: f64,
}

/// A case's inputs as the library takes them: row-major multi-hot matrices and scores.
struct Inputs {
    labels: usize,
    y_true: Vec<u8>,
    y_pred: Vec<u8>,
    scores: Vec<f64>,
}

fn multi_hot(rows: &[String]) -> Vec<u8> {
    rows.iter()
        .flat_map(|row| row.bytes())
        .map(|b| match b {
            b'0' => 0,
            b'1' => 1,
            other => panic!("fixture row holds {:?}", other as char),
        })
        .collect()
}

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/multilabel_reports")
}

fn load(name: &str) -> (Case, Inputs, Expected, String) {
    let read =
        |file: String| std::fs::read_to_string(fixture_dir().join(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let case: Case = serde_json::from_str(&read(format!("{name}.json"))).unwrap();
    let expected: Expected = serde_json::from_str(&read(format!("{name}.expected.json"))).unwrap();
    let text = read(format!("{name}.txt"));
    let inputs = Inputs {
        labels: case.target_names.len(),
        y_true: multi_hot(&case.y_true),
        y_pred: multi_hot(&case.y_pred),
        scores: case.scores.concat(),
    };
    (case, inputs, expected, text)
}

fn assert_close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-12,
        "{what}: got {got:?}, scikit-learn {want:?}"
    );
}

fn assert_all_close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert_close(&format!("{what}[{i}]"), g, w);
    }
}

fn check(name: &str) {
    let (case, x, want, text) = load(name);
    let k = x.labels;

    let report = multilabel_classification_report(&x.y_true, &x.y_pred, k, &case.target_names, case.digits).unwrap();
    assert_eq!(report, text, "case {name}:\n{report}\nscikit-learn\n{text}");

    assert_eq!(threshold(&x.scores, case.threshold), x.y_pred, "{name}: predictions");
    assert_close(
        "subset accuracy",
        subset_accuracy(&x.y_true, &x.y_pred, k).unwrap(),
        want.subset_accuracy,
    );
    assert_close(
        "Hamming loss",
        hamming_loss(&x.y_true, &x.y_pred, k).unwrap(),
        want.hamming_loss,
    );
    assert_eq!(
        multilabel_confusion_matrix(&x.y_true, &x.y_pred, k).unwrap(),
        want.confusion_matrices,
        "{name}"
    );

    let scores = per_label_scores(&x.y_true, &x.y_pred, k).unwrap();
    let column = |f: fn(&learnloss::report::ClassScores) -> f64| scores.iter().map(f).collect::<Vec<f64>>();
    assert_all_close("precision", &column(|s| s.precision), &want.per_label.precision);
    assert_all_close("recall", &column(|s| s.recall), &want.per_label.recall);
    assert_all_close("f1", &column(|s| s.f1), &want.per_label.f1);
    let support: Vec<usize> = scores.iter().map(|s| s.support).collect();
    assert_eq!(support, want.per_label.support, "{name}: support");

    for (average, key) in Average::ALL.into_iter().zip(["micro", "macro", "weighted", "samples"]) {
        let got = average_scores(&x.y_true, &x.y_pred, k, average).unwrap();
        assert_all_close(
            &format!("{name} {key} avg"),
            &[got.precision, got.recall, got.f1],
            &want.averages[key],
        );
        assert_eq!(got.support, want.per_label.support.iter().sum::<usize>());
    }

    let ap = average_precision_per_label(&x.y_true, &x.scores, k).unwrap();
    assert_all_close(&format!("{name} AP"), &ap, &want.average_precision);
    let map = mean_average_precision(&x.y_true, &x.scores, k).unwrap();
    assert_close(&format!("{name} mAP"), map, want.mean_average_precision);
    let micro = micro_average_precision(&x.y_true, &x.scores, k).unwrap();
    assert_close(&format!("{name} micro AP"), micro, want.micro_average_precision);
}

#[test]
fn edge_cases_match_sklearn() {
    // A label never predicted, one never true (AP 0.0, counted in mAP), samples with no
    // true labels, no predicted labels and neither; tied scores.
    check("edge_cases");
}

#[test]
fn edge_cases_with_four_digits_match_sklearn() {
    check("edge_cases_digits4");
}

#[test]
fn single_sample_without_labels_matches_sklearn() {
    check("single_empty_sample");
}

#[test]
fn all_scores_tied_matches_sklearn() {
    check("all_scores_tied");
}

#[test]
fn long_label_names_match_sklearn() {
    check("chest_xray_60");
}

#[test]
fn two_hundred_samples_ten_labels_match_sklearn() {
    check("pascal_voc_200");
}

#[test]
fn a_label_without_positives_has_ap_zero_and_counts_in_the_mean() {
    let (_, x, want, _) = load("edge_cases");
    assert_eq!(
        want.average_precision[3], 0.0,
        "the fixture's umbrella label has no positive"
    );
    let ap = average_precision_per_label(&x.y_true, &x.scores, x.labels).unwrap();
    assert_eq!(ap[3], 0.0);
    let map = mean_average_precision(&x.y_true, &x.scores, x.labels).unwrap();
    assert_close("mAP over all four labels", map, ap.iter().sum::<f64>() / 4.0);
}

#[test]
fn elementwise_accuracy_pools_batches_by_entries() {
    let mut acc = ElementwiseAccuracy::new();
    assert_eq!(acc.value(), None);
    acc.add_batch(&[0.9, 0.1, 0.7], &[1.0, 0.0, 0.0], 3, 0.5).unwrap();
    assert_eq!(acc.value(), Some(2.0 / 3.0));
    // 0.5 >= 0.5 predicts the label: right for the first entry only.
    acc.add_batch(&[0.5, 0.0, 1.0], &[1.0, 1.0, 0.0], 3, 0.5).unwrap();
    assert_eq!((acc.correct(), acc.total()), (3, 6));
    assert_eq!(acc.value(), Some(0.5));
    let mut alone = ElementwiseAccuracy::new();
    alone.add_batch(&[0.5, 0.0, 1.0], &[1u8, 1, 0], 3, 0.5).unwrap();
    assert_eq!(alone.value(), Some(1.0 / 3.0));
    acc.add_batch::<f64>(&[], &[], 3, 0.5).unwrap();
    assert_eq!(acc.value(), Some(0.5), "an empty batch counts nothing");
}

#[test]
fn threshold_predicts_at_or_above_and_nan_as_zero() {
    assert_eq!(threshold(&[0.5, 0.4999, 1.0, 0.0, f64::NAN], 0.5), [1, 0, 1, 0, 0]);
}

#[test]
fn elementwise_accuracy_over_batches_is_one_minus_sklearn_hamming_loss() {
    let (case, x, want, _) = load("pascal_voc_200");
    let k = x.labels;
    let targets: Vec<f64> = x.y_true.iter().map(|&v| f64::from(v)).collect();
    let mut acc = ElementwiseAccuracy::new();
    for (scores, targets) in x.scores.chunks(32 * k).zip(targets.chunks(32 * k)) {
        acc.add_batch(scores, targets, k, case.threshold).unwrap();
    }
    assert_eq!(acc.total(), x.y_true.len() as u64);
    assert_close("pooled accuracy", acc.value().unwrap(), 1.0 - want.hamming_loss);
}

/// The message of a data error, failing on any other outcome.
fn data_error<T: std::fmt::Debug>(result: learnloss::Result<T>) -> String {
    match result {
        Err(Error::Data(message)) => message,
        other => panic!("expected a data error, got {other:?}"),
    }
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("label {i}")).collect()
}

#[test]
fn lengths_that_are_not_samples_times_labels_are_errors() {
    let message = data_error(hamming_loss(&[0, 1, 0, 1, 1], &[0, 1, 0, 1, 1], 2));
    assert!(
        message.contains("y_true has 5 values") && message.contains("2 labels"),
        "{message}"
    );
    let message = data_error(subset_accuracy(&[0, 1, 0, 1], &[0, 1], 2));
    assert!(message.contains("y_true has 2 samples but y_pred has 1"), "{message}");
    let message = data_error(mean_average_precision(&[0, 1, 0, 1], &[0.5; 6], 2));
    assert!(message.contains("scores has 3"), "{message}");
    assert!(data_error(hamming_loss(&[0, 1], &[0, 1], 0)).contains("0 labels"));
}

#[test]
fn values_other_than_zero_and_one_are_errors() {
    let message = data_error(multilabel_confusion_matrix(&[0, 1, 0, 2], &[0, 1, 0, 1], 2));
    assert!(message.contains("y_true of sample 1, label 1 is 2"), "{message}");
    let message = data_error(multilabel_classification_report(&[0, 1], &[1, 3], 2, &names(2), 2));
    assert!(message.contains("y_pred of sample 0, label 1 is 3"), "{message}");
    let mut acc = ElementwiseAccuracy::new();
    let message = data_error(acc.add_batch(&[0.2, 0.8], &[0.0, 0.5], 2, 0.5));
    assert!(message.contains("target of sample 0, label 1 is 0.5"), "{message}");
    assert_eq!(acc.total(), 0, "a refused batch counts nothing");
}

#[test]
fn non_finite_scores_are_errors() {
    let message = data_error(average_precision_per_label(
        &[0, 1, 1, 0],
        &[0.1, 0.2, f64::NAN, 0.4],
        2,
    ));
    assert!(message.contains("sample 1, label 0 is NaN"), "{message}");
    assert!(data_error(micro_average_precision(&[0, 1], &[f64::INFINITY, 0.2], 2)).contains("inf"));
}

#[test]
fn no_samples_is_an_error_as_in_sklearn() {
    assert!(data_error(subset_accuracy(&[], &[], 3)).contains("no samples"));
    assert!(data_error(hamming_loss(&[], &[], 3)).contains("no samples"));
    assert!(data_error(multilabel_confusion_matrix(&[], &[], 3)).contains("no samples"));
    assert!(data_error(multilabel_classification_report(&[], &[], 3, &names(3), 2)).contains("no samples"));
    assert!(data_error(mean_average_precision(&[], &[], 3)).contains("no samples"));
}

#[test]
fn one_label_is_refused_where_sklearn_reads_it_as_binary() {
    let (y, p, s) = ([1, 0, 1], [1, 1, 0], [0.3, 0.2, 0.9]);
    for message in [
        data_error(multilabel_confusion_matrix(&y, &p, 1)),
        data_error(per_label_scores(&y, &p, 1)),
        data_error(average_scores(&y, &p, 1, Average::Macro)),
        data_error(multilabel_classification_report(&y, &p, 1, &names(1), 2)),
    ] {
        assert!(message.contains("at least 2"), "{message}");
    }
    // Where scikit-learn's binary answer is the multi-label formula, one column is fine
    // (values from scikit-learn 1.9.1 on these (3, 1) arrays).
    assert_close("accuracy", subset_accuracy(&y, &p, 1).unwrap(), 1.0 / 3.0);
    assert_close("Hamming loss", hamming_loss(&y, &p, 1).unwrap(), 2.0 / 3.0);
    assert_close("AP", mean_average_precision(&y, &s, 1).unwrap(), 1.0);
}

#[test]
fn target_names_must_match_the_labels() {
    let message = data_error(multilabel_classification_report(&[0, 1], &[0, 1], 2, &names(3), 2));
    assert!(message.contains("3 target names for 2 labels"), "{message}");
}

#[test]
fn batches_of_another_label_count_are_errors() {
    let mut acc = ElementwiseAccuracy::new();
    acc.add_batch(&[0.9, 0.1], &[1.0, 0.0], 2, 0.5).unwrap();
    let message = data_error(acc.add_batch(&[0.9, 0.1, 0.3], &[1.0, 0.0, 0.0], 3, 0.5));
    assert!(message.contains("3 labels after batches of 2"), "{message}");
    assert!(data_error(acc.add_batch(&[0.9, 0.1], &[1.0], 2, 0.5)).contains("2 scores but 1 targets"));
    assert_eq!(acc.value(), Some(1.0));
}
