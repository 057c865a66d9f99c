//! One run of one method: the epoch loop, per-epoch metrics, a checkpoint after every epoch, and
//! the final test evaluation. A run killed at any point continues from its last checkpoint and
//! ends with the same metrics (every random choice comes from generators saved in it).

use super::evaluate::{energy_curve, evaluate};
use super::models::{run_seed, RunModels};
use super::task::{Accuracy, Examples};
use super::{Method, Progress, TrainConfig};
use crate::checkpoint::{find_training_checkpoint, load_training_checkpoint, save_training_checkpoint};
use crate::nn::Module;
use crate::optim::Optimizer;
use crate::report::metrics_io::{append_epoch, append_result, read_epochs, read_results, write_epochs};
use crate::report::{EpochRecord, RunResult};
use crate::{Error, Generator, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The datasets of one invocation.
pub struct Splits {
    pub train: Examples,
    pub val: Examples,
    pub test: Examples,
}

/// Where a run keeps its epochs, result and checkpoint: `OUT/METHOD/run-K`.
pub fn run_dir(out: &Path, method: Method, run: usize) -> PathBuf {
    out.join(method.name()).join(format!("run-{run}"))
}

/// The finished result of the run in `dir`, if it finished.
pub fn finished_result(dir: &Path) -> Result<Option<(Vec<EpochRecord>, RunResult)>> {
    if !dir.join(crate::report::metrics_io::RESULTS_JSONL).exists() {
        return Ok(None);
    }
    let result = read_results(dir)?.pop();
    Ok(match result {
        Some(r) => Some((read_epochs(dir)?, r)),
        None => None,
    })
}

const CHECKPOINT: &str = "checkpoint";

fn save(models: &RunModels, dir: &Path, epoch: usize, seed: Option<u64>) -> Result<()> {
    let mut modules: Vec<(&str, &dyn Module)> = vec![("classifier", &models.classifier)];
    let mut optimizers: Vec<(&str, &dyn Optimizer)> = vec![("classifier", &models.classifier_opt)];
    if let (Some(net), Some(opt)) = (&models.loss_network, &models.loss_network_opt) {
        modules.push(("loss_network", net));
        optimizers.push(("loss_network", opt));
    }
    let dropout = models.dropout.lock().clone();
    let rngs: [(&str, &Generator); 2] = [("shuffle", &models.shuffle), ("dropout", &dropout)];
    let mut extra = BTreeMap::from([("epoch".to_string(), epoch.to_string())]);
    if let Some(seed) = seed {
        extra.insert("seed".to_string(), seed.to_string());
    }
    save_training_checkpoint(dir.join(CHECKPOINT), &modules, &optimizers, &rngs, &extra)
}

/// What a checkpoint restored: the epochs it holds, and the seed of the run's initial weights
/// (None from checkpoints written before seeds were recorded, whose runs were seeded otherwise).
struct Restored {
    epochs: usize,
    seed: Option<u64>,
}

/// Restores the last checkpoint in `dir`; 0 epochs when there is none.
fn restore(models: &mut RunModels, dir: &Path) -> Result<Restored> {
    let path = dir.join(CHECKPOINT);
    if find_training_checkpoint(&path).is_none() {
        return Ok(Restored { epochs: 0, seed: None });
    }
    let mut dropout = models.dropout.lock().clone();
    let extra = {
        let RunModels {
            classifier,
            loss_network,
            classifier_opt,
            loss_network_opt,
            shuffle,
            ..
        } = &mut *models;
        let mut modules: Vec<(&str, &dyn Module)> = vec![("classifier", &*classifier)];
        let mut optimizers: Vec<(&str, &mut dyn Optimizer)> = vec![("classifier", classifier_opt)];
        if let (Some(net), Some(opt)) = (loss_network.as_ref(), loss_network_opt.as_mut()) {
            modules.push(("loss_network", net));
            optimizers.push(("loss_network", opt));
        }
        let mut rngs: [(&str, &mut Generator); 2] = [("shuffle", shuffle), ("dropout", &mut dropout)];
        load_training_checkpoint(&path, &modules, &mut optimizers, &mut rngs)?
    };
    *models.dropout.lock() = dropout;
    let epochs = extra
        .get("epoch")
        .and_then(|e| e.parse().ok())
        .ok_or_else(|| Error::Checkpoint(format!("checkpoint {}: no epoch count in its metadata", path.display())))?;
    Ok(Restored {
        epochs,
        seed: extra.get("seed").and_then(|s| s.parse().ok()),
    })
}

/// Trains one run (continuing a checkpoint when `resume`), evaluates it on the test set, and
/// returns its epochs and result. Every epoch is written to the run's folder as it ends.
pub fn train_run(
    config: &TrainConfig,
    method: Method,
    run: usize,
    data: &Splits,
    resume: bool,
    progress: &Progress,
) -> Result<(Vec<EpochRecord>, RunResult)> {
    let dir = run_dir(&config.out, method, run);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let classes = data.train.outputs();
    let mut models = RunModels::new(
        config,
        method,
        run,
        data.train.image_shape(),
        classes,
        &data.train.counts(),
    )?;
    let mut records = Vec::new();
    let mut first_epoch = 1;
    // The seed this run's weights started from: this invocation's, unless a checkpoint says
    // otherwise (a resumed run keeps the seed it started with, unknown for older checkpoints).
    let mut seed = Some(run_seed(config.seed, run, 0));
    if resume {
        let restored = restore(&mut models, &dir)?;
        let done = restored.epochs;
        if done > 0 {
            seed = restored.seed;
            records = read_epochs(&dir)?;
            // Epochs logged after the last checkpoint are redone (identically).
            records.retain(|r| r.epoch <= done);
            write_epochs(&dir, &records)?;
            first_epoch = done + 1;
            progress.note(&format!("{method} run {run}: resuming after epoch {done}"));
        } else {
            // No complete checkpoint: the run starts over, so epochs logged before the kill
            // (the first epoch's row is written before its checkpoint) go, or they would be
            // listed twice.
            write_epochs(&dir, &[])?;
        }
    } else {
        write_epochs(&dir, &[])?;
    }
    let batch_size = config.batch_size_for(method);
    let started = Instant::now();
    for epoch in first_epoch..=config.epochs() {
        let record = train_epoch(&mut models, config, data, epoch, run, batch_size, progress)?;
        progress.epoch_line(&record, config.epochs());
        append_epoch(&dir, &record)?;
        // A run restored from a checkpoint without a seed records none in later ones either.
        save(&models, &dir, epoch, seed)?;
        records.push(record);
    }
    let test = evaluate(&mut models, &data.test, batch_size, config.threshold)?;
    if !test.loss.is_finite() {
        return Err(Error::Diverged(format!(
            "{method} run {run}: the test loss is {} after training; {}",
            test.loss,
            what_to_lower(&models)
        )));
    }
    // The training set's predictions for its classification report (single-label data; the
    // multi-label report is of the test set only).
    let train = match &data.train {
        Examples::Classes(_) => Some(evaluate(&mut models, &data.train, batch_size, config.threshold)?),
        Examples::Labels(_) => None,
    };
    let task = models.task;
    let energy = models.loss_network.as_mut().map(|net| energy_curve(net, classes, task));
    let result = RunResult {
        method: method.name().to_string(),
        run,
        network: models.model.description().to_string(),
        test_accuracy: test.accuracy,
        test_loss: test.loss,
        seconds: records
            .iter()
            .map(|r| r.seconds)
            .sum::<f64>()
            .max(started.elapsed().as_secs_f64()),
        seed,
        y_true: test.y_true,
        y_pred: test.y_pred,
        train_y_true: train.as_ref().map_or_else(Vec::new, |t| t.y_true.clone()),
        train_y_pred: train.map_or_else(Vec::new, |t| t.y_pred),
        energy_curve: energy,
        multilabel: test.multilabel,
    };
    append_result(&dir, &result)?;
    Ok((records, result))
}

/// What a diverged run should change: the learning rate, and for the learnable method also λ.
fn what_to_lower(models: &RunModels) -> &'static str {
    // A changed setting is a new training: --resume would refuse it.
    if models.loss_network.is_some() {
        "lower --lr or --lambda (with --overwrite, or another --out)"
    } else {
        "lower --lr (with --overwrite, or another --out)"
    }
}

fn train_epoch(
    models: &mut RunModels,
    config: &TrainConfig,
    data: &Splits,
    epoch: usize,
    run: usize,
    batch_size: usize,
    progress: &Progress,
) -> Result<EpochRecord> {
    let start = Instant::now();
    let mut order: Vec<usize> = (0..data.train.len()).collect();
    models.shuffle.shuffle(&mut order);
    let batches = order.len().div_ceil(batch_size);
    let bar = progress.batches(models.method, run, epoch, config.epochs(), batches);
    let (mut loss_sum, mut seen) = (0.0, 0usize);
    let mut accuracy = Accuracy::new(data.train.task(), config.threshold);
    let mut penalty_sums = [0.0f64; 3];
    models.set_training(true);
    for (step, chunk) in order.chunks(batch_size).enumerate() {
        let (images, labels) = data.train.batch(chunk, models.dtype, &models.device);
        let loss = models.loss(&images, &labels, true)?;
        let n = chunk.len();
        let value = loss.total.item();
        let at = |models: &RunModels| format!("{} run {run}, epoch {epoch}, step {}", models.method, step + 1);
        if !value.is_finite() {
            return Err(Error::Diverged(format!(
                "{}: the training loss became {value}; {}",
                at(models),
                what_to_lower(models)
            )));
        }
        // The epoch's loss is the mean of its batch losses (`running_loss / len(loader)`, what
        // the study's users print); accuracy and penalties are per sample.
        loss_sum += value;
        if let Some((a, b, c)) = &loss.penalties {
            for (sum, t) in penalty_sums.iter_mut().zip([a, b, c]) {
                *sum += t.item() * n as f64;
            }
        }
        accuracy.add(&loss.scores, &labels)?;
        seen += n;
        let norm = models.step(&loss.total);
        if !norm.is_finite() {
            // The step was not taken: the last checkpoint and these weights stay finite.
            return Err(Error::Diverged(format!(
                "{}: the gradient norm became {norm} (at a training loss of {value}); {}",
                at(models),
                what_to_lower(models)
            )));
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let val = evaluate(models, &data.val, batch_size, config.threshold)?;
    if !val.loss.is_finite() {
        // The epoch is not recorded and not checkpointed: --resume starts from the last good one.
        return Err(Error::Diverged(format!(
            "{} run {run}, epoch {epoch}: the validation loss became {} (the weights diverged); {}",
            models.method,
            val.loss,
            what_to_lower(models)
        )));
    }
    let seen_f = seen.max(1) as f64;
    let learnable = models.loss_network.is_some();
    let penalty = |i: usize| learnable.then(|| penalty_sums[i] / seen_f);
    Ok(EpochRecord {
        method: models.method.name().to_string(),
        run,
        epoch,
        train_loss: loss_sum / batches.max(1) as f64,
        train_accuracy: accuracy.value(),
        val_loss: val.loss,
        val_accuracy: val.accuracy,
        nonneg: penalty(0),
        convex: penalty(1),
        lips: penalty(2),
        seconds: start.elapsed().as_secs_f64(),
    })
}
