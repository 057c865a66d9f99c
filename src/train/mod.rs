//! The trainer: methods × runs on one dataset, per-epoch metrics, checkpoints for `--resume`,
//! and the report (DESIGN §5). The command line in `src/bin/learnloss.rs` is a thin layer over
//! [`train`].

mod class_weights;
mod config;
mod evaluate;
mod leftovers;
mod method;
mod model_kind;
mod models;
mod normalize;
mod out_lock;
mod progress;
mod results_folder;
mod run;
mod task;

pub use class_weights::ClassWeights;
pub use config::{Difference, MultiLabelSource, TrainConfig, EMBEDDED_EPOCHS, SEED_EPOCHS};
pub use evaluate::{energy_curve, evaluate, Evaluation};
pub use leftovers::remove_leftovers;
pub use method::Method;
pub use model_kind::{BuiltClassifier, ModelKind};
pub use models::{BatchLoss, RunModels};
pub use normalize::Normalize;
pub use out_lock::{OutLock, LOCK_FILE};
pub use progress::Progress;
pub use results_folder::Existing;
pub use run::{run_dir, train_run, Splits};
pub use task::{argmax_rows, Accuracy, Examples, Task};

use crate::data::{
    load, load_mosaic, load_multilabel_folder, split_validation, split_validation_multilabel, DatasetKind,
};
use crate::learnable::vacuity_warning;
use crate::report::{write_report, EpochRecord, ReportInputs, RunResult};
use crate::{Error, Result};
use std::path::PathBuf;

/// What a training invocation produced.
pub struct TrainOutcome {
    pub epochs: Vec<EpochRecord>,
    pub runs: Vec<RunResult>,
    /// Every file of the report.
    pub files: Vec<PathBuf>,
}

/// The dataset's display name for titles.
fn dataset_title(kind: DatasetKind) -> &'static str {
    match kind {
        DatasetKind::Mnist => "MNIST",
        DatasetKind::FashionMnist => "FashionMNIST",
        DatasetKind::Cifar10 => "CIFAR-10",
        DatasetKind::Cifar100 => "CIFAR-100",
        DatasetKind::OxfordPet => "Oxford-IIIT Pet",
        DatasetKind::Embedded => "FashionMNIST (embedded subset)",
    }
}

/// Whether the test set serves as the validation set (`--val-fraction 0`): training then uses
/// every training image, as the scripts of the loss-comparison study do. Nothing is selected on
/// the validation figures, so the test figures stay unbiased; the report says so.
pub fn validates_on_test(config: &TrainConfig) -> bool {
    config.val_fraction == 0.0
}

/// What the report says the validation figures are.
pub fn validation_note(config: &TrainConfig) -> Option<String> {
    validates_on_test(config).then(|| {
        "--val-fraction 0: trained on the whole training set; the validation figures are the test set's".to_string()
    })
}

/// The three splits of one task's data: the validation set held out of `train` by `split`
/// (seeded), or with `--val-fraction 0` the test set itself; `wrap` makes them [`Examples`].
fn make_splits<D: Clone>(
    config: &TrainConfig,
    train: D,
    test: D,
    split: fn(D, f64, u64) -> Result<(D, D)>,
    wrap: fn(D) -> Examples,
) -> Result<Splits> {
    let (train, val) = if validates_on_test(config) {
        (train, test.clone())
    } else {
        split(train, config.val_fraction, config.seed)?
    };
    Ok(Splits {
        train: wrap(train),
        val: wrap(val),
        test: wrap(test),
    })
}

/// The training (validation held out, unless `--val-fraction 0`) and test sets of the
/// configured task, and the data's title.
fn load_splits(config: &TrainConfig) -> Result<(Splits, String)> {
    match config.task {
        Task::Multiclass => {
            let kind = config.dataset_kind()?;
            let (train_set, test) = load(kind, config.data_dir.as_deref())?;
            let splits = make_splits(config, train_set, test, split_validation, Examples::Classes)?;
            Ok((splits, dataset_title(kind).to_string()))
        }
        Task::Multilabel => {
            let (title, (train_set, test)) = match config.multilabel_source()? {
                MultiLabelSource::Mosaic => (
                    "FashionMNIST 2×2 mosaics (multi-label, embedded subset)".to_string(),
                    load_mosaic(config.seed)?,
                ),
                MultiLabelSource::Folder => {
                    let dir = config.data_dir.as_deref().ok_or_else(|| {
                        Error::Config(
                            "--dataset folder needs --data-dir (the folder with train.csv and test.csv)".into(),
                        )
                    })?;
                    (
                        format!("{} (multi-label)", dir.display()),
                        load_multilabel_folder(dir, config.image_size)?,
                    )
                }
            };
            let splits = make_splits(config, train_set, test, split_validation_multilabel, Examples::Labels)?;
            Ok((splits, title))
        }
    }
}

/// Refuses, before any training, what would fail later: an empty split, validation or test
/// images of another shape (or class count) than the training images, a model the images or
/// the class count do not fit, `--pretrained` weights that do not load into it, and a last training batch of one sample where a training-mode
/// BatchNorm (the classifier's, or the loss network's) needs at least two.
fn check_fits(config: &TrainConfig, data: &Splits, methods: &[Method]) -> Result<()> {
    for (name, split) in [
        ("training", &data.train),
        ("validation", &data.val),
        ("test", &data.test),
    ] {
        if split.is_empty() {
            return Err(Error::Config(format!(
                "the {name} set is empty ({} training images before the --val-fraction {} split, {} test images)",
                data.train.len() + data.val.len(),
                config.val_fraction,
                data.test.len()
            )));
        }
    }
    let shape = data.train.image_shape();
    for (name, split) in [("validation", &data.val), ("test", &data.test)] {
        if split.image_shape() != shape || split.outputs() != data.train.outputs() {
            return Err(Error::Config(format!(
                "the {name} images are {:?} with {} outputs but the training images are {shape:?} with {}; \
                 both splits must come from one dataset",
                split.image_shape(),
                split.outputs(),
                data.train.outputs()
            )));
        }
    }
    if let (Some(path), Some(&method)) = (&config.pretrained, methods.first()) {
        // The weights against the model they are for (every method trains the same one, see
        // `TrainConfig::validate`), on the CPU: a shape or file fault is reported now, not in
        // the first run after the folder is written.
        let model = config.model_for(method);
        model.check(data.train.image_shape(), data.train.outputs())?;
        let spec = crate::nn::Spec::new(config.dtype, crate::Device::Cpu);
        let mut init = crate::Generator::new(0);
        let built = model.build(
            data.train.image_shape(),
            data.train.outputs(),
            &spec,
            &mut init,
            crate::nn::shared_generator(0),
        );
        crate::models::load_torchvision_resnet18(path, &built.net, "convolutions")?;
    }
    for &method in methods {
        let model = config.model_for(method);
        model.check(data.train.image_shape(), data.train.outputs())?;
        let batch = config.batch_size_for(method);
        if method == Method::WeightedCe {
            config.class_weights.resolve(&data.train.counts())?;
        }
        let lossnet_bn = method == Method::Learnable
            && config.loss_network(data.train.outputs()).bn == crate::learnable::BnMode::Train;
        if data.train.len() % batch == 1 && (model.has_batch_norm() || lossnet_bn) {
            return Err(Error::Config(format!(
                "{method}: {} training images at batch size {batch} leave a last batch of one image, \
                 which training-mode BatchNorm cannot normalise; choose another --batch-size",
                data.train.len()
            )));
        }
    }
    Ok(())
}

/// Loads the data, trains every run of every method (continuing finished and checkpointed runs
/// when `existing` is [`Existing::Resume`]), and writes the report to `config.out` after each
/// run, so that a failure later never loses a finished run's results. Nothing is written before
/// the configuration and the data are validated and the folder is found fit for `existing`.
pub fn train(config: &TrainConfig, existing: Existing, progress: &Progress) -> Result<TrainOutcome> {
    config.validate()?;
    // `auto` is resolved once, so every run and the written config.toml name the same device.
    let device = config.device()?;
    let resolved = TrainConfig {
        device: device.to_string(),
        ..config.clone()
    };
    let config = &resolved;
    progress.note(&format!("device: {} ({})", device.describe(), config.dtype));
    let (data, title) = load_splits(config)?;
    let classes = data.train.outputs();
    let unit = match config.task {
        Task::Multiclass => "classes",
        Task::Multilabel => "labels",
    };
    let validation = if validates_on_test(config) {
        "validation on the test set".to_string()
    } else {
        format!("{} validation", data.val.len())
    };
    progress.note(&format!(
        "{title}: {} training, {validation}, {} test images of shape {:?}, {classes} {unit}",
        data.train.len(),
        data.test.len(),
        data.train.image_shape(),
    ));
    let methods = config.methods();
    check_fits(config, &data, &methods)?;

    if config.out.exists() && !config.out.is_dir() {
        return Err(Error::Config(format!(
            "--out {} is a file, not a folder: choose a folder for the results",
            config.out.display()
        )));
    }
    std::fs::create_dir_all(&config.out).map_err(|e| Error::io(&config.out, e))?;
    // Held until training ends: a second invocation on this folder refuses instead of
    // interleaving its epochs with ours.
    let _lock = OutLock::acquire(&config.out)?;
    for path in remove_leftovers(&config.out)? {
        progress.note(&format!("removed {}, left by an interrupted write", path.display()));
    }
    for note in results_folder::prepare(&config.out, config, existing)? {
        progress.note(&note);
    }
    let resume = existing == Existing::Resume;
    let config_text = config.to_toml();
    crate::report::write_atomic(&config.out.join(crate::report::CONFIG_TOML), config_text.as_bytes())?;
    if methods.contains(&Method::Learnable) {
        if let Some(warning) = vacuity_warning(&config.probe_loss_network(classes), &config.objective()) {
            progress.note(&warning);
        }
    }

    let mut epochs = Vec::new();
    let mut runs = Vec::new();
    let mut files = Vec::new();
    for &method in &methods {
        progress.note(&format!("== {method}: {}", config.model_for(method).description()));
        for run in 1..=config.runs {
            let dir = run_dir(&config.out, method, run);
            let finished = if resume { run::finished_result(&dir)? } else { None };
            let (records, result) = match finished {
                Some(done) => {
                    progress.note(&format!("{method} run {run}: already finished, kept"));
                    done
                }
                None => train_run(config, method, run, &data, resume, progress)?,
            };
            progress.note(&format!(
                "{method} run {run}: test accuracy {:.4}, test loss {:.4}, {:.1} s",
                result.test_accuracy, result.test_loss, result.seconds
            ));
            epochs.extend(records);
            runs.push(result);
            files = write_report(
                &config.out,
                &ReportInputs {
                    dataset: title.clone(),
                    class_names: data.train.names().to_vec(),
                    epochs: epochs.clone(),
                    runs: runs.clone(),
                    config_text: Some(config_text.clone()),
                    validation: validation_note(config),
                },
            )?;
        }
    }
    progress.note(&summary_table(config, &runs));
    Ok(TrainOutcome { epochs, runs, files })
}

/// Test accuracy mean ± std (sample std) per method, with the per-run values (for the
/// multilabel task the seed's element-wise accuracy, which a first line says), then, with two
/// methods of two runs or more, whether their differences are larger than the run-to-run noise
/// (the report's `comparison.txt`).
pub fn summary_table(config: &TrainConfig, runs: &[RunResult]) -> String {
    let summary = crate::report::summarize("", &[], &[], runs);
    let mut out = String::new();
    if config.task == Task::Multilabel {
        out += "(test accuracy: element-wise, over samples × labels)\n";
    }
    out += &crate::report::means_text(&summary);
    if let Some(comparison) = &summary.comparison {
        out.push('\n');
        out += &crate::report::comparison_text(comparison);
    }
    out
}
