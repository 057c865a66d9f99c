//! Loading a torchvision ResNet-18 state dict, saved as safetensors
//! (`safetensors.torch.save_file(resnet18(weights=...).state_dict(), path)`), into the backbone
//! of [`super::resnet18_backbone`] or of the multi-label classifier. Nothing is downloaded: the
//! user brings the file.

use super::resnet::RESNET18_CHILDREN;
use crate::checkpoint::load_tensors;
use crate::nn::{join_name, Module};
use crate::{Error, Result, Tensor};
use std::collections::HashMap;
use std::path::Path;

/// The backbone name of a torchvision ResNet-18 tensor (`layer2.0.downsample.0.weight` →
/// `5.0.downsample.0.weight`), `Ok(None)` for the classifier head `fc.*`, which the backbone
/// does not have, and an error for a name no ResNet-18 holds.
pub fn torchvision_to_backbone_name(name: &str) -> std::result::Result<Option<String>, String> {
    let (child, rest) = name.split_once('.').unwrap_or((name, ""));
    if child == "fc" {
        return Ok(None);
    }
    match RESNET18_CHILDREN.iter().position(|&c| c == child) {
        Some(index) if !rest.is_empty() => Ok(Some(format!("{index}.{rest}"))),
        _ => Err(format!(
            "unexpected entry {name} (a torchvision ResNet-18 state dict has conv1, bn1, layer1-4 and fc)"
        )),
    }
}

/// Loads the torchvision ResNet-18 weights in `path` into the tensors of `module` named
/// `prefix.<backbone name>` (`prefix` = `""` for a bare backbone, `"convolutions"` for the
/// multi-label classifier). `fc.*` is ignored; every other backbone tensor must be present with
/// the model's shape, and nothing else may be. Floats are converted to the model's dtype, as
/// PyTorch's `load_state_dict` copies them. On any error the model is unchanged, and the error
/// names the file and the tensor by its torchvision name.
pub fn load_torchvision_resnet18(path: impl AsRef<Path>, module: &dyn Module, prefix: &str) -> Result<()> {
    let path = path.as_ref();
    let fail = |m: String| Error::Checkpoint(format!("pretrained ResNet-18 weights {}: {m}", path.display()));
    let (loaded, _) = load_tensors(path)?;
    let expected: HashMap<String, Tensor> = module
        .state_dict()
        .into_iter()
        .filter(|(n, _)| prefix.is_empty() || n.starts_with(&format!("{prefix}.")))
        .collect();
    let mut pairs = Vec::with_capacity(expected.len());
    let mut found = HashMap::new();
    for (name, value) in &loaded {
        let Some(local) = torchvision_to_backbone_name(name).map_err(fail)? else {
            continue;
        };
        let ours = join_name(prefix, &local);
        let Some(target) = expected.get(&ours) else {
            return Err(fail(format!("unexpected entry {name} (the model has no {ours})")));
        };
        if value.shape() != target.shape() {
            return Err(fail(format!(
                "{name} has shape {:?}, the model's {ours} has {:?}",
                value.shape(),
                target.shape()
            )));
        }
        let value = match (value.dtype(), target.dtype()) {
            (a, b) if a == b => value.clone(),
            (a, b) if a.is_float() && b.is_float() => value.to_dtype(b),
            (a, b) => return Err(fail(format!("{name} has dtype {a}, the model's {ours} has {b}"))),
        };
        found.insert(ours, name.as_str());
        pairs.push((target.clone(), value));
    }
    // Missing tensors, named as torchvision names them, in the model's order.
    for (ours, _) in module.state_dict() {
        if expected.contains_key(&ours) && !found.contains_key(&ours) {
            let local = ours.strip_prefix(&format!("{prefix}.")).unwrap_or(&ours);
            let torch_name = local
                .split_once('.')
                .and_then(|(i, rest)| Some(format!("{}.{rest}", RESNET18_CHILDREN.get(i.parse::<usize>().ok()?)?)))
                .unwrap_or_else(|| local.to_string());
            return Err(fail(format!("{torch_name} is missing (the model's {ours})")));
        }
    }
    for (target, value) in pairs {
        target.assign(&value);
    }
    Ok(())
}
