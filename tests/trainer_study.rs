//! `learnloss study` end to end (one epoch, two runs, the embedded data): the preset's settings
//! land in config.toml, every epoch prints `Epoch k/N, Loss: …`, every method of a run starts
//! from the same weights, and the report holds the plots, the test- and training-set
//! classification reports, and the comparison of the methods.

use learnloss::nn::Module;
use learnloss::train::{ClassWeights, Method, Normalize, RunModels, TrainConfig};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_learnloss");

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_study_preset_writes_plots_both_reports_and_the_comparison() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("study");
    let run = Command::new(BIN)
        .args(["study", "--epochs", "1", "--runs", "2", "--out", dir.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = text(&run.stdout);
    assert!(
        run.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&run.stderr)
    );
    for method in ["ce", "weighted-ce", "ce-l1"] {
        for r in [1, 2] {
            assert!(
                stdout.contains(&format!("{method} run {r}: Epoch 1/1, Loss: ")),
                "{method} run {r}'s epoch line:\n{stdout}"
            );
        }
    }
    assert!(stdout.contains("validation on the test set"), "{stdout}");

    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    for line in [
        "model = \"mlp\"",
        "normalize = [0.5, 0.5]",
        "class_weights = [2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]",
        "l1_alpha = 0.01",
        "val_fraction = 0.0",
        "# ce-l1: model mlp, lr 0.001, batch size 64",
    ] {
        assert!(config.contains(line), "{line:?} missing from\n{config}");
    }

    for file in [
        "report.html",
        "summary.json",
        "comparison.txt",
        "plots/loss.png",
        "plots/accuracy.png",
        "plots/confusion_ce.png",
        "plots/confusion_ce_l1.png",
        "classification_report_ce.txt",
        "classification_report_ce_train.txt",
        "classification_report_weighted_ce_train.txt",
        "classification_report_ce_l1_train.txt",
    ] {
        assert!(dir.join(file).is_file(), "{file} is missing");
    }
    // The training-set report covers the whole training set (5000 embedded images).
    let train_report = std::fs::read_to_string(dir.join("classification_report_ce_train.txt")).unwrap();
    assert!(train_report.contains("5000"), "{train_report}");
    let test_report = std::fs::read_to_string(dir.join("classification_report_ce.txt")).unwrap();
    assert!(
        test_report.contains("1000") && !test_report.contains("5000"),
        "{test_report}"
    );

    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let pairs = summary["comparison"]["pairs"]
        .as_array()
        .expect("a comparison in summary.json");
    assert_eq!(pairs.len(), 3, "{pairs:?}");
    for p in pairs {
        // The runs share their seeds, so the verdict rests on the paired test.
        assert_eq!(p["test"], "paired", "{p}");
        assert!(
            p["paired"]["p"].as_f64().is_some() || p["paired"]["p"].is_string(),
            "{p}"
        );
    }
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("--val-fraction 0"), "the page says what validated");
    assert!(
        html.contains("Training-set predictions"),
        "the training-set reports are on the page"
    );
    let comparison = std::fs::read_to_string(dir.join("comparison.txt")).unwrap();
    assert!(
        comparison.contains("ce − weighted-ce") || comparison.contains("ce vs weighted-ce"),
        "{comparison}"
    );
}

/// Every method of a run starts from the same initial weights (the comparison is then of the
/// losses alone); the next run starts elsewhere.
#[test]
fn every_method_of_a_run_starts_from_the_same_weights() {
    let config = TrainConfig::loss_study();
    assert_eq!(config.normalize, Some(Normalize::HALF));
    assert!(matches!(&config.class_weights, ClassWeights::List(w) if w[0] == 2.0 && w[1..].iter().all(|&v| v == 1.0)));
    let counts = vec![10; 10];
    let weights = |method: Method, run: usize| -> Vec<Vec<f64>> {
        let models = RunModels::new(&config, method, run, [1, 28, 28], 10, &counts).unwrap();
        models.classifier.parameters().iter().map(|p| p.to_f64_vec()).collect()
    };
    let ce = weights(Method::Ce, 1);
    assert_eq!(ce, weights(Method::WeightedCe, 1));
    assert_eq!(ce, weights(Method::CeL1, 1));
    assert_ne!(ce, weights(Method::Ce, 2));
}
