//! The Hessian trace of the loss network with respect to the probabilities p, exactly, by three
//! routes that give the same number and stay differentiable (the loss network and the classifier
//! train through the convexity penalty, which makes the training gradient third order).
//!
//! Two definitions (DESIGN §4):
//! - `Seed`: `trace_b = Σ_i ∂(Σ_b' ∂E/∂p[b', i]) / ∂p[b, i]` — the seed's formula; with
//!   training-mode BatchNorm the samples are coupled and this is not a per-sample quantity;
//! - `PerSample`: `trace_b = Σ_i ∂²E_b / ∂p[b, i]²`, defined when samples are independent.
//!
//! When samples are independent both definitions are the same number.

mod batched;
mod forward_laplacian;
mod jacobian;
mod loop_passes;
mod tangent_activation;

use super::LossNetwork;
use crate::{Error, Result, Tensor};
use std::fmt;
use std::str::FromStr;

/// Which trace the convexity penalty uses.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TraceDefinition {
    Seed,
    PerSample,
}

/// How the trace is computed (all exact).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TraceMethod {
    /// The fastest valid method for the network and definition.
    Auto,
    /// The seed's C double-backward passes.
    Loop,
    /// All C Hessian-vector products at once as forward-over-reverse tangents written for the
    /// loss network (directions as a tensor dimension), starting at the first hidden layer.
    Batched,
    /// Value, Jacobian and Laplacian carried forward through the layers (Li et al. 2023): no
    /// double backward; needs independent samples.
    ForwardLaplacian,
}

/// The energy and its first two derivatives in p, for one batch.
pub struct EnergyTerms {
    /// `E(p, y)`, `[B]`.
    pub energy: Tensor,
    /// `∂(Σ E)/∂p`, `[B, C]` (per sample when samples are independent).
    pub grad: Tensor,
    /// The requested trace, `[B]`.
    pub trace: Tensor,
    /// The method that ran (never `Auto`).
    pub method: TraceMethod,
}

/// Picks the method for `Auto` and rejects combinations that are not defined.
pub fn resolve_method(net: &LossNetwork, definition: TraceDefinition, method: TraceMethod) -> Result<TraceMethod> {
    let coupled = net.couples_samples();
    if coupled && definition == TraceDefinition::PerSample {
        return Err(Error::Config(
            "the per-sample trace needs independent samples, but the loss network's BatchNorm is in training \
             mode and couples them; use BatchNorm in eval mode or none, or the seed's trace"
                .into(),
        ));
    }
    match method {
        TraceMethod::Auto if coupled => Ok(TraceMethod::Batched),
        TraceMethod::Auto => Ok(TraceMethod::ForwardLaplacian),
        TraceMethod::ForwardLaplacian if coupled => Err(Error::Config(
            "the forward Laplacian needs independent samples, but the loss network's BatchNorm is in training \
             mode; use the loop or batched trace, or BatchNorm in eval mode or none"
                .into(),
        )),
        m => Ok(m),
    }
}

/// Why the configured trace is zero by construction, if it is (DESIGN §4), in words.
pub fn vacuous_reason(net: &LossNetwork, definition: TraceDefinition) -> Option<String> {
    if definition == TraceDefinition::Seed && net.first_layer_batch_normalised() {
        return Some(
            "the seed's trace is identically zero here: the loss network's first layer is batch-normalised in \
             training mode, which removes any shift of an input feature applied to the whole batch, so \
             Σ_b ∂E/∂p[b, i] does not depend on p and its derivative vanishes; the convexity penalty is \
             vacuous (use --preset meaningful for a per-sample trace with Softplus and no BatchNorm)"
                .into(),
        );
    }
    if net.config().activation.is_piecewise_linear() && !net.couples_samples() {
        return Some(format!(
            "the trace is identically zero here: with {} and no training-mode BatchNorm the loss network is \
             piecewise linear in p, so its Hessian vanishes; the convexity penalty is vacuous (use a Tanh or \
             Softplus activation)",
            net.config().activation
        ));
    }
    None
}

/// The energy, its gradient in p and its Hessian trace for the batch `(p, y_onehot)`.
///
/// If `p` does not require grad (evaluation), a detached copy is differentiated instead. A
/// training-mode BatchNorm updates its running statistics once.
pub fn energy_terms(
    net: &LossNetwork,
    p: &Tensor,
    y_onehot: &Tensor,
    definition: TraceDefinition,
    method: TraceMethod,
) -> Result<EnergyTerms> {
    let method = resolve_method(net, definition, method)?;
    let p = if p.requires_grad() {
        p.clone()
    } else {
        p.detach().requires_grad_(true)
    };
    let (energy, grad, trace) = match method {
        TraceMethod::Loop => loop_passes::energy_terms(net, &p, y_onehot),
        TraceMethod::Batched => batched::energy_terms(net, &p, y_onehot),
        TraceMethod::ForwardLaplacian => forward_laplacian::energy_terms(net, &p, y_onehot),
        TraceMethod::Auto => unreachable!("resolved above"),
    };
    Ok(EnergyTerms {
        energy,
        grad,
        trace,
        method,
    })
}

/// `∂(Σ E)/∂p` as a graph (zeros when E does not depend on p through anything differentiable).
fn energy_gradient(energy: &Tensor, p: &Tensor) -> Tensor {
    if !energy.requires_grad() {
        return p.zeros_like();
    }
    crate::grad(&[energy.sum_all()], std::slice::from_ref(p), None, true).remove(0)
}

/// `∂(scalar)/∂wrt` as a graph, zeros when the scalar is a constant.
fn grad_or_zeros(scalar: &Tensor, wrt: &Tensor) -> Tensor {
    if !scalar.requires_grad() {
        return wrt.zeros_like();
    }
    crate::grad(std::slice::from_ref(scalar), std::slice::from_ref(wrt), None, true).remove(0)
}

impl fmt::Display for TraceDefinition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TraceDefinition::Seed => "seed",
            TraceDefinition::PerSample => "per-sample",
        })
    }
}

impl FromStr for TraceDefinition {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "seed" => Ok(TraceDefinition::Seed),
            "per-sample" | "per_sample" | "persample" => Ok(TraceDefinition::PerSample),
            other => Err(format!("unknown trace {other:?} (expected seed or per-sample)")),
        }
    }
}

impl fmt::Display for TraceMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TraceMethod::Auto => "auto",
            TraceMethod::Loop => "loop",
            TraceMethod::Batched => "batched",
            TraceMethod::ForwardLaplacian => "forward-laplacian",
        })
    }
}

impl FromStr for TraceMethod {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(TraceMethod::Auto),
            "loop" => Ok(TraceMethod::Loop),
            "batched" => Ok(TraceMethod::Batched),
            "forward-laplacian" | "forward_laplacian" | "laplacian" => Ok(TraceMethod::ForwardLaplacian),
            other => Err(format!(
                "unknown trace method {other:?} (expected auto, loop, batched or forward-laplacian)"
            )),
        }
    }
}
