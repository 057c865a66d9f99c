//! A module's `state_dict()` to and from a safetensors file under PyTorch's names.

use super::file::{load_tensors, save_tensors};
use crate::nn::Module;
use crate::{Error, Result, Tensor};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// The metadata `safetensors.torch.save_file` users expect on a PyTorch state dict.
pub(crate) fn torch_metadata() -> BTreeMap<String, String> {
    BTreeMap::from([("format".to_string(), "pt".to_string())])
}

/// Writes `module.state_dict()` (parameters and buffers under PyTorch's names) to `path`
/// atomically; PyTorch loads it with `model.load_state_dict(safetensors.torch.load_file(path))`.
pub fn save_module(path: impl AsRef<Path>, module: &dyn Module) -> Result<()> {
    save_tensors(path, &module.state_dict(), &torch_metadata())
}

/// Loads a file written by [`save_module`] (or by `safetensors.torch.save_file(model.state_dict())`)
/// into `module`. Every name must be present and no other, with the module's shapes and dtypes;
/// otherwise the error names the file and the first mismatch, and the module is unchanged —
/// values are assigned only after everything has been checked.
pub fn load_into(path: impl AsRef<Path>, module: &dyn Module) -> Result<()> {
    let path = path.as_ref();
    let (loaded, _) = load_tensors(path)?;
    let expected = module.state_dict();
    let pairs = match_state(&expected, &loaded)
        .map_err(|m| Error::Checkpoint(format!("checkpoint {}: {m}", path.display())))?;
    assign_all(&pairs);
    Ok(())
}

/// Pairs each expected tensor with its loaded value, or describes the first mismatch: in the
/// expected order a missing name, a wrong shape or a wrong dtype, then the first unexpected
/// loaded name.
pub(crate) fn match_state<'a>(
    expected: &'a [(String, Tensor)],
    loaded: &'a [(String, Tensor)],
) -> std::result::Result<Vec<(&'a Tensor, &'a Tensor)>, String> {
    let by_name: HashMap<&str, &Tensor> = loaded.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let mut pairs = Vec::with_capacity(expected.len());
    for (name, target) in expected {
        let Some(value) = by_name.get(name.as_str()) else {
            return Err(format!("{name} is missing (the model expects it)"));
        };
        if value.shape() != target.shape() {
            return Err(format!(
                "{name} has shape {:?}, the model expects {:?}",
                value.shape(),
                target.shape()
            ));
        }
        if value.dtype() != target.dtype() {
            return Err(format!(
                "{name} has dtype {}, the model expects {}",
                value.dtype(),
                target.dtype()
            ));
        }
        pairs.push((target, *value));
    }
    let known: HashSet<&str> = expected.iter().map(|(n, _)| n.as_str()).collect();
    if let Some((name, _)) = loaded.iter().find(|(n, _)| !known.contains(n.as_str())) {
        return Err(format!(
            "unexpected entry {name} (the model has no such parameter or buffer)"
        ));
    }
    Ok(pairs)
}

/// Copies each value into its target in place (shapes and dtypes already checked).
pub(crate) fn assign_all(pairs: &[(&Tensor, &Tensor)]) {
    for (target, value) in pairs {
        target.assign(value);
    }
}
