//! The multi-label task end to end through the `learnloss` binary: one epoch of ResNet-18 on
//! the built-in mosaics (`train --task multilabel --model resnet18 --epochs 1 --runs 1`) writes
//! the whole report with the metrics scikit-learn would give for its stored predictions; a
//! CSV-listed image folder trains; torchvision weights load with `--pretrained`; and every bad
//! combination of flags is a one-line error.

use image::{ImageFormat, Rgb, RgbImage};
use learnloss::checkpoint::{load_tensors, save_tensors};
use learnloss::models::{resnet18_backbone, RESNET18_CHILDREN};
use learnloss::nn::{Module, Spec};
use learnloss::report::multilabel::{multilabel_classification_report, ElementwiseAccuracy};
use learnloss::report::RunResult;
use learnloss::{Generator, Tensor};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_learnloss");

fn learnloss(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_success(args: &[&str], run: &Output) {
    assert!(
        run.status.success(),
        "{args:?}\nstdout:\n{}\nstderr:\n{}",
        text(&run.stdout),
        text(&run.stderr)
    );
}

fn results(dir: &Path) -> Vec<RunResult> {
    std::fs::read_to_string(dir.join("results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn one_epoch_of_resnet18_on_the_mosaics_writes_the_whole_report() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("multilabel");
    let args = [
        "train",
        "--task",
        "multilabel",
        "--model",
        "resnet18",
        "--epochs",
        "1",
        "--runs",
        "1",
        "--out",
        dir.to_str().unwrap(),
    ];
    let run = learnloss(&args);
    assert_success(&args, &run);
    let stdout = text(&run.stdout);
    assert!(stdout.contains("10 labels"), "{stdout}");
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    for line in [
        "task = \"multilabel\"",
        "model = \"resnet18\"",
        "# bce: model resnet18, lr 0.0001, batch size 32",
        "# learnable: model resnet18, lr 0.0001, batch size 32",
        "methods = [\"bce\", \"learnable\"]",
    ] {
        assert!(config.contains(line), "{line} not in\n{config}");
    }
    for file in [
        "metrics.csv",
        "summary.json",
        "report.html",
        "classification_report_bce.txt",
        "classification_report_learnable_all_runs.txt",
        "bce/run-1/checkpoint/model.safetensors",
        "plots/multilabel_confusion_bce.png",
        "plots/multilabel_confusion_learnable.png",
        "plots/f1_per_class.png",
        "plots/energy.png",
    ] {
        assert!(dir.join(file).is_file(), "{file} is missing");
    }
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    for needle in ["element-wise accuracy", "Hamming loss", "subset accuracy"] {
        assert!(
            html.to_lowercase().contains(&needle.to_lowercase()),
            "{needle} not in report.html"
        );
    }
    let (model, _) = load_tensors(dir.join("bce/run-1/checkpoint/model.safetensors")).unwrap();
    assert!(model
        .iter()
        .any(|(n, _)| n == "classifier.convolutions.4.0.conv1.weight"));

    let names: Vec<String> = learnloss::data::load_embedded().unwrap().0.class_names().to_vec();
    for result in results(&dir) {
        let ml = result
            .multilabel
            .as_ref()
            .expect("a multi-label run stores its outputs");
        assert_eq!((ml.labels, ml.y_true.len(), ml.scores.len()), (10, 10_000, 10_000));
        assert!(result.y_true.is_empty() && result.y_pred.is_empty());
        // Every mosaic holds 1-4 classes.
        for row in ml.y_true.chunks(10) {
            let n: u8 = row.iter().sum();
            assert!((1..=4).contains(&n), "{row:?}");
        }
        // The stored test accuracy is the seed's element-wise accuracy of the stored scores.
        let mut acc = ElementwiseAccuracy::new();
        acc.add_batch(&ml.scores, &ml.y_true, 10, 0.5).unwrap();
        assert!((acc.value().unwrap() - result.test_accuracy).abs() < 1e-12);
        let report = multilabel_classification_report(&ml.y_true, &ml.y_pred(), 10, &names, 4).unwrap();
        let file = dir.join(format!("classification_report_{}.txt", result.method));
        assert_eq!(std::fs::read_to_string(file).unwrap(), report);
        assert!(result.network.contains("ResNet-18"), "{}", result.network);
    }
}

/// `n` RGB PNGs under `dir/images`, listed with their labels in `dir/<split>.csv`.
fn write_split(dir: &Path, split: &str, n: usize, seed: u64) {
    let mut gen = Generator::new(seed);
    let mut csv = String::from("image,labels\n");
    let names = ["bird", "cat", "dog"];
    for i in 0..n {
        let colour = [(gen.below(256)) as u8, (gen.below(256)) as u8, (gen.below(256)) as u8];
        let path = format!("images/{split}-{i}.png");
        std::fs::create_dir_all(dir.join("images")).unwrap();
        RgbImage::from_pixel(40, 36, Rgb(colour))
            .save_with_format(dir.join(&path), ImageFormat::Png)
            .unwrap();
        let labels: Vec<&str> = names.iter().copied().filter(|_| gen.below(2) == 1).collect();
        csv += &format!("{path},{}\n", labels.join(";"));
    }
    std::fs::write(dir.join(format!("{split}.csv")), csv).unwrap();
}

#[test]
fn a_csv_listed_folder_trains_at_the_chosen_size_and_threshold() {
    let data = tempfile::tempdir().unwrap();
    write_split(data.path(), "train", 20, 1);
    write_split(data.path(), "test", 8, 2);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("folder");
    let args = [
        "train",
        "--task=multilabel",
        "--dataset=folder",
        &format!("--data-dir={}", data.path().display()),
        "--image-size=32",
        "--methods=bce",
        "--epochs=1",
        "--runs=1",
        "--batch-size=8",
        "--threshold=0.3",
        "--quiet",
        &format!("--out={}", dir.display()),
    ];
    let run = learnloss(&args);
    assert_success(&args, &run);
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    assert!(
        config.contains("threshold = 0.3") && config.contains("image_size = 32"),
        "{config}"
    );
    let result = &results(&dir)[0];
    let ml = result.multilabel.as_ref().unwrap();
    assert_eq!((ml.labels, ml.y_true.len(), ml.threshold), (3, 24, 0.3));
}

/// A torchvision-named state dict (`conv1.weight`, `layer1.0.…`, `fc.*`) of a one-channel
/// ResNet-18, as `safetensors.torch.save_file(model.state_dict())` writes it.
fn write_torchvision_file(path: &Path) -> Tensor {
    let backbone = resnet18_backbone(1, &Spec::default(), &mut Generator::new(77));
    let mut named: Vec<(String, Tensor)> = backbone
        .state_dict()
        .into_iter()
        .map(|(name, t)| {
            let (index, rest) = name.split_once('.').unwrap();
            (
                format!("{}.{rest}", RESNET18_CHILDREN[index.parse::<usize>().unwrap()]),
                t,
            )
        })
        .collect();
    named.push((
        "fc.weight".into(),
        Tensor::zeros(&[1000, 512], learnloss::DType::F32, &learnloss::Device::Cpu),
    ));
    save_tensors(path, &named, &BTreeMap::new()).unwrap();
    backbone.state_dict()[0].1.clone()
}

#[test]
fn pretrained_weights_load_into_every_run() {
    let data = tempfile::tempdir().unwrap();
    write_split(data.path(), "train", 12, 3);
    write_split(data.path(), "test", 4, 4);
    let weights = data.path().join("resnet18-grey.safetensors");
    let conv1 = write_torchvision_file(&weights);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("pretrained");
    // Colour images against a one-channel conv1: the error names the tensor.
    let args = [
        "train",
        "--task=multilabel",
        "--dataset=folder",
        &format!("--data-dir={}", data.path().display()),
        "--image-size=32",
        "--methods=bce",
        "--epochs=1",
        "--runs=1",
        "--quiet",
        &format!("--pretrained={}", weights.display()),
        &format!("--out={}", dir.display()),
    ];
    let run = learnloss(&args);
    assert!(!run.status.success());
    let err = text(&run.stderr);
    assert!(
        err.contains("conv1.weight") && err.contains("resnet18-grey.safetensors"),
        "{err}"
    );

    // Greyscale images: the weights load, and with a negligible learning rate the trained
    // conv1 is still the file's.
    let grey = tempfile::tempdir().unwrap();
    for split in ["train", "test"] {
        std::fs::create_dir_all(grey.path().join("images")).unwrap();
        let csv = std::fs::read_to_string(data.path().join(format!("{split}.csv"))).unwrap();
        for line in csv.lines().skip(1) {
            let file = line.split(',').next().unwrap();
            image::open(data.path().join(file))
                .unwrap()
                .to_luma8()
                .save_with_format(grey.path().join(file), ImageFormat::Png)
                .unwrap();
        }
        std::fs::write(grey.path().join(format!("{split}.csv")), csv).unwrap();
    }
    let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    args[3] = format!("--data-dir={}", grey.path().display());
    args[5] = "--methods=bce,learnable".into();
    args[7] = "--runs=2".into();
    args.extend(["--lr=1e-12".into(), "--batch-size=4".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = learnloss(&args);
    assert_success(&args, &run);
    for run in ["bce/run-1", "bce/run-2", "learnable/run-1", "learnable/run-2"] {
        let (model, _) = load_tensors(dir.join(run).join("checkpoint/model.safetensors")).unwrap();
        let trained = &model
            .iter()
            .find(|(n, _)| n == "classifier.convolutions.0.weight")
            .unwrap()
            .1;
        let (a, b) = (trained.to_f64_vec(), conv1.to_f64_vec());
        assert!(
            a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-8),
            "{run}: conv1 is not the file's"
        );
    }
}

/// `metrics.jsonl` of a run folder without the wall-clock seconds.
fn epochs_without_seconds(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            v.as_object_mut().unwrap().remove("seconds");
            v
        })
        .collect()
}

#[test]
fn a_multilabel_run_resumed_after_an_epoch_ends_as_an_uninterrupted_one() {
    let data = tempfile::tempdir().unwrap();
    write_split(data.path(), "train", 16, 5);
    write_split(data.path(), "test", 6, 6);
    let out = tempfile::tempdir().unwrap();
    let run = |dir: &Path, epochs: &str, resume: bool| {
        let mut args = vec![
            "train".to_string(),
            "--task=multilabel".into(),
            "--dataset=folder".into(),
            format!("--data-dir={}", data.path().display()),
            "--image-size=32".into(),
            "--methods=learnable".into(),
            "--preset=meaningful".into(),
            format!("--epochs={epochs}"),
            "--runs=1".into(),
            "--batch-size=4".into(),
            format!("--out={}", dir.display()),
        ];
        if resume {
            args.push("--resume".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let done = learnloss(&args);
        assert_success(&args, &done);
        text(&done.stdout)
    };
    let whole = out.path().join("whole");
    run(&whole, "2", false);
    let parted = out.path().join("parted");
    run(&parted, "1", false);
    // The stopped run's result is removed and its configuration says 2 epochs, as if a 2-epoch
    // run had been killed after its first epoch's checkpoint: --resume continues from that
    // checkpoint (a resume that changed --epochs would be refused).
    std::fs::remove_file(parted.join("learnable/run-1/results.jsonl")).unwrap();
    let config = parted.join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("\nepochs = 1\n"), "{text}");
    std::fs::write(&config, text.replace("\nepochs = 1\n", "\nepochs = 2\n")).unwrap();
    let resumed = run(&parted, "2", true);
    assert!(resumed.contains("resuming after epoch 1"), "{resumed}");
    assert_eq!(
        epochs_without_seconds(&whole.join("learnable/run-1")),
        epochs_without_seconds(&parted.join("learnable/run-1"))
    );
    let (a, b) = (&results(&whole)[0], &results(&parted)[0]);
    assert_eq!(a.multilabel, b.multilabel, "the same test scores");
}

fn assert_one_line_error(args: &[&str], needles: &[&str]) {
    let run = learnloss(args);
    assert!(!run.status.success(), "{args:?} succeeded");
    let err = text(&run.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    for needle in needles {
        assert!(err.contains(needle), "{args:?}: {needle:?} not in {err}");
    }
}

#[test]
fn flags_that_do_not_fit_the_task_are_one_line_errors() {
    let out = tempfile::tempdir().unwrap();
    let o = format!("--out={}", out.path().join("x").display());
    assert_one_line_error(
        &["train", "--task=multilabel", "--methods=ce", &o],
        &["ce", "multilabel"],
    );
    assert_one_line_error(
        &["train", "--task=multilabel", "--dataset=mnist", &o],
        &["mnist", "folder"],
    );
    assert_one_line_error(&["train", "--task=multilabel", "--dataset=folder", &o], &["--data-dir"]);
    assert_one_line_error(
        &["train", "--task=multilabel", "--threshold=1.5", &o],
        &["threshold", "1.5"],
    );
    assert_one_line_error(&["train", "--task=pairs", &o], &["pairs"]);
    assert_one_line_error(&["train", "--model=vgg", &o], &["vgg"]);
    assert_one_line_error(
        &["train", "--model=learnable-cnn", "--pretrained=w.safetensors", &o],
        &["--pretrained", "resnet18"],
    );
    assert_one_line_error(
        &[
            "train",
            "--task=multilabel",
            "--pretrained=/nonexistent/w.safetensors",
            "--epochs=1",
            &o,
        ],
        &["/nonexistent/w.safetensors"],
    );
}

#[test]
fn data_the_model_or_batch_norm_cannot_take_is_refused_before_training() {
    let data = tempfile::tempdir().unwrap();
    write_split(data.path(), "train", 9, 7);
    write_split(data.path(), "test", 3, 8);
    let out = tempfile::tempdir().unwrap();
    let check = |extra: &[&str], needles: &[&str]| {
        let mut args = vec![
            "train".to_string(),
            "--task=multilabel".into(),
            "--dataset=folder".into(),
            format!("--data-dir={}", data.path().display()),
            "--epochs=1".into(),
            format!("--out={}", out.path().join("x").display()),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_one_line_error(&args, needles);
    };
    // 8 training images after the split: a last batch of one at batch size 7.
    check(
        &["--image-size=32", "--batch-size=7"],
        &["last batch of one", "--batch-size"],
    );
    check(&["--image-size=3", "--model=learnable-cnn"], &["3×3", "--image-size"]);
    check(
        &["--image-size=32", "--val-fraction=0.01"],
        &["validation set is empty"],
    );

    // One label only: fine for ResNet-18, refused by the two CNNs.
    let single = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(single.path().join("images")).unwrap();
    for (split, n) in [("train", 8u8), ("test", 3)] {
        let mut csv = String::from("image,labels\n");
        for i in 0..n {
            let path = format!("images/{split}-{i}.png");
            RgbImage::from_pixel(8, 8, Rgb([i * 20, 0, 0]))
                .save_with_format(single.path().join(&path), ImageFormat::Png)
                .unwrap();
            csv += &format!("{path},{}\n", if i % 2 == 0 { "cat" } else { "" });
        }
        std::fs::write(single.path().join(format!("{split}.csv")), csv).unwrap();
    }
    let args = [
        "train",
        "--task=multilabel",
        "--dataset=folder",
        &format!("--data-dir={}", single.path().display()),
        "--model=baseline-cnn",
        "--methods=bce",
        "--epochs=1",
        &format!("--out={}", out.path().join("y").display()),
    ];
    assert_one_line_error(&args, &["at least 2 classes or labels", "has 1"]);
}
