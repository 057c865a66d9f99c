//! Multi-label [`RunResult`]s read through the slice-level metrics of
//! [`multilabel`](super::multilabel): which runs are multi-label, a method's runs pooled into
//! one test set (for its all-runs report and its confusion grid), and the per-run metrics of
//! the summary. Kept apart from the metrics so those stay plain functions of slices, and
//! apart from the plots and pages so each of them asks one place.
//!
//! Reports of multi-label runs must survive bad data (a run of 1 label, which scikit-learn
//! reads as binary; a non-finite score): the pieces that cannot be computed are left out with
//! a note naming the method and the fault, gathered by [`Notes`], and the rest is written.

use super::metrics::{MultiLabelOutputs, MultiLabelSummary, RunResult, RunsAggregate};
use super::multilabel::{hamming_loss, mean_average_precision, subset_accuracy};
use crate::{Error, Result};

/// Whether any of `runs` is multi-label: the report then reads the class names as label
/// names and draws the multi-label plots.
pub(crate) fn any_multilabel<'a>(runs: impl IntoIterator<Item = &'a RunResult>) -> bool {
    runs.into_iter().any(|r| r.multilabel.is_some())
}

/// A method's multi-label test outputs, the rows of every run one after another.
pub(crate) struct Pooled {
    /// K, shared by every run.
    pub labels: usize,
    pub y_true: Vec<u8>,
    /// Each run's predictions at its own threshold.
    pub y_pred: Vec<u8>,
    /// How many runs were pooled.
    pub runs: usize,
}

/// The multi-label outputs of `method`'s runs pooled; None when it has no multi-label run.
/// Errors when its runs differ in the number of labels (their rows would not line up).
pub(crate) fn pool(runs: &[RunResult], method: &str) -> Result<Option<Pooled>> {
    let mut pooled: Option<Pooled> = None;
    for r in runs.iter().filter(|r| r.method == method) {
        let Some(outputs) = &r.multilabel else { continue };
        let p = pooled.get_or_insert_with(|| Pooled {
            labels: outputs.labels,
            y_true: Vec::new(),
            y_pred: Vec::new(),
            runs: 0,
        });
        if outputs.labels != p.labels {
            return Err(Error::Data(format!(
                "{method}: run {} has {} labels, an earlier run has {}",
                r.run, outputs.labels, p.labels
            )));
        }
        // Rows of one run cut short would shift every later run's rows onto other labels.
        let (n, k) = (outputs.y_true.len(), outputs.labels);
        if k == 0 || n % k != 0 || outputs.scores.len() != n {
            return Err(Error::Data(format!(
                "{method}: run {} has {n} truth values and {} scores, not the same whole \
                 number of samples of {k} labels",
                r.run,
                outputs.scores.len()
            )));
        }
        p.y_true.extend_from_slice(&outputs.y_true);
        p.y_pred.extend(outputs.y_pred());
        p.runs += 1;
    }
    Ok(pooled)
}

/// What the report left out and why, one line per piece, shown on the page.
#[derive(Debug, Default)]
pub(crate) struct Notes(pub Vec<String>);

impl Notes {
    /// Notes that `what` was left out because of `error`.
    fn left_out(&mut self, what: &str, error: &Error) {
        let fault = match error {
            Error::Data(fault) => fault.clone(),
            other => other.to_string(),
        };
        self.0.push(format!("{what} left out: {fault}"));
    }

    /// `result`'s value; a data error instead becomes the note "`what` left out: fault"
    /// and None. Other errors (I/O, drawing) are real failures and are returned.
    pub(crate) fn keep<T>(&mut self, what: &str, result: Result<T>) -> Result<Option<T>> {
        match result {
            Ok(v) => Ok(Some(v)),
            Err(e @ Error::Data(_)) => {
                self.left_out(what, &e);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

/// One metric of every run, or None (with a note) when a run's data cannot give it: a mean
/// over the runs that could would pass for one over all of them.
fn aggregate(
    runs: &[&RunResult],
    what: &str,
    notes: &mut Notes,
    metric: impl Fn(&MultiLabelOutputs) -> Result<f64>,
) -> Option<RunsAggregate> {
    let values: Result<Vec<f64>> = runs
        .iter()
        .filter_map(|r| r.multilabel.as_ref().map(|o| (r.run, o)))
        .map(|(run, o)| {
            metric(o).map_err(|e| match e {
                Error::Data(fault) => Error::Data(format!("run {run}: {fault}")),
                other => other,
            })
        })
        .collect();
    // The metrics fail on data only; whatever the fault, the summary goes on without it.
    values.map(RunsAggregate::of).map_err(|e| notes.left_out(what, &e)).ok()
}

/// The summary's multi-label metrics of one method's runs (in the order given); None when
/// none of them is multi-label.
pub(crate) fn summarize_multilabel(method: &str, runs: &[&RunResult], notes: &mut Notes) -> Option<MultiLabelSummary> {
    let first = runs.iter().find_map(|r| r.multilabel.as_ref())?;
    let thresholds = runs
        .iter()
        .filter_map(|r| r.multilabel.as_ref().map(|o| o.threshold))
        .collect();
    Some(MultiLabelSummary {
        labels: first.labels,
        thresholds,
        subset_accuracy: aggregate(runs, &format!("{method}: subset accuracy"), notes, |o| {
            subset_accuracy(&o.y_true, &o.y_pred(), o.labels)
        }),
        hamming_loss: aggregate(runs, &format!("{method}: Hamming loss"), notes, |o| {
            hamming_loss(&o.y_true, &o.y_pred(), o.labels)
        }),
        mean_average_precision: aggregate(runs, &format!("{method}: mean average precision"), notes, |o| {
            mean_average_precision(&o.y_true, &o.scores, o.labels)
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(method: &str, run: usize, labels: usize) -> RunResult {
        RunResult {
            method: method.to_string(),
            run,
            network: String::new(),
            test_accuracy: 0.0,
            test_loss: 0.0,
            seconds: 0.0,
            seed: None,
            y_true: Vec::new(),
            y_pred: Vec::new(),
            train_y_true: Vec::new(),
            train_y_pred: Vec::new(),
            energy_curve: None,
            multilabel: Some(MultiLabelOutputs {
                labels,
                y_true: vec![1; labels],
                scores: vec![0.7; labels],
                threshold: 0.5,
            }),
        }
    }

    #[test]
    fn pool_stacks_a_methods_runs_and_refuses_different_label_counts() {
        let runs = [run("a", 0, 2), run("b", 0, 3), run("a", 1, 2)];
        let pooled = pool(&runs, "a").unwrap().unwrap();
        assert_eq!((pooled.labels, pooled.runs), (2, 2));
        assert_eq!((pooled.y_true, pooled.y_pred), (vec![1; 4], vec![1; 4]));
        assert!(pool(&runs, "c").unwrap().is_none());
        let mixed = [run("a", 0, 2), run("a", 1, 3)];
        assert!(matches!(pool(&mixed, "a"), Err(Error::Data(_))));
        let mut short = [run("a", 0, 2), run("a", 1, 2)];
        short[0].multilabel.as_mut().unwrap().y_true.pop();
        assert!(matches!(pool(&short, "a"), Err(Error::Data(_))));
        let no_labels = [run("a", 0, 0)];
        assert!(matches!(pool(&no_labels, "a"), Err(Error::Data(_))));
    }

    #[test]
    fn notes_keep_data_errors_and_return_the_rest() {
        let mut notes = Notes::default();
        assert_eq!(notes.keep("x", Ok(1)).unwrap(), Some(1));
        let data: Result<()> = Err(Error::Data("bad".to_string()));
        assert_eq!(notes.keep("the plot", data).unwrap(), None);
        assert_eq!(notes.0, ["the plot left out: bad"]);
        let io: Result<()> = Err(Error::io("f.png", std::io::Error::other("disk")));
        assert!(notes.keep("y", io).is_err());
        assert_eq!(notes.0.len(), 1);
    }
}
