//! The trainer under faults and bad input (issue 24's findings 1, 2, 4 and 5): a second run on a
//! held results folder refuses, a resume after a kill between an epoch's metrics and its first
//! checkpoint lists the epoch once, test images of another shape are refused before training,
//! and a diverged validation loss stops the run, named, instead of being recorded.
//!
//! Each of these passed silently (or panicked late) before: the first three were checked by
//! running the test against the trainer as it was (rc 0 with interleaved or duplicated rows, and
//! rc 101 after training), the last by `--lr 1e15` exiting 0 with a NaN validation loss in the
//! metrics.

#[path = "common/tiny_mnist.rs"]
mod tiny_mnist;

use learnloss::train::OutLock;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_learnloss");

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The MLP with cross-entropy on the tiny data in `data`, into `out`, one epoch unless `extra`
/// says otherwise.
fn train(data: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "train".to_string(),
        "--dataset=mnist".into(),
        format!("--data-dir={}", data.display()),
        "--model=mlp".into(),
        "--methods=ce".into(),
        "--runs=1".into(),
        format!("--out={}", out.display()),
    ];
    if !extra.iter().any(|a| a.starts_with("--epochs")) {
        args.push("--epochs=1".into());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    Command::new(BIN).args(&args).output().expect("the binary runs")
}

/// Tiny MNIST files and a results folder holding one finished run trained with `extra`.
fn finished_run(extra: &[&str]) -> (tempfile::TempDir, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    tiny_mnist::write_tiny_mnist(data.path(), 64, 32);
    let out = tempfile::tempdir().unwrap();
    let first = train(data.path(), out.path(), extra);
    assert!(first.status.success(), "{}", text(&first.stderr));
    (data, out)
}

fn one_line_failure(run: &Output, needles: &[&str]) {
    let stderr = text(&run.stderr);
    assert!(!run.status.success(), "succeeded: {}", text(&run.stdout));
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{stderr:?} does not mention {needle:?}");
    }
}

fn epochs_listed(run_dir: &Path) -> Vec<usize> {
    let text = std::fs::read_to_string(run_dir.join("metrics.jsonl")).unwrap_or_default();
    text.lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["epoch"]
                .as_u64()
                .unwrap() as usize
        })
        .collect()
}

#[test]
fn a_second_run_on_a_held_folder_refuses_naming_the_holder() {
    let data = tempfile::tempdir().unwrap();
    tiny_mnist::write_tiny_mnist(data.path(), 64, 32);
    let out = tempfile::tempdir().unwrap();
    let held = OutLock::acquire(out.path()).unwrap();
    let second = train(data.path(), out.path(), &[]);
    one_line_failure(&second, &[&format!("pid {}", std::process::id()), "another --out"]);
    assert!(!out.path().join("ce").exists(), "the refused run wrote nothing");
    drop(held);
    let after = train(data.path(), out.path(), &[]);
    assert!(after.status.success(), "{}", text(&after.stderr));
}

#[test]
fn a_resume_without_a_complete_checkpoint_lists_each_epoch_once() {
    let (data, out) = finished_run(&["--epochs=2"]);
    let run_dir = out.path().join("ce/run-1");
    assert_eq!(epochs_listed(&run_dir), vec![1, 2]);
    // The state of a run killed after epoch 1's row was written and before its checkpoint was
    // complete: the row, no checkpoint, no result.
    let lines: Vec<String> = std::fs::read_to_string(run_dir.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .take(1)
        .map(String::from)
        .collect();
    std::fs::write(run_dir.join("metrics.jsonl"), lines.join("\n") + "\n").unwrap();
    std::fs::remove_dir_all(run_dir.join("checkpoint")).unwrap();
    std::fs::remove_file(run_dir.join("results.jsonl")).unwrap();
    let resumed = train(data.path(), out.path(), &["--epochs=2", "--resume"]);
    assert!(resumed.status.success(), "{}", text(&resumed.stderr));
    assert_eq!(epochs_listed(&run_dir), vec![1, 2]);
    let csv = std::fs::read_to_string(out.path().join("metrics.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "a header and two epochs:\n{csv}");
}

#[test]
fn test_images_of_another_shape_are_refused_before_anything_is_written() {
    let data = tempfile::tempdir().unwrap();
    tiny_mnist::write_tiny_mnist_sized(data.path(), (64, 28), (32, 32));
    let out = tempfile::tempdir().unwrap();
    let run = train(data.path(), &out.path().join("new"), &[]);
    one_line_failure(&run, &["[1, 32, 32]", "[1, 28, 28]"]);
    assert!(
        !out.path().join("new").exists(),
        "the results folder was not even created"
    );

    // Into the folder of a finished run: its configuration and results stay as they were.
    tiny_mnist::write_tiny_mnist(data.path(), 64, 32);
    let first = train(data.path(), out.path(), &[]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let config = std::fs::read(out.path().join("config.toml")).unwrap();
    tiny_mnist::write_tiny_mnist_sized(data.path(), (64, 28), (32, 32));
    let bad = train(data.path(), out.path(), &["--resume", "--lr=0.5"]);
    one_line_failure(&bad, &["[1, 32, 32]", "[1, 28, 28]"]);
    assert_eq!(std::fs::read(out.path().join("config.toml")).unwrap(), config);
}

/// A finished folder: reused without --resume it is refused; --overwrite trains afresh and
/// reports only the new run; --resume with other settings is refused naming each of them.
#[test]
fn a_folder_knows_its_configuration() {
    let (data, out) = finished_run(&["--seed=1"]);
    let config = std::fs::read_to_string(out.path().join("config.toml")).unwrap();
    let results = std::fs::read_to_string(out.path().join("ce/run-1/results.jsonl")).unwrap();

    let again = train(data.path(), out.path(), &["--seed=2"]);
    one_line_failure(&again, &["holds an earlier training", "--resume", "--overwrite"]);
    let changed = train(data.path(), out.path(), &["--seed=2", "--lr=0.5", "--resume"]);
    one_line_failure(
        &changed,
        &["--resume", "lr unset there, 0.5 now", "seed 1 there, 2 now"],
    );
    assert_eq!(std::fs::read_to_string(out.path().join("config.toml")).unwrap(), config);
    assert_eq!(
        std::fs::read_to_string(out.path().join("ce/run-1/results.jsonl")).unwrap(),
        results,
        "the refused runs changed nothing"
    );

    // The same settings (the flags of the first run, or none: they come from config.toml).
    for flags in [&["--seed=1", "--resume"][..], &["--resume"][..]] {
        let resumed = Command::new(BIN)
            .args(["train", &format!("--out={}", out.path().display())])
            .args(flags)
            .output()
            .unwrap();
        assert!(resumed.status.success(), "{flags:?}: {}", text(&resumed.stderr));
        assert!(
            text(&resumed.stdout).contains("already finished, kept"),
            "{}",
            text(&resumed.stdout)
        );
    }

    let overwritten = train(data.path(), out.path(), &["--seed=2", "--overwrite"]);
    assert!(overwritten.status.success(), "{}", text(&overwritten.stderr));
    assert!(text(&overwritten.stdout).contains("--overwrite: removed the earlier training"));
    let config = std::fs::read_to_string(out.path().join("config.toml")).unwrap();
    assert!(config.contains("seed = 2"), "{config}");
    let rows = std::fs::read_to_string(out.path().join("ce/run-1/results.jsonl")).unwrap();
    assert_eq!(rows.lines().count(), 1, "only the new run's result: {rows}");
    assert_ne!(rows, results);
}

#[test]
fn a_diverged_validation_loss_stops_the_run_without_recording_the_epoch() {
    let data = tempfile::tempdir().unwrap();
    tiny_mnist::write_tiny_mnist(data.path(), 64, 32);
    let out = tempfile::tempdir().unwrap();
    // One batch holds the whole training set: its loss is finite, the step it takes is not.
    let run = train(data.path(), out.path(), &["--lr=1e15", "--batch-size=100000"]);
    one_line_failure(&run, &["ce run 1, epoch 1", "validation loss", "lower --lr"]);
    assert_eq!(epochs_listed(&out.path().join("ce/run-1")), Vec::<usize>::new());
}

/// What interrupted writes leave (temporary files of atomic writes, a killed checkpoint save's
/// staging folder and its superseded folder) is removed when the next run takes the folder; a
/// `.checkpoint.old` that is the only complete checkpoint is kept and resumed from.
#[test]
fn leftovers_of_interrupted_writes_are_removed_and_a_fallback_checkpoint_is_kept() {
    let (data, out) = finished_run(&[]);
    let run_dir = out.path().join("ce/run-1");
    let leftovers = [
        out.path().join(".summary.json.4242.tmp"),
        out.path().join("plots/.loss.png.4242.tmp"),
        run_dir.join(".metrics.jsonl.4242.tmp"),
        run_dir.join("checkpoint/.model.safetensors.tmp-4242-0"),
        run_dir.join(".checkpoint.partial/model.safetensors"),
        run_dir.join(".checkpoint.old/complete"),
    ];
    for path in &leftovers {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"left by a kill").unwrap();
    }
    let again = train(data.path(), out.path(), &["--resume"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    for path in &leftovers {
        assert!(!path.exists(), "{} was left", path.display());
    }
    assert!(!run_dir.join(".checkpoint.partial").exists() && !run_dir.join(".checkpoint.old").exists());
    assert!(
        text(&again.stdout).contains("already finished, kept"),
        "{}",
        text(&again.stdout)
    );

    // Killed between a save's two renames: only `.checkpoint.old` holds the checkpoint.
    std::fs::rename(run_dir.join("checkpoint"), run_dir.join(".checkpoint.old")).unwrap();
    std::fs::remove_file(run_dir.join("results.jsonl")).unwrap();
    let resumed = train(data.path(), out.path(), &["--resume"]);
    assert!(resumed.status.success(), "{}", text(&resumed.stderr));
    assert!(
        text(&resumed.stdout).contains("resuming after epoch 1"),
        "{}",
        text(&resumed.stdout)
    );
    assert_eq!(epochs_listed(&run_dir), vec![1]);
}

/// A checkpoint whose weights hold NaN is refused on --resume, naming the file and the tensor,
/// instead of training from it (which reported "the training loss became NaN; lower --lr").
#[test]
fn a_checkpoint_holding_nan_is_refused_naming_the_tensor() {
    let (data, out) = finished_run(&["--epochs=2"]);
    let run_dir = out.path().join("ce/run-1");
    let model = run_dir.join("checkpoint/model.safetensors");
    let (mut tensors, metadata) = learnloss::checkpoint::load_tensors(&model).unwrap();
    let (name, weight) = tensors[0].clone();
    let mut values = weight.to_f64_vec();
    values[1] = f64::NAN;
    tensors[0].1 = learnloss::Tensor::from_f64s(&values, weight.shape(), weight.dtype(), weight.device());
    learnloss::checkpoint::save_tensors(&model, &tensors, &metadata).unwrap();
    std::fs::remove_file(run_dir.join("results.jsonl")).unwrap();
    let resumed = train(data.path(), out.path(), &["--epochs=2", "--resume"]);
    one_line_failure(&resumed, &["model.safetensors", &name, "1 non-finite values"]);
}

/// A key given twice in a config file is reported at the line of its second occurrence, where
/// the file is wrong (not at the first, or at the table's start).
#[test]
fn a_duplicate_config_key_is_reported_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.toml");
    std::fs::write(&path, "# settings\nseed = 1\nlr = 0.01\n\nseed = 2\nruns = 1\n").unwrap();
    let err = learnloss::train::TrainConfig::from_toml_file(&path)
        .unwrap_err()
        .to_string();
    assert!(err.contains("run.toml:5:"), "{err}");
    assert!(err.contains("seed"), "{err}");
}

/// `--out` naming an existing file is one line saying so, not the OS's "File exists".
#[test]
fn an_out_that_is_a_file_is_named_as_such() {
    let data = tempfile::tempdir().unwrap();
    tiny_mnist::write_tiny_mnist(data.path(), 64, 32);
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("results");
    std::fs::write(&file, "mine").unwrap();
    let run = train(data.path(), &file, &[]);
    one_line_failure(&run, &["results", "is a file, not a folder"]);
    assert!(!text(&run.stderr).contains("os error"), "{}", text(&run.stderr));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
}
