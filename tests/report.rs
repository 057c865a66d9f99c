//! The reporting layer end to end: metrics files and their readers, every plot and the HTML
//! page from synthetic records, regeneration from the files alone, and errors (not panics) on
//! corrupt files, unwritable folders and NaN/empty data.

use std::path::{Path, PathBuf};

use learnloss::report::metrics_io::{
    append_epoch, append_result, read_epochs, read_epochs_csv, read_results, read_summary, write_epochs, METRICS_CSV,
    METRICS_JSONL, RESULTS_JSONL, SUMMARY_JSON,
};
use learnloss::report::{regenerate, write_atomic, write_report, EpochRecord, ReportInputs, RunResult};

const FASHION: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// A fresh, empty folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("learnloss-report-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Deterministic pseudo-random numbers (an LCG), so the synthetic data needs no RNG crate.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// 2 methods × 2 runs × 3 epochs, 10 classes, an energy curve for the learnable runs, and a
/// convex penalty that reaches exactly 0 (the log-axis floor case).
fn synthetic() -> ReportInputs {
    let mut rng = Lcg(7);
    let mut epochs = Vec::new();
    let mut runs = Vec::new();
    for (m, method) in ["standard", "learnable"].into_iter().enumerate() {
        for run in 0..2 {
            for epoch in 1..=3 {
                let e = epoch as f64;
                let learn = m == 1;
                epochs.push(EpochRecord {
                    method: method.to_string(),
                    run,
                    epoch,
                    train_loss: 1.5 / e + 0.05 * run as f64 + 0.2 * m as f64,
                    train_accuracy: 0.6 + 0.1 * e + 0.01 * run as f64 + 0.02 * m as f64,
                    val_loss: 1.6 / e + 0.07 * run as f64,
                    val_accuracy: 0.58 + 0.09 * e + 0.015 * run as f64 - 0.03 * m as f64,
                    nonneg: learn.then_some(1e-3 / e),
                    convex: learn.then_some(if epoch == 3 { 0.0 } else { 0.02 / e }),
                    lips: learn.then_some(0.5 / (e * e)),
                    seconds: 10.0 + run as f64 + 5.0 * m as f64,
                });
            }
            let y_true: Vec<usize> = (0..200).map(|_| rng.below(10)).collect();
            let y_pred: Vec<usize> = y_true
                .iter()
                .map(|&t| if rng.below(10) < 8 { t } else { rng.below(10) })
                .collect();
            let correct = y_true.iter().zip(&y_pred).filter(|(t, p)| t == p).count();
            runs.push(RunResult {
                method: method.to_string(),
                run,
                network: if m == 1 {
                    "learnable classifier (3 conv blocks)".to_string()
                } else {
                    "baseline CNN (2 conv blocks)".to_string()
                },
                test_accuracy: correct as f64 / 200.0,
                test_loss: 0.4 + 0.01 * run as f64,
                seconds: 35.0 + run as f64,
                seed: Some(100 + run as u64),
                // The training set's predictions: the first 150 test ones, all right.
                train_y_true: y_true[..150].to_vec(),
                train_y_pred: y_true[..150].to_vec(),
                y_true,
                y_pred,
                energy_curve: (m == 1).then(|| {
                    (0..=50)
                        .map(|i| {
                            let p = i as f64 / 50.0;
                            (p, (p - 0.9 - 0.02 * run as f64).powi(2) + 0.1)
                        })
                        .collect()
                }),
                multilabel: None,
            });
        }
    }
    ReportInputs {
        dataset: "FashionMNIST".to_string(),
        class_names: FASHION.iter().map(|s| s.to_string()).collect(),
        epochs,
        runs,
        config_text: Some("[train]\nepochs = 3\nruns = 2\n".to_string()),
        validation: None,
    }
}

/// Width, height and RGB(A) pixels of a PNG file.
fn decode_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn names(paths: &[PathBuf], dir: &Path) -> Vec<String> {
    paths
        .iter()
        .map(|p| p.strip_prefix(dir).unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn write_report_writes_every_file_and_every_png_decodes_and_is_not_blank() {
    let dir = scratch("every-file");
    let inputs = synthetic();
    let written = write_report(&dir, &inputs).unwrap();
    let names = names(&written, &dir);
    for name in &names {
        let top = name.split('/').next().unwrap();
        assert!(
            learnloss::report::is_report_output(top),
            "{name}: a file the report writes that --overwrite would not remove"
        );
    }
    for expected in [
        "metrics.csv",
        "metrics.jsonl",
        "results.jsonl",
        "summary.json",
        "config.toml",
        "plots/accuracy.png",
        "plots/loss.png",
        "plots/penalties.png",
        "plots/energy.png",
        "plots/f1_per_class.png",
        "plots/precision_per_class.png",
        "plots/recall_per_class.png",
        "plots/confusion_standard.png",
        "plots/confusion_learnable.png",
        "classification_report_standard.txt",
        "classification_report_learnable.txt",
        "classification_report_learnable_all_runs.txt",
        "classification_report_learnable_train.txt",
        "report.html",
    ] {
        assert!(names.iter().any(|n| n == expected), "{expected} not in {names:?}");
    }
    // The method's file is its last run's report, exactly as scikit-learn prints it.
    let last = inputs.runs.iter().rfind(|r| r.method == "learnable").unwrap();
    let expected =
        learnloss::report::classification_report(&last.y_true, &last.y_pred, &inputs.class_names, 4).unwrap();
    let written_text = std::fs::read_to_string(dir.join("classification_report_learnable.txt")).unwrap();
    assert_eq!(written_text, expected);
    // Beside it, the training set's (all right in the synthetic runs), and both in the
    // all-runs file.
    let train_expected =
        learnloss::report::classification_report(&last.train_y_true, &last.train_y_pred, &inputs.class_names, 4)
            .unwrap();
    let train_text = std::fs::read_to_string(dir.join("classification_report_learnable_train.txt")).unwrap();
    assert_eq!(train_text, train_expected);
    assert!(train_text.contains("1.0000       150"), "{train_text}");
    let all = std::fs::read_to_string(dir.join("classification_report_learnable_all_runs.txt")).unwrap();
    assert!(
        all.contains("learnable — run 1, training set") && all.contains("training-set predictions of all runs pooled"),
        "{all}"
    );
    for path in &written {
        assert!(path.is_file(), "{} missing", path.display());
        if path.extension().is_some_and(|e| e == "png") {
            let (w, h, pixels) = decode_png(path);
            assert!(w >= 300 && h >= 300, "{}: {w}x{h}", path.display());
            assert!(
                pixels.chunks(3).any(|p| p != &pixels[..3]),
                "{} is blank",
                path.display()
            );
            // Text is drawn from the embedded font: dark pixels exist beyond the axes.
            let dark = pixels.chunks(3).filter(|p| p.iter().all(|&c| c < 80)).count();
            assert!(dark > 100, "{} has almost no dark pixels", path.display());
        }
    }
}

#[test]
fn report_html_embeds_every_plot_the_summary_reports_and_config() {
    let dir = scratch("html");
    let inputs = synthetic();
    let written = write_report(&dir, &inputs).unwrap();
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let pngs: Vec<&PathBuf> = written
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    assert_eq!(html.matches("src=\"data:image/png;base64,").count(), pngs.len());
    for png in pngs {
        let file = png.file_name().unwrap().to_string_lossy();
        assert!(
            html.contains(&format!("data-file=\"plots/{file}\"")),
            "{file} not embedded"
        );
    }
    for needle in [
        "learnable classifier (3 conv blocks)",
        "baseline CNN (2 conv blocks)",
        "T-shirt/top",
        "weighted avg",
        "epochs = 3",
        "FashionMNIST",
    ] {
        assert!(html.contains(needle), "{needle} missing from report.html");
    }
    let summary = read_summary(&dir.join(SUMMARY_JSON)).unwrap();
    assert_eq!(summary.methods.len(), 2);
    // The two methods' runs share seeds but train different networks, so they share no initial
    // weights: Welch's test, not the paired one, and the page and comparison.txt say so.
    let comparison = summary
        .comparison
        .as_ref()
        .expect("two methods of two runs are compared");
    assert_eq!(comparison.pairs.len(), 1);
    let pair = &comparison.pairs[0];
    assert_eq!((pair.test.as_str(), pair.paired.is_none()), ("welch", true), "{pair:?}");
    assert!(html.contains("Are the differences real?"));
    let text = std::fs::read_to_string(dir.join("comparison.txt")).unwrap();
    assert!(
        text.contains("standard − learnable") && text.contains("Welch's t-test"),
        "{text}"
    );
    let standard = &summary.methods[0];
    assert_eq!((standard.method.as_str(), standard.runs), ("standard", 2));
    let accs: Vec<f64> = inputs.runs[..2].iter().map(|r| r.test_accuracy).collect();
    assert_eq!(standard.test_accuracies, accs);
    let mean = (accs[0] + accs[1]) / 2.0;
    let std = (((accs[0] - mean).powi(2) + (accs[1] - mean).powi(2)) / 1.0).sqrt();
    assert!((standard.test_accuracy_mean - mean).abs() < 1e-12);
    assert!((standard.test_accuracy_std - std).abs() < 1e-12);
    assert!((standard.seconds_per_epoch - 10.5).abs() < 1e-12);
}

#[test]
fn regenerate_reproduces_the_same_files_byte_for_byte() {
    let dir = scratch("regenerate");
    let written = write_report(&dir, &synthetic()).unwrap();
    let before: Vec<Vec<u8>> = written.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let again = regenerate(&dir).unwrap();
    assert_eq!(names(&again, &dir), names(&written, &dir));
    for (path, old) in again.iter().zip(&before) {
        assert!(std::fs::read(path).unwrap() == *old, "{} changed", path.display());
    }
}

#[test]
fn metrics_round_trip_through_jsonl_and_csv_with_nan_and_none() {
    let dir = scratch("round-trip");
    let mut inputs = synthetic();
    inputs.epochs[0].train_loss = f64::NAN;
    inputs.epochs[1].val_loss = f64::INFINITY;
    inputs.epochs[2].method = "odd, \"quoted\"\nname".to_string();
    inputs.epochs[4].nonneg = Some(f64::NAN);
    write_epochs(&dir, &inputs.epochs).unwrap();
    for back in [
        read_epochs(&dir).unwrap(),
        read_epochs_csv(&dir.join(METRICS_CSV)).unwrap(),
    ] {
        assert_eq!(back.len(), inputs.epochs.len());
        assert!(back[0].train_loss.is_nan());
        assert_eq!(back[1].val_loss, f64::INFINITY);
        assert_eq!(back[2].method, inputs.epochs[2].method);
        assert!(back[4].nonneg.unwrap().is_nan());
        assert_eq!(back[0].nonneg, None);
        assert_eq!(back[5..], inputs.epochs[5..]);
    }
}

#[test]
fn appends_build_the_files_a_record_at_a_time() {
    let dir = scratch("append");
    let inputs = synthetic();
    for e in &inputs.epochs {
        append_epoch(&dir, e).unwrap();
    }
    for r in &inputs.runs {
        append_result(&dir, r).unwrap();
    }
    assert_eq!(read_epochs(&dir).unwrap(), inputs.epochs);
    assert_eq!(read_epochs_csv(&dir.join(METRICS_CSV)).unwrap(), inputs.epochs);
    assert_eq!(read_results(&dir).unwrap(), inputs.runs);
    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn assert_names_file_and_line(err: learnloss::Error, file: &str, line: usize) {
    let msg = err.to_string();
    assert!(msg.contains(file) && msg.contains(&format!("line {line}")), "{msg}");
}

#[test]
fn readers_reject_a_corrupt_line_naming_file_and_line() {
    let dir = scratch("corrupt");
    let inputs = synthetic();
    write_report(&dir, &inputs).unwrap();

    let jsonl = dir.join(METRICS_JSONL);
    let text = std::fs::read_to_string(&jsonl).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[2] = "{\"method\": \"standard\", \"run\": 0, \"epo";
    std::fs::write(&jsonl, lines.join("\n")).unwrap();
    assert_names_file_and_line(read_epochs(&dir).unwrap_err(), METRICS_JSONL, 3);
    assert_names_file_and_line(regenerate(&dir).unwrap_err(), METRICS_JSONL, 3);

    let csv = dir.join(METRICS_CSV);
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[4] = lines[4].replacen(",", ",not-a-number,", 1);
    std::fs::write(&csv, lines.join("\n")).unwrap();
    assert_names_file_and_line(read_epochs_csv(&csv).unwrap_err(), METRICS_CSV, 5);

    let results = dir.join(RESULTS_JSONL);
    let mut text = std::fs::read_to_string(&results).unwrap();
    text.push_str("[1, 2, 3]\n");
    std::fs::write(&results, text).unwrap();
    assert_names_file_and_line(read_results(&dir).unwrap_err(), RESULTS_JSONL, 5);

    let summary = dir.join(SUMMARY_JSON);
    std::fs::write(&summary, "{\n  \"dataset\": 3\n}\n").unwrap();
    assert_names_file_and_line(read_summary(&summary).unwrap_err(), SUMMARY_JSON, 2);
}

#[test]
fn an_unwritable_output_dir_is_an_error_not_a_panic() {
    let dir = scratch("unwritable");
    // A regular file where a folder should be: fails even for root, unlike permissions.
    let blocker = dir.join("not-a-dir");
    std::fs::write(&blocker, "x").unwrap();
    let err = write_report(&blocker.join("report"), &synthetic()).unwrap_err();
    assert!(err.to_string().contains("not-a-dir"), "{err}");
    assert!(write_atomic(&blocker.join("file.txt"), b"x").is_err());
    assert!(regenerate(&dir.join("missing")).is_err());
}

#[test]
fn nan_infinite_single_epoch_and_empty_inputs_still_make_a_report() {
    let dir = scratch("degenerate");
    let mut inputs = synthetic();
    inputs.epochs.retain(|e| e.epoch == 1);
    for e in &mut inputs.epochs {
        e.train_loss = f64::NAN;
        e.val_accuracy = f64::INFINITY;
        e.convex = Some(0.0);
    }
    inputs.runs[0].energy_curve = Some(vec![(f64::NAN, 1.0), (0.5, f64::INFINITY)]);
    inputs.runs[2].energy_curve = Some(vec![]);
    inputs.runs[1].test_accuracy = f64::NAN;
    write_report(&dir, &inputs).unwrap();
    regenerate(&dir).unwrap();

    let empty = scratch("empty");
    let written = write_report(&empty, &ReportInputs::default()).unwrap();
    assert!(written.iter().any(|p| p.ends_with("report.html")));
    regenerate(&empty).unwrap();

    // Labels beyond the class names are bad data: an error, not a panic.
    let mut bad = synthetic();
    bad.runs[0].y_pred[0] = 10;
    assert!(write_report(&scratch("bad-labels"), &bad).is_err());
}

#[test]
fn a_hundred_long_class_names_render() {
    let dir = scratch("hundred");
    let mut inputs = synthetic();
    inputs.class_names = (0..100).map(|i| format!("staffordshire_bull_terrier_{i:02}")).collect();
    let mut rng = Lcg(3);
    for r in &mut inputs.runs {
        r.y_true = (0..1000).map(|_| rng.below(100)).collect();
        r.y_pred = r
            .y_true
            .iter()
            .map(|&t| if rng.below(2) == 0 { t } else { rng.below(100) })
            .collect();
    }
    let written = write_report(&dir, &inputs).unwrap();
    for p in written.iter().filter(|p| p.extension().is_some_and(|e| e == "png")) {
        decode_png(p);
    }
}

/// A folder reused for a report without a comparison (one method) or without training-set
/// predictions keeps none of the earlier report's.
#[test]
fn a_rewritten_report_drops_the_comparison_and_training_reports_it_no_longer_has() {
    let dir = scratch("stale");
    let mut inputs = synthetic();
    write_report(&dir, &inputs).unwrap();
    assert!(dir.join("comparison.txt").is_file());
    assert!(dir.join("classification_report_learnable_train.txt").is_file());
    inputs.runs.retain(|r| r.method == "learnable");
    inputs.epochs.retain(|e| e.method == "learnable");
    for r in &mut inputs.runs {
        r.train_y_true.clear();
        r.train_y_pred.clear();
    }
    write_report(&dir, &inputs).unwrap();
    assert!(!dir.join("comparison.txt").exists());
    assert!(!dir.join("classification_report_learnable_train.txt").exists());
}
