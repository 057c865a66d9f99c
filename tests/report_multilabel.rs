//! The report of multi-label runs end to end: the files written, the classification reports
//! and summary metrics equal to report::multilabel's (scikit-learn's) values, the per-label
//! confusion grid, the page, regeneration from the files alone, and bad data (a single
//! label, a non-finite score) costing only the pieces it spoils.

use std::path::{Path, PathBuf};

use learnloss::report::metrics::mean_std;
use learnloss::report::metrics_io::{read_summary, SUMMARY_JSON};
use learnloss::report::multilabel::{
    hamming_loss, mean_average_precision, multilabel_classification_report, subset_accuracy,
};
use learnloss::report::{
    regenerate, write_report, EpochRecord, MultiLabelOutputs, ReportInputs, RunResult, RunsAggregate,
};

const LABELS: [&str; 4] = ["cat", "dog", "bird", "never predicted"];
const SAMPLES: usize = 60;

/// A fresh, empty folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("learnloss-report-ml-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Deterministic uniform numbers in [0, 1) (an LCG), so the data needs no RNG crate.
struct Lcg(u64);
impl Lcg {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One run's test outputs over `labels` labels: sample 0 carries no label, the last label
/// is present in some samples but never scored above 0.4 (so never predicted at 0.5).
fn outputs(rng: &mut Lcg, labels: usize) -> MultiLabelOutputs {
    let mut y_true = Vec::new();
    let mut scores = Vec::new();
    for sample in 0..SAMPLES {
        for label in 0..labels {
            let truth = u8::from(sample != 0 && rng.uniform() < 0.4);
            let u = rng.uniform();
            let score = if label == labels - 1 && labels > 1 {
                0.4 * u
            } else if truth == 1 {
                0.3 + 0.7 * u
            } else {
                0.6 * u
            };
            y_true.push(truth);
            scores.push(score);
        }
    }
    MultiLabelOutputs {
        labels,
        y_true,
        scores,
        threshold: 0.5,
    }
}

/// 2 methods × 2 runs × 3 epochs of a multi-label task of `labels` labels, as the trainer
/// fills them: single-label vectors empty, element-wise accuracies, label names as class
/// names, and an energy curve against t for the learnable runs.
fn synthetic(labels: usize) -> ReportInputs {
    let mut rng = Lcg(11);
    let mut epochs = Vec::new();
    let mut runs = Vec::new();
    for (m, method) in ["standard", "learnable"].into_iter().enumerate() {
        for run in 0..2 {
            let learn = m == 1;
            for epoch in 1..=3 {
                let e = epoch as f64;
                epochs.push(EpochRecord {
                    method: method.to_string(),
                    run,
                    epoch,
                    train_loss: 0.7 / e + 0.02 * run as f64,
                    train_accuracy: 0.7 + 0.05 * e + 0.01 * run as f64,
                    val_loss: 0.75 / e + 0.03 * m as f64,
                    val_accuracy: 0.68 + 0.05 * e - 0.01 * m as f64,
                    nonneg: learn.then_some(1e-3 / e),
                    convex: learn.then_some(0.01 / e),
                    lips: learn.then_some(0.2 / e),
                    seconds: 4.0 + run as f64,
                });
            }
            let o = outputs(&mut rng, labels);
            let right = o.y_true.iter().zip(o.y_pred()).filter(|(t, p)| **t == *p).count();
            runs.push(RunResult {
                method: method.to_string(),
                run,
                network: "ResNet-18 (one sigmoid per label)".to_string(),
                test_accuracy: right as f64 / o.y_true.len() as f64,
                test_loss: 0.3 + 0.01 * run as f64,
                seconds: 12.0,
                seed: None,
                y_true: Vec::new(),
                y_pred: Vec::new(),
                train_y_true: Vec::new(),
                train_y_pred: Vec::new(),
                energy_curve: learn.then(|| {
                    (0..=20)
                        .map(|i| {
                            let t = i as f64 / 20.0;
                            (t, (t - 0.95).powi(2) + 0.05 * run as f64)
                        })
                        .collect()
                }),
                multilabel: Some(o),
            });
        }
    }
    ReportInputs {
        dataset: "mosaic".to_string(),
        class_names: (0..labels)
            .map(|k| LABELS.get(k).map_or(format!("label {k}"), |s| s.to_string()))
            .collect(),
        epochs,
        runs,
        config_text: Some("[task]\nkind = \"multilabel\"\n".to_string()),
        validation: None,
    }
}

fn names(paths: &[PathBuf], dir: &Path) -> Vec<String> {
    paths
        .iter()
        .map(|p| p.strip_prefix(dir).unwrap().to_string_lossy().into_owned())
        .collect()
}

/// Width, height and RGB pixels of a PNG file.
fn decode_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(std::fs::read(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// The multi-label report of `runs` pooled (rows one run after another), as the library
/// computes it from slices.
fn pooled_report(runs: &[&RunResult], names: &[String]) -> String {
    let (mut y_true, mut y_pred) = (Vec::new(), Vec::new());
    for r in runs {
        let o = r.multilabel.as_ref().unwrap();
        y_true.extend_from_slice(&o.y_true);
        y_pred.extend(o.y_pred());
    }
    multilabel_classification_report(&y_true, &y_pred, names.len(), names, 4).unwrap()
}

#[test]
fn the_synthetic_runs_have_an_unpredicted_label_and_an_unlabelled_sample() {
    for r in &synthetic(4).runs {
        let o = r.multilabel.as_ref().unwrap();
        let pred = o.y_pred();
        assert!(o.y_true[..4].iter().all(|&t| t == 0));
        assert!(pred.iter().skip(3).step_by(4).all(|&p| p == 0));
        assert!(o.y_true.iter().skip(3).step_by(4).any(|&t| t == 1));
    }
}

#[test]
fn write_report_writes_the_multilabel_reports_and_plots() {
    let dir = scratch("files");
    let inputs = synthetic(4);
    let written = write_report(&dir, &inputs).unwrap();
    let names = names(&written, &dir);
    for expected in [
        "summary.json",
        "results.jsonl",
        "plots/accuracy.png",
        "plots/loss.png",
        "plots/penalties.png",
        "plots/energy.png",
        "plots/f1_per_class.png",
        "plots/precision_per_class.png",
        "plots/recall_per_class.png",
        "plots/multilabel_confusion_standard.png",
        "plots/multilabel_confusion_learnable.png",
        "classification_report_standard.txt",
        "classification_report_standard_all_runs.txt",
        "classification_report_learnable.txt",
        "classification_report_learnable_all_runs.txt",
        "report.html",
    ] {
        assert!(names.iter().any(|n| n == expected), "{expected} not in {names:?}");
    }
    assert!(!names.iter().any(|n| n.starts_with("plots/confusion_")), "{names:?}");

    for method in ["standard", "learnable"] {
        let runs: Vec<&RunResult> = inputs.runs.iter().filter(|r| r.method == method).collect();
        // The method's file is its last run's report, exactly as scikit-learn prints it.
        let last = runs.last().unwrap().multilabel.as_ref().unwrap();
        let expected =
            multilabel_classification_report(&last.y_true, &last.y_pred(), 4, &inputs.class_names, 4).unwrap();
        let text = std::fs::read_to_string(dir.join(format!("classification_report_{method}.txt"))).unwrap();
        assert_eq!(text, expected);
        assert!(
            text.contains("samples avg") && text.contains("never predicted"),
            "{text}"
        );
        // Beside it, the pooled rows of all runs, then each run.
        let all = std::fs::read_to_string(dir.join(format!("classification_report_{method}_all_runs.txt"))).unwrap();
        let pooled = pooled_report(&runs, &inputs.class_names);
        assert!(all.starts_with(&format!("{method} — test predictions of all runs pooled\n\n{pooled}")));
        for r in &runs {
            let own = pooled_report(&[r], &inputs.class_names);
            assert!(all.contains(&format!("{method} — run {}\n\n{own}", r.run)), "{all}");
        }
    }
}

/// The aggregate of `metric` over `method`'s runs, as the summary should hold it.
fn expected_aggregate(
    inputs: &ReportInputs,
    method: &str,
    metric: impl Fn(&MultiLabelOutputs) -> f64,
) -> RunsAggregate {
    let per_run: Vec<f64> = inputs
        .runs
        .iter()
        .filter(|r| r.method == method)
        .map(|r| metric(r.multilabel.as_ref().unwrap()))
        .collect();
    let (mean, std) = mean_std(&per_run);
    RunsAggregate { mean, std, per_run }
}

#[test]
fn summary_holds_subset_accuracy_hamming_loss_and_map_over_runs() {
    let dir = scratch("summary");
    let inputs = synthetic(4);
    write_report(&dir, &inputs).unwrap();
    let summary = read_summary(&dir.join(SUMMARY_JSON)).unwrap();
    assert_eq!(summary.class_names, inputs.class_names);
    for m in &summary.methods {
        let ml = m.multilabel.as_ref().unwrap();
        assert_eq!((ml.labels, ml.thresholds.as_slice()), (4, &[0.5, 0.5][..]));
        let subset = expected_aggregate(&inputs, &m.method, |o| {
            subset_accuracy(&o.y_true, &o.y_pred(), o.labels).unwrap()
        });
        let hamming = expected_aggregate(&inputs, &m.method, |o| {
            hamming_loss(&o.y_true, &o.y_pred(), o.labels).unwrap()
        });
        let map = expected_aggregate(&inputs, &m.method, |o| {
            mean_average_precision(&o.y_true, &o.scores, o.labels).unwrap()
        });
        assert_eq!(ml.subset_accuracy.as_ref(), Some(&subset));
        assert_eq!(ml.hamming_loss.as_ref(), Some(&hamming));
        assert_eq!(ml.mean_average_precision.as_ref(), Some(&map));
        assert!(subset.std > 0.0 && map.mean > 0.0 && map.mean < 1.0);
        // The element-wise accuracy the trainer reports is 1 − Hamming loss, run by run.
        for (acc, h) in m.test_accuracies.iter().zip(&hamming.per_run) {
            assert!((acc - (1.0 - h)).abs() < 1e-12);
        }
    }
}

#[test]
fn report_html_shows_the_multilabel_columns_and_embeds_every_plot() {
    let dir = scratch("html");
    let inputs = synthetic(4);
    let written = write_report(&dir, &inputs).unwrap();
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let pngs: Vec<&PathBuf> = written
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    // accuracy, loss, penalties, energy, precision, recall and F1 bars, two confusion grids.
    assert_eq!(pngs.len(), 9);
    assert_eq!(html.matches("src=\"data:image/png;base64,").count(), pngs.len());
    for png in pngs {
        let file = png.file_name().unwrap().to_string_lossy();
        assert!(
            html.contains(&format!("data-file=\"plots/{file}\"")),
            "{file} not embedded"
        );
    }
    for needle in [
        "<th>element-wise accuracy (mean ± std)</th>",
        "<th>subset accuracy (mean ± std)</th>",
        "<th>Hamming loss (mean ± std)</th>",
        "<th>mAP (mean ± std)</th>",
        "(score ≥ threshold) == y over all samples × labels, with threshold 0.5",
        "Per-label F1",
        "Per-label confusion matrices: learnable",
        "agreement with the truth",
        "samples avg",
        "never predicted",
    ] {
        assert!(html.contains(needle), "{needle} missing from report.html");
    }
    assert!(!html.contains("<th>test accuracy") && !html.contains("Left out"));
}

#[test]
fn the_confusion_grid_decodes_and_wraps_many_labels_into_rows() {
    let dir = scratch("grid");
    write_report(&dir, &synthetic(4)).unwrap();
    let (w, h, pixels) = decode_png(&dir.join("plots/multilabel_confusion_learnable.png"));
    // Four matrices in one row.
    assert!((600..=1000).contains(&w) && (300..=450).contains(&h), "{w}x{h}");
    let dark = pixels.chunks(3).filter(|p| p.iter().all(|&c| c < 80)).count();
    assert!(dark > 500, "only {dark} dark pixels");

    // Forty labels wrap into five rows of eight, each matrix as large as before.
    let dir = scratch("grid-40");
    write_report(&dir, &synthetic(40)).unwrap();
    let (w, h, _) = decode_png(&dir.join("plots/multilabel_confusion_standard.png"));
    assert!((1200..=2000).contains(&w) && (850..=1200).contains(&h), "{w}x{h}");
}

#[test]
fn regenerate_reproduces_the_report_from_its_files() {
    let dir = scratch("regenerate");
    let written = write_report(&dir, &synthetic(4)).unwrap();
    let before: Vec<Vec<u8>> = written.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let summary = read_summary(&dir.join(SUMMARY_JSON)).unwrap();
    let again = regenerate(&dir).unwrap();
    assert_eq!(names(&again, &dir), names(&written, &dir));
    for (path, old) in again.iter().zip(&before) {
        assert!(std::fs::read(path).unwrap() == *old, "{} changed", path.display());
    }
    assert_eq!(read_summary(&dir.join(SUMMARY_JSON)).unwrap(), summary);

    // Without summary.json the labels are named by their index.
    std::fs::remove_file(dir.join(SUMMARY_JSON)).unwrap();
    regenerate(&dir).unwrap();
    let regenerated = read_summary(&dir.join(SUMMARY_JSON)).unwrap();
    assert_eq!(regenerated.class_names, ["0", "1", "2", "3"]);
    assert_eq!(regenerated.methods, summary.methods);
    let text = std::fs::read_to_string(dir.join("classification_report_standard.txt")).unwrap();
    assert!(text.lines().nth(2).unwrap().trim_start().starts_with("0 "), "{text}");
}

#[test]
fn bad_multilabel_data_leaves_out_what_it_spoils_and_says_so() {
    // One label: scikit-learn reads it as binary, so there is no per-label report, F1 or
    // confusion matrix; the rest of the report is written, and the page says what is missing.
    let dir = scratch("one-label");
    let written = write_report(&dir, &synthetic(1)).unwrap();
    let names = names(&written, &dir);
    assert!(names.iter().any(|n| n == "plots/accuracy.png"), "{names:?}");
    assert!(
        !names.iter().any(|n| n.starts_with("classification_report_")),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.contains("confusion") || n.contains("f1_")),
        "{names:?}"
    );
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    for needle in [
        "<h2>Left out</h2>",
        "standard: classification reports left out",
        "per-label F1 plot left out",
        "learnable: per-label confusion matrices left out",
        "1 label; multi-label data needs at least 2",
    ] {
        assert!(html.contains(needle), "{needle} missing from report.html");
    }

    // A non-finite score has no average precision: mAP is left out of the summary, the
    // thresholded metrics stay.
    let dir = scratch("nan-score");
    let mut inputs = synthetic(4);
    inputs.runs[1].multilabel.as_mut().unwrap().scores[5] = f64::NAN;
    write_report(&dir, &inputs).unwrap();
    let summary = read_summary(&dir.join(SUMMARY_JSON)).unwrap();
    let standard = summary.methods[0].multilabel.as_ref().unwrap();
    assert!(standard.mean_average_precision.is_none() && standard.subset_accuracy.is_some());
    assert!(summary.methods[1]
        .multilabel
        .as_ref()
        .unwrap()
        .mean_average_precision
        .is_some());
    let json = std::fs::read_to_string(dir.join(SUMMARY_JSON)).unwrap();
    assert_eq!(json.matches("mean_average_precision").count(), 1, "{json}");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains("standard: mean average precision left out: run 1:"),
        "{html}"
    );
    assert!(html.contains("<td>n/a</td>"));
}

#[test]
fn a_report_mixing_single_and_multilabel_methods_does_not_panic() {
    let dir = scratch("mixed");
    let mut inputs = synthetic(4);
    for r in inputs.runs.iter_mut().filter(|r| r.method == "standard") {
        r.multilabel = None;
        r.y_true = vec![0, 1, 2, 3, 1];
        r.y_pred = vec![0, 1, 2, 2, 1];
    }
    let written = write_report(&dir, &inputs).unwrap();
    let names = names(&written, &dir);
    assert!(names.iter().any(|n| n == "plots/confusion_standard.png"), "{names:?}");
    assert!(
        names.iter().any(|n| n == "plots/multilabel_confusion_learnable.png"),
        "{names:?}"
    );
    regenerate(&dir).unwrap();
}
