//! The seed's "standard" baseline CNN (DESIGN §4): two conv blocks without BatchNorm, a 64-unit
//! hidden layer with dropout, and logits (trained with cross-entropy).

use super::{pooled, ImageShape};
use crate::nn::{Conv2d, Conv2dConfig, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential, SharedGenerator, Spec};
use crate::Generator;

/// The baseline's input and output sizes.
#[derive(Clone, Debug)]
pub struct BaselineConfig {
    pub input: ImageShape,
    pub classes: usize,
    pub dropout: f64,
    /// Zero padding of the 3×3 convolutions: 1 keeps the size ("same", as the learnable
    /// classifier), 0 shrinks each side by one ("valid").
    pub padding: usize,
}

impl BaselineConfig {
    pub fn new(input: ImageShape, classes: usize) -> BaselineConfig {
        BaselineConfig {
            input,
            classes,
            dropout: 0.5,
            padding: 1,
        }
    }
}

/// ```text
/// 0 conv(C→32) 1 ReLU 2 pool2   3 conv(32→64) 4 ReLU 5 pool2
/// 6 flatten 7 fc(→64) 8 ReLU 9 dropout 10 fc(→classes)
/// ```
pub fn baseline_cnn(
    config: &BaselineConfig,
    spec: &Spec,
    gen: &mut Generator,
    dropout_gen: SharedGenerator,
) -> Sequential {
    assert!(
        config.padding <= 1,
        "baseline CNN: padding {} (use 0 or 1)",
        config.padding
    );
    assert!(
        config.classes >= 2,
        "baseline CNN: needs at least 2 classes, got {}",
        config.classes
    );
    let [c, mut h, mut w] = config.input;
    let conv = Conv2dConfig::kernel(3).padding(config.padding);
    let shrink = 2 - 2 * config.padding;
    let mut net = Sequential::new();
    for (cin, cout) in [(c, 32), (32, 64)] {
        assert!(
            h > shrink && w > shrink && pooled(h - shrink, 1) > 0 && pooled(w - shrink, 1) > 0,
            "baseline CNN: input shape {:?} is too small",
            config.input
        );
        (h, w) = (pooled(h - shrink, 1), pooled(w - shrink, 1));
        net = net
            .push(Conv2d::new(cin, cout, &conv, spec, gen))
            .push(ReLU)
            .push(MaxPool2d::new(2));
    }
    net.push(Flatten::default())
        .push(Linear::new(64 * h * w, 64, true, spec, gen))
        .push(ReLU)
        .push(Dropout::new(config.dropout, dropout_gen))
        .push(Linear::new(64, config.classes, true, spec, gen))
}
