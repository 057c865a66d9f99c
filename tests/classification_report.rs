//! learnloss::report::classification_report against scikit-learn's text, byte for byte, on
//! fixtures made by tests/fixtures/make_classification_reports.py (labels=range(C)).

use std::path::PathBuf;

use learnloss::report::{classification_report, confusion_matrix, per_class_scores};

#[derive(serde::Deserialize)]
struct Case {
    class_names: Vec<String>,
    digits: usize,
    y_true: Vec<usize>,
    y_pred: Vec<usize>,
}

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/classification_reports")
}

fn check(name: &str) {
    let dir = fixture_dir();
    let case: Case = serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap()).unwrap();
    let expected = std::fs::read_to_string(dir.join(format!("{name}.txt"))).unwrap();
    let got = classification_report(&case.y_true, &case.y_pred, &case.class_names, case.digits).unwrap();
    assert_eq!(got, expected, "case {name}:\n{got}\nexpected\n{expected}");
}

#[test]
fn fashion_mnist_200_samples_matches_sklearn() {
    check("fashion_mnist_200");
}

#[test]
fn class_never_predicted_matches_sklearn() {
    check("never_predicted");
}

#[test]
fn class_absent_from_y_true_and_from_both_matches_sklearn() {
    check("absent_from_true");
}

#[test]
fn long_oxford_pet_names_match_sklearn() {
    check("oxford_pets");
}

#[test]
fn hundred_classes_match_sklearn() {
    check("hundred_classes");
}

#[test]
fn two_digit_rounding_ties_match_sklearn() {
    check("small_digits2");
}

#[test]
fn confusion_matrix_rows_are_truth_columns_predictions() {
    let m = confusion_matrix(&[0, 0, 1, 2], &[0, 1, 1, 1], 3).unwrap();
    assert_eq!(m, vec![vec![1, 1, 0], vec![0, 1, 0], vec![0, 1, 0]]);
    let s = per_class_scores(&[0, 0, 1, 2], &[0, 1, 1, 1], 3).unwrap();
    assert_eq!((s[0].precision, s[0].recall, s[0].support), (1.0, 0.5, 2));
    assert_eq!((s[1].precision, s[1].recall), (1.0 / 3.0, 1.0));
    assert_eq!((s[2].precision, s[2].recall, s[2].f1), (0.0, 0.0, 0.0));
    assert!(confusion_matrix(&[3], &[0], 3).is_err());
}
