//! What the trainer records — one [`EpochRecord`] per epoch of each run, one [`RunResult`]
//! per finished run — and the per-method [`Summary`] computed from them. Plain data: the
//! reporting layer knows nothing about tensors.

use serde::{Deserialize, Serialize};

use super::multilabel_runs::{summarize_multilabel, Notes};
use super::serde_float;
use super::significance::{compare, Comparison, MethodRuns};

/// One epoch of one run of one method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// The training method, e.g. "standard" or "learnable".
    pub method: String,
    /// Index of the run within the method (runs differ by seed).
    pub run: usize,
    /// 1-based epoch number.
    pub epoch: usize,
    #[serde(with = "serde_float::f64")]
    pub train_loss: f64,
    #[serde(with = "serde_float::f64")]
    pub train_accuracy: f64,
    #[serde(with = "serde_float::f64")]
    pub val_loss: f64,
    #[serde(with = "serde_float::f64")]
    pub val_accuracy: f64,
    /// Non-negativity penalty of the learned loss (None for methods without one).
    #[serde(with = "serde_float::option")]
    pub nonneg: Option<f64>,
    /// Convexity (Hessian-trace) penalty of the learned loss.
    #[serde(with = "serde_float::option")]
    pub convex: Option<f64>,
    /// Lipschitz penalty of the learned loss.
    #[serde(with = "serde_float::option")]
    pub lips: Option<f64>,
    /// Wall-clock seconds the epoch took.
    #[serde(with = "serde_float::f64")]
    pub seconds: f64,
}

/// The outcome of one finished run: test scores and the test-set predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub method: String,
    pub run: usize,
    /// Which network the method trained, e.g. "learnable classifier (3 conv blocks)".
    pub network: String,
    #[serde(with = "serde_float::f64")]
    pub test_accuracy: f64,
    #[serde(with = "serde_float::f64")]
    pub test_loss: f64,
    /// Wall-clock seconds of the whole run.
    #[serde(with = "serde_float::f64")]
    pub seconds: f64,
    /// The seed of the run's initial weights, when known. Runs of different methods with the
    /// same seed started from the same weights and saw the same batches, so their results are
    /// compared pairwise ([`super::significance`]). Absent from older result files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// True test labels, in test-set order.
    pub y_true: Vec<usize>,
    /// Predicted test labels, aligned with `y_true`.
    pub y_pred: Vec<usize>,
    /// True and predicted labels of the training set, after training (eval mode), for its
    /// classification report; empty for multi-label runs and in older result files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub train_y_true: Vec<usize>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub train_y_pred: Vec<usize>,
    /// The learned loss's energy E sampled against the true-class probability: `(p_true, E)`
    /// points (for a multi-label run `(t, E)`, t the agreement with the truth: the mean over
    /// labels c of E(p, e_c) with p = t on c and 1 − t on the others); None for methods
    /// without a learned loss.
    #[serde(with = "serde_float::option_pairs")]
    pub energy_curve: Option<Vec<(f64, f64)>>,
    /// The test-set truth and scores of a multi-label run (`y_true`/`y_pred` are then empty);
    /// None for single-label runs. Absent from result files written before multi-label runs
    /// existed, which therefore still load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multilabel: Option<MultiLabelOutputs>,
}

/// What a multi-label run's test set gave: the inputs of scikit-learn's multilabel metrics
/// (`report::multilabel`), kept whole so every metric and plot can be recomputed from
/// `results.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiLabelOutputs {
    /// K, the number of labels; both vectors are row-major N×K.
    pub labels: usize,
    /// Multi-hot truth (0 or 1).
    pub y_true: Vec<u8>,
    /// The classifier's sigmoid outputs.
    #[serde(with = "serde_float::vec")]
    pub scores: Vec<f64>,
    /// A label is predicted where its score is at least this (0.5 unless `--threshold`).
    #[serde(with = "serde_float::f64")]
    pub threshold: f64,
}

impl MultiLabelOutputs {
    /// The predicted multi-hot rows: `scores >= threshold`.
    pub fn y_pred(&self) -> Vec<u8> {
        super::multilabel::threshold(&self.scores, self.threshold)
    }
}

/// Per-method aggregates over its runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodSummary {
    pub method: String,
    /// The network(s) the method trained; runs that name different networks are joined
    /// with " / ".
    pub network: String,
    pub runs: usize,
    /// Mean test accuracy over runs (NaN and infinite values excluded).
    #[serde(with = "serde_float::f64")]
    pub test_accuracy_mean: f64,
    /// Sample standard deviation (ddof = 1, numpy's `np.std(x, ddof=1)`) of the test
    /// accuracy over runs; 0 with a single run rather than NaN.
    #[serde(with = "serde_float::f64")]
    pub test_accuracy_std: f64,
    /// Test accuracy of each run, in run order.
    #[serde(with = "serde_float::vec")]
    pub test_accuracies: Vec<f64>,
    #[serde(with = "serde_float::f64")]
    pub test_loss_mean: f64,
    /// Mean wall-clock seconds of one epoch, over every epoch of every run.
    #[serde(with = "serde_float::f64")]
    pub seconds_per_epoch: f64,
    /// Mean wall-clock seconds of one run.
    #[serde(with = "serde_float::f64")]
    pub seconds_per_run: f64,
    /// The multi-label metrics of the method's runs (their `test_accuracy` is then the
    /// element-wise accuracy); None for single-label methods. Absent from summary files
    /// written before multi-label runs existed, which therefore still load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multilabel: Option<MultiLabelSummary>,
}

/// What a multi-label method's runs scored beyond the element-wise accuracy, each metric as
/// scikit-learn computes it on the run's whole test set (see
/// [`report::multilabel`](super::multilabel)). A metric the data cannot give (a data error,
/// e.g. a non-finite score for the average precision) is None, so one bad value costs that
/// column and not the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiLabelSummary {
    /// K, the number of labels.
    pub labels: usize,
    /// The threshold of each run, in run order: a label is predicted where its score is at
    /// least this.
    #[serde(with = "serde_float::vec")]
    pub thresholds: Vec<f64>,
    /// Exact-match accuracy: the share of samples whose whole predicted label set is right.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subset_accuracy: Option<RunsAggregate>,
    /// The share of (sample, label) decisions that are wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hamming_loss: Option<RunsAggregate>,
    /// Macro average precision (mAP) of the scores: the mean over labels of each label's AP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_average_precision: Option<RunsAggregate>,
}

/// One metric over a method's runs: [`mean_std`] of the per-run values, and the values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunsAggregate {
    #[serde(with = "serde_float::f64")]
    pub mean: f64,
    /// Sample standard deviation (ddof = 1), 0 with a single run.
    #[serde(with = "serde_float::f64")]
    pub std: f64,
    /// The metric of each run, in run order.
    #[serde(with = "serde_float::vec")]
    pub per_run: Vec<f64>,
}

impl RunsAggregate {
    /// The aggregate of `per_run`, in the order given.
    pub fn of(per_run: Vec<f64>) -> RunsAggregate {
        let (mean, std) = mean_std(&per_run);
        RunsAggregate { mean, std, per_run }
    }
}

/// The contents of `summary.json`: what the experiment was and how each method did. The
/// dataset and class names are kept here so a report can be regenerated from the files alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub dataset: String,
    pub class_names: Vec<String>,
    /// What the validation figures are when they are not a held-out part of the training set
    /// (`--val-fraction 0`: the test set); absent otherwise and in older files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<String>,
    pub methods: Vec<MethodSummary>,
    /// Whether the methods' test accuracies differ by more than run-to-run noise: each pair's
    /// difference with its 95 % interval and Welch's and the paired t-test ([`compare_methods`]);
    /// absent with fewer than two methods of two runs each, and in older files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
}

/// The confidence level of the report's comparisons.
pub const CONFIDENCE: f64 = 0.95;

/// The comparison of `summaries`' test accuracies (the element-wise accuracy for multi-label
/// methods). Runs of two methods are paired where every run of both recorded its seed and they
/// trained the same network: then run k of each started from the same weights and saw the same
/// batches. A seed alone does not pair runs of different networks (the baseline CNN and the
/// learnable classifier share no weights), so the pairing key is the seed with the network.
pub fn compare_methods(summaries: &[MethodSummary], runs: &[RunResult]) -> Option<Comparison> {
    let pairing_key = |r: &RunResult| {
        r.seed.map(|seed| {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (seed, &r.network).hash(&mut h);
            h.finish()
        })
    };
    let seeds: Vec<Option<Vec<u64>>> = summaries
        .iter()
        .map(|m| {
            let mut mine: Vec<&RunResult> = runs.iter().filter(|r| r.method == m.method).collect();
            mine.sort_by_key(|r| r.run);
            mine.iter().map(|r| pairing_key(r)).collect()
        })
        .collect();
    let methods: Vec<MethodRuns> = summaries
        .iter()
        .zip(&seeds)
        .map(|(m, seeds)| MethodRuns {
            method: &m.method,
            values: &m.test_accuracies,
            seeds: seeds.as_deref(),
        })
        .collect();
    let multilabel = summaries.iter().any(|m| m.multilabel.is_some());
    let metric = if multilabel {
        "test accuracy (element-wise for multi-label methods)"
    } else {
        "test accuracy"
    };
    compare(metric, &methods, CONFIDENCE)
}

/// Mean and sample standard deviation (ddof = 1; 0 for one value) of the finite values;
/// both NaN when there are none.
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = finite.len() as f64;
    let mean = finite.iter().sum::<f64>() / n;
    if finite.len() == 1 {
        return (mean, 0.0);
    }
    let var = finite.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// Methods in order of first appearance, runs first, then epoch records, so tables and plot
/// legends keep the order the trainer ran them in.
pub fn method_order(epochs: &[EpochRecord], runs: &[RunResult]) -> Vec<String> {
    let mut order: Vec<String> = Vec::new();
    for m in runs.iter().map(|r| &r.method).chain(epochs.iter().map(|e| &e.method)) {
        if !order.contains(m) {
            order.push(m.clone());
        }
    }
    order
}

/// Summarises each method's runs and epochs.
pub fn summarize(dataset: &str, class_names: &[String], epochs: &[EpochRecord], runs: &[RunResult]) -> Summary {
    summarize_noting(dataset, class_names, epochs, runs, &mut Notes::default())
}

/// [`summarize`], noting the multi-label metrics that the data could not give.
pub(crate) fn summarize_noting(
    dataset: &str,
    class_names: &[String],
    epochs: &[EpochRecord],
    runs: &[RunResult],
    notes: &mut Notes,
) -> Summary {
    let methods: Vec<MethodSummary> = method_order(epochs, runs)
        .into_iter()
        .map(|method| {
            let mut mine: Vec<&RunResult> = runs.iter().filter(|r| r.method == method).collect();
            mine.sort_by_key(|r| r.run);
            let mut networks: Vec<&str> = Vec::new();
            for r in &mine {
                if !networks.contains(&r.network.as_str()) {
                    networks.push(&r.network);
                }
            }
            let accuracies: Vec<f64> = mine.iter().map(|r| r.test_accuracy).collect();
            let (test_accuracy_mean, test_accuracy_std) = mean_std(&accuracies);
            let losses: Vec<f64> = mine.iter().map(|r| r.test_loss).collect();
            let run_seconds: Vec<f64> = mine.iter().map(|r| r.seconds).collect();
            let epoch_seconds: Vec<f64> = epochs
                .iter()
                .filter(|e| e.method == method)
                .map(|e| e.seconds)
                .collect();
            MethodSummary {
                network: networks.join(" / "),
                runs: mine.len(),
                test_accuracy_mean,
                test_accuracy_std,
                test_accuracies: accuracies,
                test_loss_mean: mean_std(&losses).0,
                seconds_per_epoch: mean_std(&epoch_seconds).0,
                seconds_per_run: mean_std(&run_seconds).0,
                multilabel: summarize_multilabel(&method, &mine, notes),
                method,
            }
        })
        .collect();
    let comparison = compare_methods(&methods, runs);
    Summary {
        dataset: dataset.to_string(),
        class_names: class_names.to_vec(),
        validation: None,
        methods,
        comparison,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_std_like_numpy_ddof1() {
        // np.std([0.8, 0.9, 1.0], ddof=1) == 0.1
        let (m, s) = mean_std(&[0.8, 0.9, 1.0]);
        assert!((m - 0.9).abs() < 1e-15 && (s - 0.1).abs() < 1e-15);
        assert_eq!(mean_std(&[0.7]), (0.7, 0.0));
        assert!(mean_std(&[]).0.is_nan());
        assert_eq!(mean_std(&[1.0, f64::NAN, 3.0]).0, 2.0);
    }

    /// summary.json files written before multi-label runs existed still load, and a
    /// single-label method's summary is written as it was then.
    #[test]
    fn a_summary_without_multilabel_metrics_loads_and_is_written_as_before() {
        let old = r#"{"method":"standard","network":"cnn","runs":1,"test_accuracy_mean":0.9,
            "test_accuracy_std":0.0,"test_accuracies":[0.9],"test_loss_mean":0.3,
            "seconds_per_epoch":1.0,"seconds_per_run":2.0}"#;
        let summary: MethodSummary = serde_json::from_str(old).unwrap();
        assert_eq!(summary.multilabel, None);
        let written = serde_json::to_string(&summary).unwrap();
        assert!(!written.contains("multilabel"), "{written}");
        let partial = MultiLabelSummary {
            labels: 3,
            thresholds: vec![0.5],
            subset_accuracy: Some(RunsAggregate::of(vec![0.25])),
            hamming_loss: None,
            mean_average_precision: None,
        };
        let text = serde_json::to_string(&partial).unwrap();
        assert!(!text.contains("hamming_loss") && text.contains("\"std\":0.0"), "{text}");
        assert_eq!(serde_json::from_str::<MultiLabelSummary>(&text).unwrap(), partial);
    }
}
