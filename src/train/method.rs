//! The training methods the trainer compares: the loss each trains with. `learnable` is the seed's
//! learnable loss; by default the other task losses train the *same* classifier, so that against
//! `learnable` only the loss differs (`bce` is exactly `learnable` without its loss network: the
//! ablation that tells whether the penalties help), and `baseline` keeps the seed's smaller CNN
//! with cross-entropy. `--model` puts every method on one network instead
//! ([`super::ModelKind`]). On multi-label data only `bce` and `learnable` are defined.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Method {
    /// Cross-entropy on logits (by default on the seed's baseline CNN, 2 conv blocks).
    Baseline,
    /// The classifier trained through the loss network: BCE + λ·penalties.
    Learnable,
    /// BCE on the classifier's probabilities against one-hot targets, or on the per-label
    /// sigmoid outputs against multi-hot targets.
    Bce,
    /// Cross-entropy on the classifier's logits.
    Ce,
    /// Class-weighted cross-entropy divided by the batch size, `−Σ w[t]·log_softmax(x)[t] / N`
    /// (not PyTorch's weighted mean); weights from `--class-weights`, by default inversely
    /// proportional to the training frequencies.
    WeightedCe,
    /// Cross-entropy plus α·Σ|θ| over every parameter of the classifier (`--l1-alpha`).
    CeL1,
    /// Negative log-likelihood of log-softmax outputs.
    Nll,
    /// Multi-class hinge (margin 1) on the logits.
    Hinge,
    /// KL divergence (batchmean) from log-softmax outputs to the one-hot targets.
    Kl,
}

impl Method {
    pub const ALL: [Method; 9] = [
        Method::Baseline,
        Method::Learnable,
        Method::Bce,
        Method::Ce,
        Method::WeightedCe,
        Method::CeL1,
        Method::Nll,
        Method::Hinge,
        Method::Kl,
    ];

    /// The methods defined on multi-label targets: BCE on the per-label sigmoid outputs, and the
    /// loss network on them (BCE as its task term).
    pub const MULTILABEL: [Method; 2] = [Method::Bce, Method::Learnable];

    /// Whether the method's loss takes the classifier's probabilities (else its logits).
    pub fn on_probabilities(self) -> bool {
        matches!(self, Method::Learnable | Method::Bce)
    }

    pub fn name(self) -> &'static str {
        match self {
            Method::Baseline => "baseline",
            Method::Learnable => "learnable",
            Method::Bce => "bce",
            Method::Ce => "ce",
            Method::WeightedCe => "weighted-ce",
            Method::CeL1 => "ce-l1",
            Method::Nll => "nll",
            Method::Hinge => "hinge",
            Method::Kl => "kl",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase().replace('_', "-");
        Method::ALL
            .into_iter()
            .find(|m| m.name() == key)
            .or(match key.as_str() {
                "standard" => Some(Method::Baseline),
                "cross-entropy" => Some(Method::Ce),
                _ => None,
            })
            .ok_or_else(|| {
                let names: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
                format!("unknown method {s:?} (expected one of {})", names.join(", "))
            })
    }
}

impl TryFrom<String> for Method {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Method> for String {
    fn from(m: Method) -> String {
        m.name().to_string()
    }
}
