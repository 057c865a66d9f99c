//! The `learnloss` binary end to end: one epoch of both methods on the embedded data writes every
//! file of the report (the PNGs decode, report.html embeds them); a run killed part-way and
//! resumed ends with the metrics of an uninterrupted run; bad flags, a missing data folder and
//! an unwritable --out each give a one-line error and a non-zero exit.

#[path = "common/tiny_mnist.rs"]
mod tiny_mnist;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use tiny_mnist::write_tiny_mnist;

const BIN: &str = env!("CARGO_BIN_EXE_learnloss");

fn learnloss(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Decodes a PNG fully, returning its size.
fn png_size(path: &Path) -> (u32, u32) {
    let file = std::fs::File::open(path).unwrap();
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut buf = vec![0; reader.output_buffer_size().expect("size fits")];
    let info = reader.next_frame(&mut buf).unwrap();
    (info.width, info.height)
}

#[test]
fn one_epoch_on_the_embedded_data_writes_the_whole_report() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("results");
    let run = learnloss(&["train", "--epochs", "1", "--runs", "1", "--out", dir.to_str().unwrap()]);
    assert!(
        run.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        text(&run.stdout),
        text(&run.stderr)
    );
    let stdout = text(&run.stdout);
    assert!(
        stdout.contains("identically zero"),
        "the seed preset's vacuity note: {stdout}"
    );
    for file in [
        "config.toml",
        "metrics.csv",
        "metrics.jsonl",
        "results.jsonl",
        "summary.json",
        "report.html",
        "classification_report_baseline.txt",
        "classification_report_learnable.txt",
        "baseline/run-1/checkpoint/model.safetensors",
        "learnable/run-1/checkpoint/optimizer.safetensors",
        "learnable/run-1/checkpoint/rng.safetensors",
    ] {
        assert!(dir.join(file).is_file(), "{file} is missing");
    }
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let mut pngs = 0;
    for entry in std::fs::read_dir(dir.join("plots")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "png") {
            let (w, h) = png_size(&path);
            assert!(w > 100 && h > 100, "{}: {w}×{h}", path.display());
            pngs += 1;
        }
    }
    // accuracy, loss, penalties, energy, F1 bars and a confusion matrix per method.
    assert!(pngs >= 7, "only {pngs} plots");
    assert_eq!(
        html.matches("data:image/png;base64,").count(),
        pngs,
        "report.html embeds every plot"
    );
    let report = std::fs::read_to_string(dir.join("classification_report_learnable.txt")).unwrap();
    assert!(
        report.contains("Ankle boot") && report.contains("weighted avg"),
        "{report}"
    );
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    assert!(
        config.contains("preset = \"seed\"") && config.contains("epochs = 1"),
        "{config}"
    );

    // `report DIR` regenerates the plots and the page from the metrics files.
    std::fs::remove_file(dir.join("report.html")).unwrap();
    let again = learnloss(&["report", dir.to_str().unwrap()]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(dir.join("report.html").is_file());
}

/// Every field of every epoch and run except the timings.
fn metrics_without_seconds(dir: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    for file in ["metrics.jsonl", "results.jsonl"] {
        for line in std::fs::read_to_string(dir.join(file)).unwrap().lines() {
            let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
            value.as_object_mut().unwrap().remove("seconds");
            lines.push(value.to_string());
        }
    }
    lines
}

#[test]
fn a_killed_run_resumes_to_the_metrics_of_an_uninterrupted_one() {
    let data = tempfile::tempdir().unwrap();
    write_tiny_mnist(data.path(), 400, 100);
    let out = tempfile::tempdir().unwrap();
    let (whole, killed) = (out.path().join("whole"), out.path().join("killed"));
    let args = |dir: &Path| {
        vec![
            "train".to_string(),
            "--dataset=mnist".into(),
            format!("--data-dir={}", data.path().display()),
            "--methods=learnable,baseline".into(),
            "--runs=2".into(),
            "--epochs=3".into(),
            "--batch-size=64".into(),
            "--quiet".into(),
            format!("--out={}", dir.display()),
        ]
    };
    let run = Command::new(BIN).args(args(&whole)).output().unwrap();
    assert!(run.status.success(), "{}", text(&run.stderr));

    // Kill as soon as the second learnable run has checkpointed its first epoch: mid-run, with
    // one run of the method finished, one partly done and the baseline not started.
    let mut child = Command::new(BIN)
        .args(args(&killed))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let marker = killed.join("learnable/run-2/checkpoint/complete");
    let start = Instant::now();
    while !marker.exists() && start.elapsed() < Duration::from_secs(300) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().ok();
    child.wait().unwrap();
    let mut resume = args(&killed);
    resume.push("--resume".into());
    let run = Command::new(BIN).args(&resume).output().unwrap();
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert_eq!(metrics_without_seconds(&whole), metrics_without_seconds(&killed));
}

/// Runs the binary expecting failure: a non-zero exit and exactly one line on stderr holding
/// every `needles`.
fn assert_one_line_error(args: &[&str], needles: &[&str]) {
    let run = learnloss(args);
    assert!(!run.status.success(), "{args:?} succeeded");
    let stderr = text(&run.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{args:?}: {stderr:?} does not mention {needle:?}"
        );
    }
}

#[test]
fn bad_flags_missing_data_and_an_unwritable_out_are_one_line_errors() {
    let out = tempfile::tempdir().unwrap();
    let out_flag = format!("--out={}", out.path().join("r").display());
    assert_one_line_error(&["train", "--epochz", "2"], &["--epochz"]);
    assert_one_line_error(&["train", "--preset", "loose"], &["loose"]);
    assert_one_line_error(&["train", "--methods", "baseline,magic"], &["magic"]);
    assert_one_line_error(&["train", "--runs", "0", &out_flag], &["runs"]);
    assert_one_line_error(&["train", "--dtype", "f16", &out_flag], &["f16"]);
    assert_one_line_error(
        &["train", "--dtype", "int64", &out_flag],
        &["float32 or float64", "int64"],
    );
    assert_one_line_error(&["train", "--device", "tpu", &out_flag], &["tpu", "auto"]);
    assert_one_line_error(
        &[
            "train",
            "--dataset",
            "mnist",
            "--data-dir",
            "/nonexistent/mnist",
            &out_flag,
        ],
        &["/nonexistent/mnist"],
    );
    // A per-sample trace with training-mode BatchNorm is not defined.
    assert_one_line_error(
        &["train", "--trace", "per-sample", "--lossnet-bn", "train", &out_flag],
        &["per-sample"],
    );
    // Class weights: not numbers, the wrong count for the data, negative.
    assert_one_line_error(&["train", "--class-weights", "2,x", &out_flag], &["\"x\""]);
    assert_one_line_error(
        &[
            "train",
            "--methods",
            "weighted-ce",
            "--class-weights",
            "2,1,1",
            "--epochs",
            "1",
            &out_flag,
        ],
        &["3 weights", "10 classes"],
    );
    assert_one_line_error(
        &["study", "--class-weights", "1,-1,1,1,1,1,1,1,1,1", &out_flag],
        &["class 1 is -1"],
    );
    assert_one_line_error(&["study", "--normalize", "0.5", &out_flag], &["MEAN,STD"]);
    assert_one_line_error(
        &["train", "--val-fraction", "1", &out_flag],
        &["val_fraction", "[0, 1)"],
    );
    let file = out.path().join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let unwritable = file.join("results");
    assert_one_line_error(
        &["train", "--epochs", "1", "--out", unwritable.to_str().unwrap()],
        &[unwritable.to_str().unwrap()],
    );
}

#[test]
fn the_written_config_loads_back_and_bad_files_are_errors_naming_them() {
    use learnloss::learnable::{Activation, BnMode, Preset, TraceDefinition};
    use learnloss::train::{Method, TrainConfig};
    let config = TrainConfig {
        preset: Preset::Meaningful,
        methods: Some(vec![Method::Learnable, Method::Hinge]),
        runs: 2,
        epochs: Some(7),
        lambda: 0.3,
        ..TrainConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.toml");
    std::fs::write(&path, config.to_toml()).unwrap();
    let back = TrainConfig::from_toml_file(&path).unwrap();
    // The file spells out what the preset chose, so it reproduces the run on its own.
    assert_eq!(back.trace, Some(TraceDefinition::PerSample));
    assert_eq!(back.lossnet_activation, Some(Activation::Softplus));
    assert_eq!(back.lossnet_bn, Some(BnMode::None));
    assert_eq!(
        (back.preset, back.runs, back.epochs(), back.lambda),
        (Preset::Meaningful, 2, 7, 0.3)
    );
    assert_eq!(back.methods, config.methods);
    assert_eq!(back.loss_network(10), config.loss_network(10));

    for (text, needle) in [
        ("epohcs = 3", "epohcs"),
        ("preset = \"loose\"", "loose"),
        ("dataset = \"mnist\"\nruns = -1", "run.toml:2:"),
    ] {
        std::fs::write(&path, text).unwrap();
        let err = TrainConfig::from_toml_file(&path).unwrap_err().to_string();
        assert!(err.contains("run.toml") && err.contains(needle), "{text}: {err}");
    }
    // A multi-label configuration with the defaults that depend on the method and the model left
    // to them: the file reproduces every method's model, learning rate and batch size.
    use learnloss::train::{ModelKind, Task};
    let multilabel = TrainConfig {
        task: Task::Multilabel,
        threshold: 0.4,
        image_size: 96,
        pretrained: Some("weights/resnet18.safetensors".into()),
        ..TrainConfig::default()
    };
    std::fs::write(&path, multilabel.to_toml()).unwrap();
    let back = TrainConfig::from_toml_file(&path).unwrap();
    assert_eq!(back.methods(), vec![Method::Bce, Method::Learnable]);
    assert_eq!(
        (back.task, back.threshold, back.image_size),
        (Task::Multilabel, 0.4, 96)
    );
    assert_eq!(back.pretrained, multilabel.pretrained);
    for m in back.methods() {
        assert_eq!(back.model_for(m), ModelKind::Resnet18);
        assert_eq!(
            (back.lr_for(m), back.batch_size_for(m), back.loss_network_lr()),
            (1e-4, 32, 1e-3)
        );
    }
    // Reused with another model, the file does not pin ResNet-18's learning rate.
    let reused = TrainConfig {
        model: Some(ModelKind::LearnableCnn),
        ..back
    };
    assert_eq!(reused.lr_for(Method::Bce), 1e-3);

    // Over the study's preset, a file replaces only the keys it gives.
    std::fs::write(&path, "runs = 2\nl1_alpha = 0.5\n").unwrap();
    let study = TrainConfig::from_toml_file_over(&path, &TrainConfig::loss_study()).unwrap();
    assert_eq!((study.runs, study.l1_alpha), (2, 0.5));
    assert_eq!(
        (study.model, study.normalize, study.val_fraction, study.epochs),
        (
            Some(ModelKind::Mlp),
            Some(learnloss::train::Normalize::HALF),
            0.0,
            Some(5)
        )
    );
    assert_eq!(study.methods(), vec![Method::Ce, Method::WeightedCe, Method::CeL1]);
    // The study's own written file loads back to the study.
    std::fs::write(&path, TrainConfig::loss_study().to_toml()).unwrap();
    let back = TrainConfig::from_toml_file(&path).unwrap();
    assert_eq!(back.class_weights, TrainConfig::loss_study().class_weights);
    assert_eq!(back.normalize, TrainConfig::loss_study().normalize);
    // A file `train` wrote is complete: loaded under `study`, it runs what it records, without
    // the study's normalisation or model.
    std::fs::write(&path, TrainConfig::default().to_toml()).unwrap();
    let plain = TrainConfig::from_toml_file_over(&path, &TrainConfig::loss_study()).unwrap();
    assert_eq!((plain.normalize, plain.model), (None, None));
    assert_eq!(plain.methods(), vec![Method::Baseline, Method::Learnable]);

    let missing = dir.path().join("absent.toml");
    let err = TrainConfig::from_toml_file(&missing).unwrap_err().to_string();
    assert!(err.contains("absent.toml"), "{err}");
}

/// `--dtype f64` trains in float64 end to end (networks, data, losses, optimiser, checkpoints,
/// report) and `--device auto` resolves to a named device in the written configuration. (The
/// float32 and float64 runs start from different weights: each dtype draws its own normals.)
#[test]
fn float64_training_on_the_best_device() {
    let data = tempfile::tempdir().unwrap();
    tiny_mnist::write_tiny_mnist(data.path(), 64, 32);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("f64");
    let args = [
        "train",
        "--dataset=mnist",
        &format!("--data-dir={}", data.path().display()),
        "--methods=learnable,baseline",
        "--runs=1",
        "--epochs=1",
        "--batch-size=32",
        "--quiet",
        "--dtype=f64",
        "--device=auto",
        &format!("--out={}", dir.display()),
    ];
    let done = learnloss(&args);
    assert!(done.status.success(), "{args:?}: {}", text(&done.stderr));
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    assert!(config.contains("dtype = \"float64\""), "{config}");
    let device = config
        .lines()
        .find_map(|l| l.strip_prefix("device = "))
        .expect("the device is written");
    assert_ne!(device, "\"auto\"", "auto is resolved to the device it chose");
    for method in ["baseline", "learnable"] {
        let file = dir.join(format!("{method}/run-1/checkpoint/model.safetensors"));
        let (tensors, _) = learnloss::checkpoint::load_tensors(&file).unwrap();
        assert!(
            tensors.iter().all(|(_, t)| t.dtype() != learnloss::DType::F32),
            "{method}: every saved float tensor is float64 (BatchNorm's counts are int64)"
        );
    }
    for line in metrics_without_seconds(&dir) {
        let record: serde_json::Value = serde_json::from_str(&line).unwrap();
        for (key, value) in record.as_object().unwrap() {
            if let Some(v) = value.as_f64() {
                assert!(v.is_finite(), "{key} = {v} in {line}");
            }
        }
    }
}

/// `--model mlp` puts every cross-entropy method on the study's MLP (batch 64 by default).
#[test]
fn the_mlp_trains_the_cross_entropy_methods() {
    let data = tempfile::tempdir().unwrap();
    tiny_mnist::write_tiny_mnist(data.path(), 64, 32);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("mlp");
    let args = [
        "train",
        "--dataset=mnist",
        &format!("--data-dir={}", data.path().display()),
        "--model=mlp",
        "--methods=ce,weighted-ce,ce-l1",
        "--runs=1",
        "--epochs=1",
        "--quiet",
        &format!("--out={}", dir.display()),
    ];
    let done = learnloss(&args);
    assert!(done.status.success(), "{args:?}: {}", text(&done.stderr));
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    for method in ["ce", "weighted-ce", "ce-l1"] {
        assert!(
            config.contains(&format!("# {method}: model mlp, lr 0.001, batch size 64")),
            "{config}"
        );
        let file = dir.join(format!("{method}/run-1/checkpoint/model.safetensors"));
        let (tensors, _) = learnloss::checkpoint::load_tensors(&file).unwrap();
        let names: Vec<&str> = tensors.iter().map(|(n, _)| n.as_str()).collect();
        assert!(names.contains(&"classifier.fc3.bias"), "{names:?}");
    }
}
