//! The two tasks the trainer knows — single-label (multiclass) and multi-label classification —
//! and the data of either behind one interface, so the epoch loop, evaluation, checkpoints and
//! resume are one code path.

use crate::data::{Dataset, MultiLabelDataset};
use crate::report::multilabel::ElementwiseAccuracy;
use crate::{DType, Device, Result, Tensor};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a sample's target is.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Task {
    /// One class per sample: softmax outputs (or logits), class-index targets.
    #[default]
    Multiclass,
    /// A set of labels per sample: one sigmoid per label, multi-hot float targets, BCE.
    Multilabel,
}

impl Task {
    pub fn name(self) -> &'static str {
        match self {
            Task::Multiclass => "multiclass",
            Task::Multilabel => "multilabel",
        }
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Task {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "multiclass" | "singlelabel" => Ok(Task::Multiclass),
            "multilabel" => Ok(Task::Multilabel),
            _ => Err(format!("unknown task {s:?} (expected multiclass or multilabel)")),
        }
    }
}

impl TryFrom<String> for Task {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Task> for String {
    fn from(t: Task) -> String {
        t.name().to_string()
    }
}

/// The samples of one split, of either task.
#[derive(Clone, Debug)]
pub enum Examples {
    Classes(Dataset),
    Labels(MultiLabelDataset),
}

impl Examples {
    pub fn task(&self) -> Task {
        match self {
            Examples::Classes(_) => Task::Multiclass,
            Examples::Labels(_) => Task::Multilabel,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Examples::Classes(d) => d.len(),
            Examples::Labels(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `[C, H, W]` of every image.
    pub fn image_shape(&self) -> [usize; 3] {
        match self {
            Examples::Classes(d) => d.image_shape(),
            Examples::Labels(d) => d.image_shape(),
        }
    }

    /// The classifier's output width: the class count, or K labels.
    pub fn outputs(&self) -> usize {
        match self {
            Examples::Classes(d) => d.num_classes(),
            Examples::Labels(d) => d.num_labels(),
        }
    }

    /// Class or label names, in output order.
    pub fn names(&self) -> &[String] {
        match self {
            Examples::Classes(d) => d.class_names(),
            Examples::Labels(d) => d.label_names(),
        }
    }

    /// Samples per class, or positives per label.
    pub fn counts(&self) -> Vec<usize> {
        match self {
            Examples::Classes(d) => d.class_counts(),
            Examples::Labels(d) => d.label_counts(),
        }
    }

    /// Images `[B, C, H, W]` and targets: class indices `I64 [B]`, or multi-hot `[B, K]` in
    /// the images' dtype.
    pub fn batch(&self, indices: &[usize], dtype: DType, device: &Device) -> (Tensor, Tensor) {
        match self {
            Examples::Classes(d) => d.batch(indices, dtype, device),
            Examples::Labels(d) => d.batch(indices, dtype, device),
        }
    }
}

/// Accuracy accumulated batch by batch: the share of samples whose argmax is the class, or
/// (multi-label) the seed's share of label decisions that are right, `(score ≥ threshold) == y`
/// over samples × labels.
pub enum Accuracy {
    Classes {
        correct: usize,
        seen: usize,
    },
    Labels {
        pooled: ElementwiseAccuracy,
        threshold: f64,
    },
}

impl Accuracy {
    pub fn new(task: Task, threshold: f64) -> Accuracy {
        match task {
            Task::Multiclass => Accuracy::Classes { correct: 0, seen: 0 },
            Task::Multilabel => Accuracy::Labels {
                pooled: ElementwiseAccuracy::new(),
                threshold,
            },
        }
    }

    /// Adds a batch: `scores` `[B, C]` (argmax = prediction; for multi-label the sigmoid
    /// outputs) and the batch's targets.
    pub fn add(&mut self, scores: &Tensor, targets: &Tensor) -> Result<()> {
        match self {
            Accuracy::Classes { correct, seen } => {
                let labels: Vec<i64> = targets.to_vec();
                *correct += argmax_rows(scores)
                    .iter()
                    .zip(&labels)
                    .filter(|(p, y)| **p as i64 == **y)
                    .count();
                *seen += labels.len();
                Ok(())
            }
            Accuracy::Labels { pooled, threshold } => {
                let k = scores.dim(1);
                pooled.add_batch(&scores.to_f64_vec(), &targets.to_f64_vec(), k, *threshold)
            }
        }
    }

    /// The accuracy so far (0 before any sample).
    pub fn value(&self) -> f64 {
        match self {
            Accuracy::Classes { correct, seen } => *correct as f64 / (*seen).max(1) as f64,
            Accuracy::Labels { pooled, .. } => pooled.value().unwrap_or(0.0),
        }
    }
}

/// The argmax of each row of `[B, C]` scores.
pub fn argmax_rows(scores: &Tensor) -> Vec<usize> {
    scores
        .detach()
        .argmax(1, false)
        .to_vec::<i64>()
        .into_iter()
        .map(|i| i as usize)
        .collect()
}
