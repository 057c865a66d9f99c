//! The learnable-loss training objective of DESIGN §4:
//! `total = L_task + λ·(L_nonneg + L_convex + L_lips)` with `L_task = BCE(p, y_onehot)` (mean),
//! every term returned separately for logging and `total` differentiable with respect to the
//! classifier (through p) and the loss network (through the penalties) — third order, since the
//! convexity penalty already holds a second derivative in p.

use super::{energy_terms, Activation, BnMode, LossNetworkConfig, Penalties, TraceDefinition, TraceMethod};
use super::{vacuous_reason, LossNetwork};
use crate::loss::{binary_cross_entropy, Reduction};
use crate::{Result, Tensor};
use std::fmt;
use std::str::FromStr;

/// The seed's weight on the penalties.
pub const SEED_LAMBDA: f64 = 0.1;

/// A named choice of loss network and trace definition.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Preset {
    /// The seed exactly: ReLU, training-mode BatchNorm after the first two hidden layers, the
    /// seed's batch-coupled trace. Its convexity penalty is identically zero (DESIGN §4).
    Seed,
    /// The penalty that means something: Softplus (a non-zero Hessian), no BatchNorm (independent
    /// samples), the per-sample trace `Σ_i ∂²E_b/∂p_{b,i}²`.
    Meaningful,
}

impl Preset {
    /// The loss network of this preset for `classes` classes.
    pub fn loss_network(self, classes: usize) -> LossNetworkConfig {
        let seed = LossNetworkConfig::seed(classes);
        match self {
            Preset::Seed => seed,
            Preset::Meaningful => LossNetworkConfig {
                bn: BnMode::None,
                activation: Activation::Softplus,
                ..seed
            },
        }
    }

    /// The trace definition of this preset.
    pub fn trace_definition(self) -> TraceDefinition {
        match self {
            Preset::Seed => TraceDefinition::Seed,
            Preset::Meaningful => TraceDefinition::PerSample,
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Preset::Seed => "seed",
            Preset::Meaningful => "meaningful",
        })
    }
}

impl FromStr for Preset {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "seed" => Ok(Preset::Seed),
            "meaningful" => Ok(Preset::Meaningful),
            other => Err(format!("unknown preset {other:?} (expected seed or meaningful)")),
        }
    }
}

/// How the objective weighs and computes its penalties.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct ObjectiveConfig {
    /// λ, the weight on `L_nonneg + L_convex + L_lips`.
    pub lambda: f64,
    pub definition: TraceDefinition,
    pub method: TraceMethod,
}

impl ObjectiveConfig {
    /// λ = 0.1 and the preset's trace, computed by the fastest valid method.
    pub fn for_preset(preset: Preset) -> ObjectiveConfig {
        ObjectiveConfig {
            lambda: SEED_LAMBDA,
            definition: preset.trace_definition(),
            method: TraceMethod::Auto,
        }
    }
}

/// Every term of the objective for one batch, each a scalar graph.
pub struct ObjectiveTerms {
    pub task: Tensor,
    pub nonneg: Tensor,
    pub convex: Tensor,
    pub lips: Tensor,
    /// `task + λ·(nonneg + convex + lips)`.
    pub total: Tensor,
    /// The trace method that ran.
    pub method: TraceMethod,
}

/// The objective for probabilities `p` `[B, C]` (the classifier's clamped softmax, carrying its
/// graph) and one-hot targets `y_onehot` `[B, C]` in p's dtype.
///
/// Errors when the trace definition and method are not defined for `net` (see
/// [`super::resolve_method`]).
pub fn learnable_objective(
    net: &LossNetwork,
    p: &Tensor,
    y_onehot: &Tensor,
    config: &ObjectiveConfig,
) -> Result<ObjectiveTerms> {
    let task = binary_cross_entropy(p, y_onehot, None, Reduction::Mean);
    let terms = energy_terms(net, p, y_onehot, config.definition, config.method)?;
    let penalties = Penalties::new(&terms);
    let total = task.add(&penalties.sum().mul_scalar(config.lambda));
    Ok(ObjectiveTerms {
        task,
        nonneg: penalties.nonneg,
        convex: penalties.convex,
        lips: penalties.lips,
        total,
        method: terms.method,
    })
}

/// The sentence the trainer prints once at the start when the configured convexity penalty is
/// zero by construction, `None` when it is not.
pub fn vacuity_warning(net: &LossNetwork, config: &ObjectiveConfig) -> Option<String> {
    vacuous_reason(net, config.definition).map(|reason| format!("note: {reason}"))
}
