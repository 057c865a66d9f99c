//! The loss-comparison study's classifier (docs/loss-study.md): a three-layer perceptron on flattened
//! images, as its users write it in PyTorch (`fc1`, `fc2`, `fc3` attributes, ReLU between, logits
//! out), so a checkpoint's names (`fc1.weight`, …) are that module's.

use super::ImageShape;
use crate::nn::{Flatten, Linear, ReLU, Sequential, Spec};
use crate::Generator;

/// ```text
/// flatten  fc1 Linear(C·H·W, 128)  relu1  fc2 Linear(128, 64)  relu2  fc3 Linear(64, classes)
/// ```
/// for any image shape (784 inputs for 1×28×28). The ReLUs hold no parameters, so only `fc1`,
/// `fc2` and `fc3` appear in the state dict, as in the PyTorch module that applies `F.relu` in
/// its `forward`.
pub fn mlp(input: ImageShape, classes: usize, spec: &Spec, gen: &mut Generator) -> Sequential {
    let features: usize = input.iter().product();
    assert!(
        features > 0 && classes > 0,
        "mlp: input shape {input:?} and {classes} classes must be non-empty"
    );
    Sequential::new()
        .push_named("flatten", Flatten::default())
        .push_named("fc1", Linear::new(features, 128, true, spec, gen))
        .push_named("relu1", ReLU)
        .push_named("fc2", Linear::new(128, 64, true, spec, gen))
        .push_named("relu2", ReLU)
        .push_named("fc3", Linear::new(64, classes, true, spec, gen))
}
