//! Which classifier a method trains (`--model`), how it is built for a task, and the
//! defaults that belong to it (batch size, learning rate, Adam's ε).

use super::{Method, Task};
use crate::models::{
    baseline_cnn, learnable_classifier, mlp, multilabel_resnet18, BaselineConfig, ClassifierConfig, ImageShape,
    MultiLabelConfig,
};
use crate::nn::{Sequential, SharedGenerator, Spec};
use crate::{Error, Generator, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A classifier architecture.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ModelKind {
    /// The seed's baseline CNN: 2 conv blocks, fc 64, dropout 0.5.
    BaselineCnn,
    /// The seed's learnable-loss classifier: 3 conv blocks with BatchNorm, fc 128, dropout 0.5.
    LearnableCnn,
    /// torchvision's ResNet-18 under the seed's multi-label head (dropout 0.1, dense).
    Resnet18,
    /// The loss-comparison study's MLP: fc1 (→128), fc2 (→64), fc3, ReLU between.
    Mlp,
}

/// A built classifier: the network, and how many of its children produce the logits (the
/// rest turn them into probabilities and are not used by the trainer, which applies the task's
/// own link: softmax then clamp, or a sigmoid).
pub struct BuiltClassifier {
    pub net: Sequential,
    pub logit_layers: usize,
}

impl ModelKind {
    pub const ALL: [ModelKind; 4] = [
        ModelKind::BaselineCnn,
        ModelKind::LearnableCnn,
        ModelKind::Resnet18,
        ModelKind::Mlp,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ModelKind::BaselineCnn => "baseline-cnn",
            ModelKind::LearnableCnn => "learnable-cnn",
            ModelKind::Resnet18 => "resnet18",
            ModelKind::Mlp => "mlp",
        }
    }

    /// The model a method trains when `--model` is not given: the seed's pairing on
    /// single-label data (the baseline method its small CNN, the others the learnable
    /// classifier), ResNet-18 on multi-label data.
    pub fn default_for(method: Method, task: Task) -> ModelKind {
        match (task, method) {
            (Task::Multilabel, _) => ModelKind::Resnet18,
            (Task::Multiclass, Method::Baseline) => ModelKind::BaselineCnn,
            (Task::Multiclass, _) => ModelKind::LearnableCnn,
        }
    }

    /// The network in words, for the report.
    pub fn description(self) -> &'static str {
        match self {
            ModelKind::BaselineCnn => "baseline CNN (2 conv blocks, fc 64, dropout 0.5)",
            ModelKind::LearnableCnn => {
                "learnable-loss classifier (3 conv blocks with BatchNorm, fc 128, dropout 0.5, softmax)"
            }
            ModelKind::Resnet18 => "ResNet-18 (torchvision) with dropout 0.1 and a dense head",
            ModelKind::Mlp => "MLP (fc 128, fc 64, ReLU)",
        }
    }

    /// The seed's batch size: 128 for the baseline CNN, 1024 for the learnable classifier, 64
    /// for the study's MLP, and 32 for ResNet-18 (a common choice at 224×224 that fits a CPU's
    /// memory; the seed's multi-label runs do not fix one).
    pub fn default_batch_size(self) -> usize {
        match self {
            ModelKind::BaselineCnn => 128,
            ModelKind::LearnableCnn => 1024,
            ModelKind::Resnet18 => 32,
            ModelKind::Mlp => 64,
        }
    }

    /// Adam's learning rate unless `--lr`: 1e-4 for ResNet-18 (the seed's multi-label runs),
    /// 1e-3 otherwise.
    pub fn default_lr(self) -> f64 {
        match self {
            ModelKind::Resnet18 => 1e-4,
            _ => 1e-3,
        }
    }

    /// Adam's ε: the baseline CNN was trained with Keras' 1e-7, the others with PyTorch's 1e-8.
    pub fn adam_eps(self) -> f64 {
        match self {
            ModelKind::BaselineCnn => 1e-7,
            _ => 1e-8,
        }
    }

    /// Whether the model fits `input` images and `outputs` classes or labels; the error says
    /// what to change where [`ModelKind::build`] would panic (a programmer's error there, but
    /// here the sizes come from the user's data).
    pub fn check(self, input: ImageShape, outputs: usize) -> Result<()> {
        let [c, h, w] = input;
        let fail = |m: String| Err(Error::Config(format!("--model {self}: {m}")));
        if c == 0 || h == 0 || w == 0 {
            return fail(format!("the images of shape {input:?} are empty"));
        }
        match self {
            ModelKind::BaselineCnn | ModelKind::LearnableCnn => {
                if outputs < 2 {
                    return fail(format!(
                        "needs at least 2 classes or labels, the data has {outputs} (use --model resnet18)"
                    ));
                }
                if h < 4 || w < 4 {
                    return fail(format!(
                        "{h}×{w} images are too small for its two 2×2 poolings (at least 4×4; see --image-size)"
                    ));
                }
            }
            ModelKind::Resnet18 | ModelKind::Mlp if outputs == 0 => {
                return fail("the data has no classes or labels".into())
            }
            ModelKind::Resnet18 | ModelKind::Mlp => {}
        }
        Ok(())
    }

    /// Whether the classifier normalises with batch statistics in training, and so cannot
    /// train on a batch of one sample (PyTorch: "Expected more than 1 value per channel").
    pub fn has_batch_norm(self) -> bool {
        matches!(self, ModelKind::LearnableCnn | ModelKind::Resnet18)
    }

    /// Builds the classifier for `input` images and `outputs` classes or labels.
    pub fn build(
        self,
        input: ImageShape,
        outputs: usize,
        spec: &Spec,
        gen: &mut Generator,
        dropout: SharedGenerator,
    ) -> BuiltClassifier {
        match self {
            ModelKind::BaselineCnn => {
                let net = baseline_cnn(&BaselineConfig::new(input, outputs), spec, gen, dropout);
                let logit_layers = net.len();
                BuiltClassifier { net, logit_layers }
            }
            ModelKind::LearnableCnn => {
                let net = learnable_classifier(&ClassifierConfig::new(input, outputs), spec, gen, dropout);
                // softmax, clamp
                let logit_layers = net.len() - 2;
                BuiltClassifier { net, logit_layers }
            }
            ModelKind::Resnet18 => {
                let net = multilabel_resnet18(&MultiLabelConfig::new(input, outputs), spec, gen, dropout);
                // sigmoid
                let logit_layers = net.len() - 1;
                BuiltClassifier { net, logit_layers }
            }
            ModelKind::Mlp => {
                let net = mlp(input, outputs, spec, gen);
                let logit_layers = net.len();
                BuiltClassifier { net, logit_layers }
            }
        }
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelKind {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase().replace('_', "-");
        ModelKind::ALL
            .into_iter()
            .find(|m| m.name() == key)
            .or(match key.as_str() {
                "resnet-18" => Some(ModelKind::Resnet18),
                "baseline" => Some(ModelKind::BaselineCnn),
                "learnable" | "learnable-classifier" => Some(ModelKind::LearnableCnn),
                _ => None,
            })
            .ok_or_else(|| {
                let names: Vec<&str> = ModelKind::ALL.iter().map(|m| m.name()).collect();
                format!("unknown model {s:?} (expected one of {})", names.join(", "))
            })
    }
}

impl TryFrom<String> for ModelKind {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ModelKind> for String {
    fn from(m: ModelKind) -> String {
        m.name().to_string()
    }
}
