//! Per-parameter optimiser state as named tensors (`"<parameter name>.<slot>"`): the checks
//! shared by the optimisers' constructors and `load_state_dict`.

use crate::{DType, Device, Error, Result, Tensor};
use std::collections::{HashMap, HashSet};

/// What a state slot holds.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum SlotKind {
    /// A tensor of the parameter's shape and dtype (moment estimates, momentum buffers).
    LikeParam,
    /// The number of steps taken, as an F64 scalar holding a non-negative integer (PyTorch keeps
    /// Adam's `step` as a float tensor too; f64 counts exactly up to 2^53 steps).
    StepCount,
}

/// One named slot of an optimiser's per-parameter state.
pub(crate) struct SlotSpec {
    pub name: &'static str,
    pub kind: SlotKind,
}

/// `"<parameter name>.<slot>"`.
pub(crate) fn state_name(param: &str, slot: &str) -> String {
    crate::nn::join_name(param, slot)
}

/// `x >= 0` (false for NaN), PyTorch's `0.0 <= x` hyperparameter check.
pub(crate) fn non_negative(x: f64) -> bool {
    x >= 0.0
}

/// A copy of `t`'s values on `device` that shares nothing with `t`, so state loaded from a
/// caller's tensors never aliases them.
pub(crate) fn copy_to(t: &Tensor, device: &Device) -> Tensor {
    Tensor::from_cpu(t.to_cpu(), t.shape(), device)
}

/// The step count as a scalar state tensor, on the CPU whatever the parameter's device, as
/// PyTorch keeps Adam's `step` (unless `capturable`): it is only read on the host, and a device
/// may have no float64 (wgpu without SHADER_F64).
pub(crate) fn step_tensor(step: u64) -> Tensor {
    Tensor::scalar(step as f64, DType::F64, &Device::Cpu)
}

/// Rejects parameter lists an optimiser cannot work with: repeated names (their state would
/// collide in the state dict) and non-float tensors.
pub(crate) fn check_params(optimizer: &str, params: &[(String, Tensor)]) -> Result<()> {
    let mut seen = HashSet::new();
    for (name, p) in params {
        if !seen.insert(name.as_str()) {
            return Err(Error::Config(format!(
                "{optimizer}: parameter name {name} appears twice; prefix the names of each module's parameters"
            )));
        }
        if !p.dtype().is_float() {
            return Err(Error::Config(format!(
                "{optimizer}: parameter {name} has dtype {}, only float tensors can be optimised",
                p.dtype()
            )));
        }
    }
    Ok(())
}

/// Per parameter (in `params` order), its slot tensors in `slots` order — `None` for a
/// parameter without entries — after checking `state` against `params` and `slots`. Errors name
/// the first unexpected entry, repeated entry, wrong shape, wrong dtype, bad step count or
/// incomplete parameter.
pub(crate) fn parse_state(
    params: &[(String, Tensor)],
    slots: &[SlotSpec],
    state: &[(String, Tensor)],
) -> Result<Vec<Option<Vec<Tensor>>>> {
    let mut index = HashMap::new();
    for (pi, (pname, _)) in params.iter().enumerate() {
        for (si, slot) in slots.iter().enumerate() {
            index.insert(state_name(pname, slot.name), (pi, si));
        }
    }
    let mut found: Vec<Vec<Option<Tensor>>> = vec![vec![None; slots.len()]; params.len()];
    for (name, t) in state {
        let Some(&(pi, si)) = index.get(name) else {
            return Err(Error::Checkpoint(format!(
                "optimizer state has unexpected entry {name} (not a slot of any parameter of this optimizer)"
            )));
        };
        if found[pi][si].is_some() {
            return Err(Error::Checkpoint(format!("optimizer state has entry {name} twice")));
        }
        let param = &params[pi].1;
        let (shape, dtype) = match slots[si].kind {
            SlotKind::LikeParam => (param.shape(), param.dtype()),
            SlotKind::StepCount => (&[][..], DType::F64),
        };
        if t.shape() != shape {
            return Err(Error::Checkpoint(format!(
                "optimizer state {name} has shape {:?}, the optimizer expects {shape:?}",
                t.shape()
            )));
        }
        if t.dtype() != dtype {
            return Err(Error::Checkpoint(format!(
                "optimizer state {name} has dtype {}, the optimizer expects {dtype}",
                t.dtype()
            )));
        }
        if slots[si].kind == SlotKind::StepCount {
            let v = t.item();
            if !(v.is_finite() && v >= 0.0 && v.fract() == 0.0) {
                return Err(Error::Checkpoint(format!(
                    "optimizer state {name} is {v}, a step count must be a non-negative integer"
                )));
            }
        }
        found[pi][si] = Some(t.clone());
    }
    found
        .into_iter()
        .enumerate()
        .map(|(pi, slots_found)| {
            if slots_found.iter().all(Option::is_none) {
                return Ok(None);
            }
            if let Some(si) = slots_found.iter().position(Option::is_none) {
                return Err(Error::Checkpoint(format!(
                    "optimizer state for parameter {} lacks entry {}",
                    params[pi].0,
                    state_name(&params[pi].0, slots[si].name)
                )));
            }
            Ok(Some(slots_found.into_iter().flatten().collect()))
        })
        .collect()
}
