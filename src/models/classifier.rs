//! The learnable-loss method's classifier (DESIGN §4): three 3×3 "same" conv blocks with
//! BatchNorm2d, a 128-unit hidden layer with dropout, and softmax probabilities clamped to
//! `[1e-7, 1 - 1e-7]` (the loss network and the BCE take probabilities).

use super::{check_fits, pooled, ImageShape};
use crate::nn::{
    BatchNorm, BatchNormConfig, Clamp, Conv2d, Conv2dConfig, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential,
    SharedGenerator, Softmax, Spec,
};
use crate::Generator;

/// How far the classifier's probabilities stay from 0 and 1.
pub const PROBABILITY_FLOOR: f64 = 1e-7;

/// The classifier's input and output sizes.
#[derive(Clone, Debug)]
pub struct ClassifierConfig {
    pub input: ImageShape,
    pub classes: usize,
    pub dropout: f64,
}

impl ClassifierConfig {
    pub fn new(input: ImageShape, classes: usize) -> ClassifierConfig {
        ClassifierConfig {
            input,
            classes,
            dropout: 0.5,
        }
    }
}

/// ```text
/// 0 conv(C→32) 1 BN 2 ReLU 3 pool2   4 conv(32→64) 5 BN 6 ReLU 7 pool2
/// 8 conv(64→128) 9 BN 10 ReLU   11 flatten 12 fc(→128) 13 ReLU 14 dropout 15 fc(→classes)
/// 16 softmax 17 clamp
/// ```
pub fn learnable_classifier(
    config: &ClassifierConfig,
    spec: &Spec,
    gen: &mut Generator,
    dropout_gen: SharedGenerator,
) -> Sequential {
    check_fits("learnable classifier", config.input, 2);
    assert!(
        config.classes >= 2,
        "learnable classifier: needs at least 2 classes, got {}",
        config.classes
    );
    let [c, h, w] = config.input;
    let same3 = Conv2dConfig::kernel(3).padding(1);
    let bn = |n| BatchNorm::new_2d(n, BatchNormConfig::default(), spec);
    let mut net = Sequential::new();
    for (cin, cout, pool) in [(c, 32, true), (32, 64, true), (64, 128, false)] {
        net = net
            .push(Conv2d::new(cin, cout, &same3, spec, gen))
            .push(bn(cout))
            .push(ReLU);
        if pool {
            net = net.push(MaxPool2d::new(2));
        }
    }
    let flat = 128 * pooled(h, 2) * pooled(w, 2);
    net.push(Flatten::default())
        .push(Linear::new(flat, 128, true, spec, gen))
        .push(ReLU)
        .push(Dropout::new(config.dropout, dropout_gen))
        .push(Linear::new(128, config.classes, true, spec, gen))
        .push(Softmax { dim: 1 })
        .push(Clamp {
            min: Some(PROBABILITY_FLOOR),
            max: Some(1.0 - PROBABILITY_FLOOR),
        })
}
