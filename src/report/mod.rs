//! The reporting layer: plain Rust data in (epoch records, run results, class names), files
//! out — metrics as CSV and JSON lines, a summary, PNG plots, classification reports and one
//! self-contained HTML page. It knows nothing about tensors, so reports can be regenerated
//! from a run folder alone (`learnloss report DIR` calls [`regenerate`]). [`multilabel`]
//! holds scikit-learn's metrics and report for multi-label outputs.

mod atomic;
pub mod classification_report;
pub mod html;
pub mod metrics;
pub mod metrics_io;
pub mod multilabel;
mod multilabel_runs;
pub mod plots;
mod serde_float;
pub mod significance;

use std::path::{Path, PathBuf};

pub use atomic::write_atomic;
pub use classification_report::{classification_report, confusion_matrix, per_class_scores, ClassScores};
pub use html::MethodReport;
pub use metrics::{
    summarize, EpochRecord, MethodSummary, MultiLabelOutputs, MultiLabelSummary, RunResult, RunsAggregate, Summary,
};
pub use multilabel::{
    hamming_loss, mean_average_precision, multilabel_classification_report, multilabel_confusion_matrix,
    subset_accuracy, ElementwiseAccuracy,
};
pub use plots::Plot;

use crate::{Error, Result};
use multilabel_runs::{any_multilabel, Notes};

/// The page written by [`write_report`].
pub const REPORT_HTML: &str = "report.html";
/// The folder of the PNG plots, inside the report folder.
pub const PLOTS_DIR: &str = "plots";
/// The resolved configuration, read back by [`regenerate`] when present.
pub const CONFIG_TOML: &str = "config.toml";
/// The comparison of the methods ([`significance`]): its table and what it says in words.
pub const COMPARISON_TXT: &str = "comparison.txt";

/// Whether `name`, an entry directly inside a results folder, is one the report writes (so that
/// `--overwrite` removes the report of an earlier training and nothing else).
pub fn is_report_output(name: &str) -> bool {
    use metrics_io::{METRICS_CSV, METRICS_JSONL, RESULTS_JSONL, SUMMARY_JSON};
    [
        REPORT_HTML,
        PLOTS_DIR,
        CONFIG_TOML,
        COMPARISON_TXT,
        METRICS_CSV,
        METRICS_JSONL,
        RESULTS_JSONL,
        SUMMARY_JSON,
    ]
    .contains(&name)
        || (name.starts_with("classification_report_") && name.ends_with(".txt"))
}

/// Each method's test accuracy, mean ± sample std over its runs, and each run's: the table
/// the trainer prints last and `comparison.txt` opens with.
pub fn means_text(summary: &Summary) -> String {
    let width = summary
        .methods
        .iter()
        .map(|m| m.method.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    let mut text = format!("{:<width$}  test accuracy (mean ± std)  runs\n", "method");
    for m in &summary.methods {
        let per_run: Vec<String> = m.test_accuracies.iter().map(|v| format!("{v:.4}")).collect();
        text += &format!(
            "{:<width$}  {:.4} ± {:.4}             {} ({})\n",
            m.method,
            m.test_accuracy_mean,
            m.test_accuracy_std,
            m.runs,
            per_run.join(", ")
        );
    }
    text
}

/// The comparison as the terminal and `comparison.txt` show it: the table of pairs, and a
/// sentence per pair saying whether its difference is within the noise.
pub fn comparison_text(comparison: &significance::Comparison) -> String {
    let mut text = significance::table(comparison);
    text.push('\n');
    for sentence in significance::describe(comparison) {
        text += &sentence;
        text.push('\n');
    }
    text
}

/// Everything a report is made from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportInputs {
    /// The dataset's name, for titles ("FashionMNIST").
    pub dataset: String,
    /// Class names, indexed by label.
    pub class_names: Vec<String>,
    /// Every epoch of every run of every method.
    pub epochs: Vec<EpochRecord>,
    /// Every finished run.
    pub runs: Vec<RunResult>,
    /// The resolved configuration as text (e.g. TOML), shown verbatim and saved as
    /// `config.toml`.
    pub config_text: Option<String>,
    /// What the validation figures are, when not a held-out part of the training set
    /// ([`Summary::validation`]).
    pub validation: Option<String>,
}

/// A file-name-safe form of a method name: lowercase ASCII letters and digits, other runs of
/// characters as one `_`; made unique among `taken` by a numeric suffix.
fn slug(method: &str, taken: &mut Vec<String>) -> String {
    let mut s = String::new();
    for c in method.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('_') {
            s.push('_');
        }
    }
    let base = match s.trim_matches('_') {
        "" => "method".to_string(),
        t => t.to_string(),
    };
    let mut candidate = base.clone();
    let mut k = 2;
    while taken.contains(&candidate) {
        candidate = format!("{base}_{k}");
        k += 1;
    }
    taken.push(candidate.clone());
    candidate
}

/// The classification reports of each method with test predictions (4 digits, as the
/// Python reports); methods whose runs hold no predictions are left out. A multi-label
/// method's reports are scikit-learn's multi-label report (a row per label, `class_names`
/// naming the labels); one its data cannot give is left out with a note.
fn method_reports(inputs: &ReportInputs, methods: &[String], notes: &mut Notes) -> Result<Vec<MethodReport>> {
    let mut reports = Vec::new();
    if inputs.class_names.is_empty() {
        return Ok(reports);
    }
    for method in methods {
        let runs: Vec<&RunResult> = inputs.runs.iter().filter(|r| &r.method == method).collect();
        let report = if any_multilabel(runs.iter().copied()) {
            let what = format!("{method}: classification reports");
            notes
                .keep(&what, multilabel_method_report(inputs, method, &runs))?
                .flatten()
        } else {
            single_label_method_report(&inputs.class_names, method, &runs)?
        };
        reports.extend(report);
    }
    Ok(reports)
}

/// A single-label method's reports; None when its runs hold no predictions.
fn single_label_method_report(
    class_names: &[String],
    method: &str,
    runs: &[&RunResult],
) -> Result<Option<MethodReport>> {
    let y_true: Vec<usize> = runs.iter().flat_map(|r| r.y_true.iter().copied()).collect();
    let y_pred: Vec<usize> = runs.iter().flat_map(|r| r.y_pred.iter().copied()).collect();
    if y_true.is_empty() {
        return Ok(None);
    }
    let pooled = classification_report(&y_true, &y_pred, class_names, 4)?;
    let mut per_run = Vec::new();
    for r in runs.iter().filter(|r| !r.y_true.is_empty()) {
        per_run.push((r.run, classification_report(&r.y_true, &r.y_pred, class_names, 4)?));
    }
    // The training set's, from the runs that recorded its predictions.
    let trained: Vec<&&RunResult> = runs.iter().filter(|r| !r.train_y_true.is_empty()).collect();
    let train_pooled = if trained.is_empty() {
        None
    } else {
        let y_true: Vec<usize> = trained.iter().flat_map(|r| r.train_y_true.iter().copied()).collect();
        let y_pred: Vec<usize> = trained.iter().flat_map(|r| r.train_y_pred.iter().copied()).collect();
        Some(classification_report(&y_true, &y_pred, class_names, 4)?)
    };
    let mut train_per_run = Vec::new();
    for r in trained {
        train_per_run.push((
            r.run,
            classification_report(&r.train_y_true, &r.train_y_pred, class_names, 4)?,
        ));
    }
    Ok(Some(MethodReport {
        method: method.to_string(),
        pooled,
        per_run,
        train_pooled,
        train_per_run,
    }))
}

/// A multi-label method's reports: of the rows of all its multi-label runs pooled, and of
/// each run. None when it has no multi-label run.
fn multilabel_method_report(inputs: &ReportInputs, method: &str, runs: &[&RunResult]) -> Result<Option<MethodReport>> {
    let names = &inputs.class_names;
    let Some(all) = multilabel_runs::pool(&inputs.runs, method)? else {
        return Ok(None);
    };
    let pooled = multilabel_classification_report(&all.y_true, &all.y_pred, all.labels, names, 4)?;
    let mut per_run = Vec::new();
    for r in runs {
        if let Some(o) = &r.multilabel {
            per_run.push((
                r.run,
                multilabel_classification_report(&o.y_true, &o.y_pred(), o.labels, names, 4)?,
            ));
        }
    }
    Ok(Some(MethodReport {
        method: method.to_string(),
        pooled,
        per_run,
        train_pooled: None,
        train_per_run: Vec::new(),
    }))
}

/// Every plot of the report, in page order, with confusion matrices named after `slugs`.
/// A multi-label plot the data cannot give is left out with a note; the single-label plots
/// refuse bad data as before.
fn render_plots(inputs: &ReportInputs, methods: &[String], slugs: &[String], notes: &mut Notes) -> Result<Vec<Plot>> {
    let multilabel = any_multilabel(&inputs.runs);
    let mut out = vec![
        plots::accuracy_curves(&inputs.epochs, methods, multilabel)?,
        plots::loss_curves(&inputs.epochs, methods)?,
    ];
    out.extend(plots::penalty_curves(&inputs.epochs, methods)?);
    out.extend(plots::energy_curves(&inputs.runs)?);
    if !inputs.runs.is_empty() {
        for score in plots::ClassScore::ALL {
            let bars = plots::score_bars(&inputs.runs, methods, &inputs.class_names, score);
            if multilabel {
                out.extend(notes.keep(&format!("per-label {} plot", score.name()), bars)?);
            } else {
                out.push(bars?);
            }
        }
    }
    for (method, slug) in methods.iter().zip(slugs) {
        let mine: Vec<&RunResult> = inputs.runs.iter().filter(|r| &r.method == method).collect();
        if mine.is_empty() {
            continue;
        }
        if any_multilabel(mine) {
            let file_name = format!("multilabel_confusion_{slug}.png");
            let grid = plots::multilabel_confusion_grid(&inputs.runs, method, &inputs.class_names, &file_name);
            out.extend(notes.keep(&format!("{method}: per-label confusion matrices"), grid)?);
        } else {
            out.push(plots::confusion_heatmap(
                &inputs.runs,
                method,
                &inputs.class_names,
                &format!("confusion_{slug}.png"),
            )?);
        }
    }
    Ok(out)
}

/// Removes a file an earlier report wrote that this one has no content for.
fn remove_stale(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(path, e)),
        _ => Ok(()),
    }
}

fn create_dir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|e| Error::io(path, e))
}

/// Writes the whole report into `dir` (created if needed) and returns the paths written:
/// `metrics.csv`, `metrics.jsonl`, `results.jsonl`, `summary.json`, `comparison.txt` (with two
/// methods of two runs or more), `config.toml` (when there is config text), `plots/*.png`, `classification_report_<method>.txt` (the last run's, in
/// scikit-learn's exact format), `classification_report_<method>_all_runs.txt` and `report.html`.
/// Each file is replaced atomically.
///
/// Multi-label runs (`RunResult::multilabel`, `class_names` naming the labels) get
/// scikit-learn's multi-label reports, per-label F1 bars, a grid of per-label confusion
/// matrices `plots/multilabel_confusion_<method>.png` in place of `confusion_<method>.png`,
/// and subset accuracy, Hamming loss and mAP in the summary. What their data cannot give
/// (e.g. a run of 1 label, which scikit-learn reads as binary) is left out, and the page says
/// what and why; single-label data errors fail the report as before.
pub fn write_report(dir: &Path, inputs: &ReportInputs) -> Result<Vec<PathBuf>> {
    let plots_dir = dir.join(PLOTS_DIR);
    create_dir(&plots_dir)?;
    let mut written = Vec::new();

    metrics_io::write_epochs(dir, &inputs.epochs)?;
    written.push(dir.join(metrics_io::METRICS_CSV));
    written.push(dir.join(metrics_io::METRICS_JSONL));
    let results = dir.join(metrics_io::RESULTS_JSONL);
    metrics_io::write_jsonl(&results, &inputs.runs)?;
    written.push(results);
    // What the multi-label data could not give, shown on the page rather than failing it.
    let mut notes = Notes::default();
    let mut summary = metrics::summarize_noting(
        &inputs.dataset,
        &inputs.class_names,
        &inputs.epochs,
        &inputs.runs,
        &mut notes,
    );
    summary.validation = inputs.validation.clone();
    let summary_path = dir.join(metrics_io::SUMMARY_JSON);
    metrics_io::write_summary(&summary_path, &summary)?;
    written.push(summary_path);
    let path = dir.join(COMPARISON_TXT);
    match &summary.comparison {
        Some(comparison) => {
            let text = format!("{}\n{}", means_text(&summary), comparison_text(comparison));
            write_atomic(&path, text.as_bytes())?;
            written.push(path);
        }
        // A folder reused for fewer methods or runs must not keep an earlier comparison.
        None => remove_stale(&path)?,
    }
    if let Some(config) = &inputs.config_text {
        let path = dir.join(CONFIG_TOML);
        write_atomic(&path, config.as_bytes())?;
        written.push(path);
    }

    let methods = metrics::method_order(&inputs.epochs, &inputs.runs);
    let mut taken = Vec::new();
    let slugs: Vec<String> = methods.iter().map(|m| slug(m, &mut taken)).collect();
    let plots = render_plots(inputs, &methods, &slugs, &mut notes)?;
    for plot in &plots {
        let path = plots_dir.join(&plot.file_name);
        write_atomic(&path, &plot.png)?;
        written.push(path);
    }

    let reports = method_reports(inputs, &methods, &mut notes)?;
    for r in &reports {
        let slug = methods
            .iter()
            .position(|m| *m == r.method)
            .map_or("method", |i| &slugs[i]);
        // The last run's report exactly as scikit-learn prints it (the seed's report), and
        // beside it the pooled predictions and every run, with headings.
        if let Some((_, last)) = r.per_run.last() {
            let path = dir.join(format!("classification_report_{slug}.txt"));
            write_atomic(&path, last.as_bytes())?;
            written.push(path);
        }
        let mut text = format!("{} — test predictions of all runs pooled\n\n{}", r.method, r.pooled);
        for (run, report) in &r.per_run {
            text += &format!("\n{} — run {run}\n\n{report}", r.method);
        }
        // The training set's: the last run's alone as scikit-learn prints it, and all of them
        // after the test reports.
        let path = dir.join(format!("classification_report_{slug}_train.txt"));
        match r.train_per_run.last() {
            Some((_, last)) => {
                write_atomic(&path, last.as_bytes())?;
                written.push(path);
            }
            None => remove_stale(&path)?,
        }
        if let Some(pooled) = &r.train_pooled {
            text += &format!(
                "\n{} — training-set predictions of all runs pooled\n\n{pooled}",
                r.method
            );
        }
        for (run, report) in &r.train_per_run {
            text += &format!("\n{} — run {run}, training set\n\n{report}", r.method);
        }
        let path = dir.join(format!("classification_report_{slug}_all_runs.txt"));
        write_atomic(&path, text.as_bytes())?;
        written.push(path);
    }

    let page = html::render_html(&summary, &plots, &reports, &notes.0, inputs.config_text.as_deref());
    let path = dir.join(REPORT_HTML);
    write_atomic(&path, page.as_bytes())?;
    written.push(path);
    Ok(written)
}

/// Rebuilds the report of a run folder from its files and writes it again, returning the
/// paths written: epoch records from `metrics.jsonl`, run results from `results.jsonl` (none
/// when missing, e.g. training stopped before a run finished), dataset and class names from
/// `summary.json` (when missing, "unknown dataset" and classes named by their label, the labels
/// of multi-label runs by their index), and the configuration from `config.toml` when present.
pub fn regenerate(dir: &Path) -> Result<Vec<PathBuf>> {
    let epochs = metrics_io::read_epochs(dir)?;
    let results_path = dir.join(metrics_io::RESULTS_JSONL);
    let runs = if results_path.exists() {
        metrics_io::read_results(dir)?
    } else {
        Vec::new()
    };
    let summary_path = dir.join(metrics_io::SUMMARY_JSON);
    let (dataset, class_names, validation) = if summary_path.exists() {
        let s = metrics_io::read_summary(&summary_path)?;
        (s.dataset, s.class_names, s.validation)
    } else {
        // Classes up to the largest label seen; the labels of multi-label runs by index.
        let classes = runs
            .iter()
            .flat_map(|r| r.y_true.iter().chain(&r.y_pred))
            .max()
            .map_or(0, |m| m + 1);
        let labels = runs
            .iter()
            .filter_map(|r| r.multilabel.as_ref())
            .map(|o| o.labels)
            .max();
        let n = labels.unwrap_or(0).max(classes);
        (
            "unknown dataset".to_string(),
            (0..n).map(|c| c.to_string()).collect(),
            None,
        )
    };
    let config_path = dir.join(CONFIG_TOML);
    let config_text = if config_path.exists() {
        Some(std::fs::read_to_string(&config_path).map_err(|e| Error::io(&config_path, e))?)
    } else {
        None
    };
    write_report(
        dir,
        &ReportInputs {
            dataset,
            class_names,
            epochs,
            runs,
            config_text,
            validation,
        },
    )
}
