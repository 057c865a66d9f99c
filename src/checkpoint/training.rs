//! Training checkpoints: one folder holding the model, the optimiser state and the generator
//! states, which a resumed run either finds complete or does not find at all.
//!
//! Layout of `dir`:
//! - [`MODEL_FILE`]: every module's `state_dict()`, names prefixed with the module's name (no
//!   prefix for `""`, so a single unprefixed module loads straight into PyTorch); the header
//!   metadata holds `format: pt` and the caller's `extra` entries as `extra.<key>`.
//! - [`OPTIMIZER_FILE`]: every optimiser's [`Optimizer::state_dict`], names prefixed likewise.
//! - [`RNG_FILE`]: no tensors; the metadata holds each generator's state as `<name>.seed` (64
//!   hex digits), `<name>.word_pos`, `<name>.philox_seed` and `<name>.philox_offset` (decimal),
//!   exact where safetensors has no u128.
//! - [`COMPLETE_MARKER`]: written last.
//!
//! Robustness to being killed at any point: everything is written (and fsynced) into a sibling
//! staging folder `.<name>.partial`; only then is an existing `dir` renamed to `.<name>.old`, the
//! staging folder renamed to `dir`, and the old one deleted. A folder named `dir` therefore only
//! ever holds a complete checkpoint. A kill between the two renames leaves no `dir` but a
//! complete `.<name>.old`, which [`find_training_checkpoint`] and [`load_training_checkpoint`]
//! fall back to; the next save cleans up whatever a killed save left behind.

use super::atomic::{parent_of, sync_dir, write_atomically};
use super::file::{load_tensors, save_tensors, NamedTensors};
use super::module_io::{assign_all, match_state, torch_metadata};
use super::rng;
use crate::nn::{join_name, Module};
use crate::optim::Optimizer;
use crate::{Error, Generator, Result, Tensor};
use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The modules' parameters and buffers.
pub const MODEL_FILE: &str = "model.safetensors";
/// The optimisers' state.
pub const OPTIMIZER_FILE: &str = "optimizer.safetensors";
/// The generators' states.
pub const RNG_FILE: &str = "rng.safetensors";
/// Present only in a completely written checkpoint folder.
pub const COMPLETE_MARKER: &str = "complete";

const EXTRA_PREFIX: &str = "extra.";

/// `dir`'s parent folder and a sibling `.<name>.<suffix>` of it.
fn sibling(dir: &Path, suffix: &str) -> Result<PathBuf> {
    let name = dir.file_name().ok_or_else(|| {
        Error::Checkpoint(format!(
            "checkpoint {}: a training checkpoint needs a folder name",
            dir.display()
        ))
    })?;
    Ok(parent_of(dir).join(format!(".{}.{suffix}", name.to_string_lossy())))
}

fn io<T>(path: &Path, r: std::io::Result<T>) -> Result<T> {
    r.map_err(|e| Error::io(path, e))
}

/// Prefixes a loader's [`Error::Checkpoint`] message with the file (and the optimiser) it is
/// about; other errors pass unchanged.
fn in_file(path: &Path, what: &str, e: Error) -> Error {
    match e {
        Error::Checkpoint(m) => Error::Checkpoint(format!("checkpoint {}: {what}{m}", path.display())),
        other => other,
    }
}

fn check_unique<'a>(kind: &str, names: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut seen = HashSet::new();
    for n in names {
        if !seen.insert(n) {
            return Err(Error::Config(format!(
                "training checkpoint: {kind} name {n:?} appears twice"
            )));
        }
    }
    Ok(())
}

/// Writes a training checkpoint to `dir`, replacing any previous one there only once the new
/// one is complete (see the module documentation). Each module's, optimiser's and generator's
/// name must be unique; `extra` holds the caller's strings (epoch, step, configuration).
pub fn save_training_checkpoint(
    dir: impl AsRef<Path>,
    modules: &[(&str, &dyn Module)],
    optimizers: &[(&str, &dyn Optimizer)],
    rngs: &[(&str, &Generator)],
    extra: &BTreeMap<String, String>,
) -> Result<()> {
    let dir = dir.as_ref();
    check_unique("module", modules.iter().map(|(n, _)| *n))?;
    check_unique("optimizer", optimizers.iter().map(|(n, _)| *n))?;
    check_unique("generator", rngs.iter().map(|(n, _)| *n))?;
    let parent = parent_of(dir);
    let staging = sibling(dir, "partial")?;
    let old = sibling(dir, "old")?;
    io(&parent, fs::create_dir_all(&parent))?;
    if staging.exists() {
        io(&staging, fs::remove_dir_all(&staging))?;
    }
    io(&staging, fs::create_dir(&staging))?;

    let model: Vec<(String, Tensor)> = modules
        .iter()
        .flat_map(|(p, m)| m.state_dict().into_iter().map(|(n, t)| (join_name(p, &n), t)))
        .collect();
    let mut meta = torch_metadata();
    meta.extend(extra.iter().map(|(k, v)| (format!("{EXTRA_PREFIX}{k}"), v.clone())));
    save_tensors(staging.join(MODEL_FILE), &model, &meta)?;

    let state: Vec<(String, Tensor)> = optimizers
        .iter()
        .flat_map(|(p, o)| o.state_dict().into_iter().map(|(n, t)| (join_name(p, &n), t)))
        .collect();
    save_tensors(staging.join(OPTIMIZER_FILE), &state, &BTreeMap::new())?;

    let mut rng_meta = BTreeMap::new();
    for (name, g) in rngs {
        rng::encode(name, &g.state(), &mut rng_meta);
    }
    save_tensors(staging.join(RNG_FILE), &[], &rng_meta)?;

    write_atomically(&staging.join(COMPLETE_MARKER), b"learnloss training checkpoint\n")?;
    sync_dir(&staging)?;

    if dir.exists() {
        if old.exists() {
            io(&old, fs::remove_dir_all(&old))?;
        }
        io(dir, fs::rename(dir, &old))?;
        sync_dir(&parent)?;
    }
    io(dir, fs::rename(&staging, dir))?;
    sync_dir(&parent)?;
    if old.exists() {
        io(&old, fs::remove_dir_all(&old))?;
    }
    Ok(())
}

/// The folder holding the complete training checkpoint saved to `dir`: `dir` itself when it has
/// the [`COMPLETE_MARKER`], the previous checkpoint `.<name>.old` when a save was killed between
/// its two renames, and `None` when there is none (what `--resume` checks).
pub fn find_training_checkpoint(dir: impl AsRef<Path>) -> Option<PathBuf> {
    let dir = dir.as_ref();
    if dir.join(COMPLETE_MARKER).is_file() {
        return Some(dir.to_path_buf());
    }
    let old = sibling(dir, "old").ok()?;
    (!dir.exists() && old.join(COMPLETE_MARKER).is_file()).then_some(old)
}

/// Removes what killed saves to `dir` left behind and returns the paths removed: the staging
/// folder `.<name>.partial`, and `.<name>.old` when `dir` holds a complete checkpoint (without
/// one, `.old` is the checkpoint [`find_training_checkpoint`] falls back to, and stays). Only
/// for a caller that knows no save to `dir` is under way (the trainer holds its folder's lock).
pub fn remove_checkpoint_leftovers(dir: impl AsRef<Path>) -> Result<Vec<PathBuf>> {
    let dir = dir.as_ref();
    let mut removed = Vec::new();
    let staging = sibling(dir, "partial")?;
    if staging.exists() {
        io(&staging, fs::remove_dir_all(&staging))?;
        removed.push(staging);
    }
    let old = sibling(dir, "old")?;
    if old.exists() && dir.join(COMPLETE_MARKER).is_file() {
        io(&old, fs::remove_dir_all(&old))?;
        removed.push(old);
    }
    Ok(removed)
}

/// Splits the optimiser file's entries among the optimisers by name prefix (the longest
/// matching prefix wins), stripping it.
fn split_by_prefix(prefixes: &[&str], entries: Vec<(String, Tensor)>) -> Result<Vec<Vec<(String, Tensor)>>> {
    let mut parts = vec![Vec::new(); prefixes.len()];
    for (name, t) in entries {
        let owner = prefixes
            .iter()
            .enumerate()
            .filter(|(_, p)| p.is_empty() || name.strip_prefix(*p).is_some_and(|r| r.starts_with('.')))
            .max_by_key(|(_, p)| p.len());
        let Some((i, p)) = owner else {
            return Err(Error::Checkpoint(format!(
                "unexpected entry {name} (no optimizer named {prefixes:?} owns it)"
            )));
        };
        let local = if p.is_empty() {
            name
        } else {
            name[p.len() + 1..].to_string()
        };
        parts[i].push((local, t));
    }
    Ok(parts)
}

/// Refuses a checkpoint holding NaN or infinite values: training from it would diverge at once
/// (or report a misleading training loss), and a training checkpoint is only written after a
/// finite epoch, so such values mean a damaged or foreign file.
fn all_finite(tensors: &NamedTensors, path: &Path) -> Result<()> {
    for (name, tensor) in tensors {
        if !tensor.dtype().is_float() {
            continue;
        }
        let values = tensor.to_f64_vec();
        let bad = values.iter().filter(|v| !v.is_finite()).count();
        if bad > 0 {
            return Err(Error::Checkpoint(format!(
                "checkpoint {}: tensor {name} holds {bad} non-finite values (NaN or ±inf) of {}; \
                 it cannot be resumed from: train anew (--overwrite)",
                path.display(),
                values.len()
            )));
        }
    }
    Ok(())
}

/// Loads the training checkpoint saved to `dir` (see [`find_training_checkpoint`]) into the
/// modules, optimisers and generators, matched by the names they were saved under, and returns
/// the `extra` strings. Everything is checked first — every file, every name, shape and dtype,
/// every generator state — and only then assigned, so on error nothing has changed; the error
/// names the file and the first mismatch.
pub fn load_training_checkpoint(
    dir: impl AsRef<Path>,
    modules: &[(&str, &dyn Module)],
    optimizers: &mut [(&str, &mut dyn Optimizer)],
    rngs: &mut [(&str, &mut Generator)],
) -> Result<BTreeMap<String, String>> {
    let dir = dir.as_ref();
    let root = find_training_checkpoint(dir).ok_or_else(|| {
        Error::Checkpoint(format!(
            "checkpoint {}: no complete training checkpoint (missing folder or `{COMPLETE_MARKER}` marker)",
            dir.display()
        ))
    })?;
    let model_path = root.join(MODEL_FILE);
    let optimizer_path = root.join(OPTIMIZER_FILE);
    let rng_path = root.join(RNG_FILE);
    let (model_tensors, model_meta) = load_tensors(&model_path)?;
    let (optimizer_tensors, _) = load_tensors(&optimizer_path)?;
    let (rng_tensors, rng_meta) = load_tensors(&rng_path)?;

    let expected: Vec<(String, Tensor)> = modules
        .iter()
        .flat_map(|(p, m)| m.state_dict().into_iter().map(|(n, t)| (join_name(p, &n), t)))
        .collect();
    let pairs = match_state(&expected, &model_tensors)
        .map_err(|m| Error::Checkpoint(format!("checkpoint {}: {m}", model_path.display())))?;

    all_finite(&model_tensors, &model_path)?;
    all_finite(&optimizer_tensors, &optimizer_path)?;

    let prefixes: Vec<&str> = optimizers.iter().map(|(p, _)| *p).collect();
    let parts = split_by_prefix(&prefixes, optimizer_tensors).map_err(|e| in_file(&optimizer_path, "", e))?;
    for ((name, opt), part) in optimizers.iter().zip(&parts) {
        opt.check_state_dict(part)
            .map_err(|e| in_file(&optimizer_path, &format!("optimizer {name:?}: "), e))?;
    }

    let rng_fail = |m: String| Error::Checkpoint(format!("checkpoint {}: {m}", rng_path.display()));
    if let Some((name, _)) = rng_tensors.first() {
        return Err(rng_fail(format!("unexpected tensor {name}")));
    }
    let states = rngs
        .iter()
        .map(|(name, _)| rng::decode(name, &rng_meta))
        .collect::<std::result::Result<Vec<_>, String>>()
        .map_err(rng_fail)?;
    let known: HashSet<String> = rng::all_keys(rngs.iter().map(|(n, _)| *n)).into_iter().collect();
    if let Some(key) = rng_meta.keys().find(|k| !known.contains(*k)) {
        return Err(rng_fail(format!("unexpected generator entry {key}")));
    }

    assign_all(&pairs);
    for ((name, opt), part) in optimizers.iter_mut().zip(&parts) {
        opt.load_state_dict(part)
            .map_err(|e| in_file(&optimizer_path, &format!("optimizer {name:?}: "), e))?;
    }
    for ((_, g), state) in rngs.iter_mut().zip(&states) {
        **g = Generator::from_state(state);
    }
    Ok(model_meta
        .into_iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(EXTRA_PREFIX)?.to_string(), v)))
        .collect())
}
