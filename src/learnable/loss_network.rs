//! The learnable loss E(p, y) of DESIGN §4: an MLP on `cat(p, y_onehot)` (2C → 64 → 32 → 16 → 1),
//! BatchNorm1d after the first two hidden layers, activation and BatchNorm mode configurable.
//! Parameter names are those of the same layers in a PyTorch `nn.Sequential`.

use super::Activation;
use crate::nn::{join_name, BatchNorm, BatchNormConfig, Linear, Module, Slot, Spec};
use crate::{Generator, Tensor};
use std::fmt;
use std::str::FromStr;

/// How the loss network's BatchNorm layers behave.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum BnMode {
    /// Batch statistics, as the seed: couples the samples of a batch.
    Train,
    /// Always the running statistics (never updated): an affine map per feature.
    Eval,
    /// No BatchNorm layers.
    None,
}

impl fmt::Display for BnMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BnMode::Train => "train",
            BnMode::Eval => "eval",
            BnMode::None => "none",
        })
    }
}

impl FromStr for BnMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "train" => Ok(BnMode::Train),
            "eval" => Ok(BnMode::Eval),
            "none" => Ok(BnMode::None),
            other => Err(format!(
                "unknown BatchNorm mode {other:?} (expected train, eval or none)"
            )),
        }
    }
}

/// The loss network's shape and behaviour.
#[derive(Clone, Debug, PartialEq)]
pub struct LossNetworkConfig {
    pub classes: usize,
    /// Hidden widths (the seed: 64, 32, 16).
    pub hidden: Vec<usize>,
    /// The hidden layers (0-based) followed by BatchNorm (the seed: the first two).
    pub bn_after: Vec<usize>,
    pub bn: BnMode,
    pub activation: Activation,
}

impl LossNetworkConfig {
    /// The seed's network: ReLU, training-mode BatchNorm after the first two hidden layers.
    pub fn seed(classes: usize) -> LossNetworkConfig {
        LossNetworkConfig {
            classes,
            hidden: vec![64, 32, 16],
            bn_after: vec![0, 1],
            bn: BnMode::Train,
            activation: Activation::Relu,
        }
    }
}

/// One hidden layer: Linear, optional BatchNorm, activation.
pub(crate) struct Hidden {
    pub linear: Linear,
    pub bn: Option<BatchNorm>,
}

/// E(p, y): one energy per sample.
pub struct LossNetwork {
    pub(crate) hidden: Vec<Hidden>,
    pub(crate) output: Linear,
    config: LossNetworkConfig,
}

impl LossNetwork {
    pub fn new(config: LossNetworkConfig, spec: &Spec, gen: &mut Generator) -> LossNetwork {
        assert!(config.classes >= 1, "LossNetwork: needs at least one class");
        assert!(
            !config.hidden.is_empty() && config.bn_after.iter().all(|&i| i < config.hidden.len()),
            "LossNetwork: hidden widths {:?} with BatchNorm after layers {:?}",
            config.hidden,
            config.bn_after
        );
        let mut width = 2 * config.classes;
        let hidden = config
            .hidden
            .iter()
            .enumerate()
            .map(|(i, &h)| {
                let linear = Linear::new(width, h, true, spec, gen);
                width = h;
                let bn = (config.bn != BnMode::None && config.bn_after.contains(&i)).then(|| {
                    let mut bn = BatchNorm::new_1d(h, BatchNormConfig::default(), spec);
                    bn.set_training(config.bn == BnMode::Train);
                    bn
                });
                Hidden { linear, bn }
            })
            .collect();
        let output = Linear::new(width, 1, true, spec, gen);
        LossNetwork { hidden, output, config }
    }

    pub fn config(&self) -> &LossNetworkConfig {
        &self.config
    }

    pub fn classes(&self) -> usize {
        self.config.classes
    }

    /// True when a BatchNorm normalises with batch statistics (now), coupling the samples.
    pub fn couples_samples(&self) -> bool {
        self.hidden.iter().any(|h| h.bn.as_ref().is_some_and(|bn| bn.training))
    }

    /// True when the first hidden layer is normalised with batch statistics: then any shift of
    /// an input feature applied to the whole batch is removed, so `Σ_b ∂E/∂p[b, i]` is
    /// identically zero (DESIGN §4).
    pub fn first_layer_batch_normalised(&self) -> bool {
        self.hidden[0].bn.as_ref().is_some_and(|bn| bn.training)
    }

    /// Replaces the parameters, given in `named_parameters()` order, by other tensors of the same
    /// shapes (a functional call, as `torch.func.functional_call`): gradient checks perturb them.
    pub fn set_parameters(&mut self, params: &[Tensor]) {
        let mut slots: Vec<&mut Tensor> = Vec::new();
        for layer in &mut self.hidden {
            slots.push(&mut layer.linear.weight);
            slots.extend(layer.linear.bias.as_mut());
            if let Some(bn) = &mut layer.bn {
                slots.extend(bn.weight.as_mut());
                slots.extend(bn.bias.as_mut());
            }
        }
        slots.push(&mut self.output.weight);
        slots.extend(self.output.bias.as_mut());
        assert_eq!(
            slots.len(),
            params.len(),
            "LossNetwork::set_parameters: {} tensors given for {} parameters",
            params.len(),
            slots.len()
        );
        for (slot, new) in slots.into_iter().zip(params) {
            assert_eq!(
                slot.shape(),
                new.shape(),
                "LossNetwork::set_parameters: shape {:?} given for a parameter of shape {:?}",
                new.shape(),
                slot.shape()
            );
            *slot = new.clone();
        }
    }

    /// `E = net(cat(p, y_onehot))` as `[B]`; a training-mode BatchNorm updates its running
    /// statistics, once per call.
    pub fn energy(&self, p: &Tensor, y_onehot: &Tensor) -> Tensor {
        self.check_inputs(p, y_onehot);
        self.forward(&Tensor::cat(&[p.clone(), y_onehot.clone()], 1)).squeeze(1)
    }

    fn check_inputs(&self, p: &Tensor, y: &Tensor) {
        let c = self.classes();
        assert!(
            p.rank() == 2 && p.dim(1) == c && y.shape() == p.shape(),
            "LossNetwork: p {:?} and y_onehot {:?} must both be [B, {c}]",
            p.shape(),
            y.shape()
        );
    }
}

/// BatchNorm over `batch_dim` of a `[..., B, H]` tensor (per leading index), with the layer's
/// mode: batch statistics in training mode, running statistics otherwise; never updates them.
pub(crate) fn normalise(bn: &BatchNorm, z: &Tensor, batch_dim: usize) -> Tensor {
    if !bn.training {
        // PyTorch's CPU inference kernel has the same form (`x·alpha + beta`).
        let EvalAffine { scale, shift } = eval_affine(bn);
        return z.mul(&scale).add(&shift);
    }
    let mean = z.mean(&[batch_dim], true);
    let var = z.sub(&mean).square().mean(&[batch_dim], true);
    let mut y = z.sub(&mean).mul(&var.add_scalar(bn.config.eps).sqrt().recip());
    if let (Some(w), Some(b)) = (&bn.weight, &bn.bias) {
        y = y.mul(w).add(b);
    }
    y
}

/// An eval-mode BatchNorm as the per-feature affine map `scale·z + shift`.
pub(crate) struct EvalAffine {
    /// `weight / √(running_var + eps)`.
    pub scale: Tensor,
    /// `bias − running_mean·scale`.
    pub shift: Tensor,
}

/// The affine map of an eval-mode BatchNorm, differentiable in its weight and bias (the one
/// place that spells it out: [`normalise`], the batched trace and the folded Linear of the
/// forward Laplacian all take it from here).
pub(crate) fn eval_affine(bn: &BatchNorm) -> EvalAffine {
    let tracked = "loss-network BatchNorm tracks running statistics";
    let mean = bn.running_mean.as_ref().expect(tracked);
    let var = bn.running_var.as_ref().expect(tracked);
    let mut scale = var.add_scalar(bn.config.eps).sqrt().recip();
    if let Some(w) = &bn.weight {
        scale = scale.mul(w);
    }
    let mut shift = mean.mul(&scale).neg();
    if let Some(b) = &bn.bias {
        shift = shift.add(b);
    }
    EvalAffine { scale, shift }
}

impl Module for LossNetwork {
    /// `x = cat(p, y_onehot)`, `[B, 2C]` → `[B, 1]`.
    fn forward(&self, x: &Tensor) -> Tensor {
        let mut z = x.clone();
        for layer in &self.hidden {
            z = layer.linear.forward(&z);
            if let Some(bn) = &layer.bn {
                z = bn.forward(&z);
            }
            z = self.config.activation.apply(&z);
        }
        self.output.forward(&z)
    }

    fn visit(&self, prefix: &str, visit: &mut dyn FnMut(String, &Tensor, Slot)) {
        // Positions as in nn.Sequential(Linear, [BatchNorm1d], act, ..., Linear).
        let mut index = 0;
        for layer in &self.hidden {
            layer.linear.visit(&join_name(prefix, &index.to_string()), visit);
            index += 1;
            if let Some(bn) = &layer.bn {
                bn.visit(&join_name(prefix, &index.to_string()), visit);
                index += 1;
            }
            index += 1; // the activation
        }
        self.output.visit(&join_name(prefix, &index.to_string()), visit);
    }

    /// BatchNorm keeps the configured mode: `Eval` stays in eval mode while the network trains.
    fn set_training(&mut self, training: bool) {
        let bn_training = training && self.config.bn == BnMode::Train;
        for layer in &mut self.hidden {
            if let Some(bn) = &mut layer.bn {
                bn.set_training(bn_training);
            }
        }
    }

    fn describe(&self) -> String {
        let mut lines = Vec::new();
        for layer in &self.hidden {
            lines.push(layer.linear.describe());
            if let Some(bn) = &layer.bn {
                lines.push(bn.describe());
            }
            lines.push(self.config.activation.describe());
        }
        lines.push(self.output.describe());
        let body: Vec<String> = lines.iter().enumerate().map(|(i, l)| format!("  ({i}): {l}")).collect();
        format!("LossNetwork(\n{}\n)", body.join("\n"))
    }
}
