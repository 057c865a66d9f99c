//! The learnable loss of DESIGN §4: the loss network E(p, y), its exact Hessian trace in p by
//! three routes, and the penalties that make E non-negative, convex and 1-Lipschitz in p.

mod activation;
mod loss_network;
mod objective;
mod penalties;
mod softplus_f32;
pub mod trace;

pub use activation::Activation;
pub use loss_network::{BnMode, LossNetwork, LossNetworkConfig};
pub use objective::{learnable_objective, vacuity_warning, ObjectiveConfig, ObjectiveTerms, Preset, SEED_LAMBDA};
pub use penalties::Penalties;
pub use trace::{energy_terms, resolve_method, vacuous_reason, EnergyTerms, TraceDefinition, TraceMethod};

crate::serde_str::serde_via_str!(Activation, BnMode, Preset, TraceDefinition, TraceMethod);
