//! torchvision's ResNet-18 (`torchvision.models.resnet18`) and the multi-label classifier built
//! on it (docs/multilabel.md): the same layers, in the same order, under the same state-dict names, so a
//! torchvision checkpoint loads into it ([`super::load_torchvision_resnet18`]) and its outputs
//! equal PyTorch's on the same weights.

use super::ImageShape;
use crate::nn::{
    describe_container, join_name, AdaptiveAvgPool2d, BatchNorm, BatchNormConfig, Conv2d, Conv2dConfig, Dropout,
    Flatten, Linear, MaxPool2d, Module, ReLU, Sequential, SharedGenerator, Sigmoid, Slot, Spec,
};
use crate::{Generator, Pool2dParams, Tensor};

/// The channels after ResNet-18's stem; layers 1–4 have 1, 2, 4 and 8 times as many.
pub const RESNET18_WIDTH: usize = 64;

/// The feature width ResNet-18 ends with (the input of torchvision's `fc`).
pub const RESNET18_FEATURES: usize = 8 * RESNET18_WIDTH;

/// Child index of each torchvision ResNet-18 top-level module in the backbone `Sequential`
/// (`fc`, child 9, is left out): torchvision's `conv1.weight` is `convolutions.0.weight` in
/// the multi-label classifier, `layer2.0.downsample.0.weight` is `convolutions.5.0.downsample.0.weight`.
pub const RESNET18_CHILDREN: [&str; 9] = [
    "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool",
];

/// torchvision's `BasicBlock`: two 3×3 convolutions with BatchNorm, and the input (or its 1×1
/// strided projection, `downsample`, where the shape changes) added before the last ReLU.
pub struct BasicBlock {
    pub conv1: Conv2d,
    pub bn1: BatchNorm,
    pub conv2: Conv2d,
    pub bn2: BatchNorm,
    /// `Sequential(conv 1×1 / stride, BatchNorm2d)` under the names `downsample.0`/`downsample.1`.
    pub downsample: Option<Sequential>,
}

/// torchvision's initialisation of a ResNet convolution: `kaiming_normal_(mode="fan_out",
/// nonlinearity="relu")`, i.e. N(0, 2 / (out·kh·kw)), no bias.
fn resnet_conv(cin: usize, cout: usize, config: Conv2dConfig, spec: &Spec, gen: &mut Generator) -> Conv2d {
    let mut conv = Conv2d::new(cin, cout, &config.bias(false), spec, gen);
    let shape = conv.weight.shape().to_vec();
    let fan_out = shape[0] * shape[2] * shape[3];
    let std = (2.0 / fan_out as f64).sqrt();
    conv.weight = Tensor::randn(&shape, spec.dtype, &spec.device, gen)
        .mul_scalar(std)
        .requires_grad_(true);
    conv
}

/// `BatchNorm2d(n)` with weight 1 and bias 0 (torchvision's `constant_` init, also PyTorch's).
fn resnet_bn(n: usize, spec: &Spec) -> BatchNorm {
    BatchNorm::new_2d(n, BatchNormConfig::default(), spec)
}

impl BasicBlock {
    /// `BasicBlock(cin, cout, stride)`, with the downsample torchvision's `_make_layer` adds when
    /// the stride is not 1 or the channel count changes.
    pub fn new(cin: usize, cout: usize, stride: usize, spec: &Spec, gen: &mut Generator) -> BasicBlock {
        let conv3 = Conv2dConfig::kernel(3).padding(1);
        let conv1 = resnet_conv(cin, cout, conv3.clone().stride(stride), spec, gen);
        let bn1 = resnet_bn(cout, spec);
        let conv2 = resnet_conv(cout, cout, conv3, spec, gen);
        let bn2 = resnet_bn(cout, spec);
        let downsample = (stride != 1 || cin != cout).then(|| {
            Sequential::new()
                .push(resnet_conv(
                    cin,
                    cout,
                    Conv2dConfig::kernel(1).stride(stride),
                    spec,
                    gen,
                ))
                .push(resnet_bn(cout, spec))
        });
        BasicBlock {
            conv1,
            bn1,
            conv2,
            bn2,
            downsample,
        }
    }
}

impl Module for BasicBlock {
    fn forward(&self, input: &Tensor) -> Tensor {
        let out = self.bn1.forward(&self.conv1.forward(input)).relu();
        let out = self.bn2.forward(&self.conv2.forward(&out));
        let identity = match &self.downsample {
            Some(d) => d.forward(input),
            None => input.clone(),
        };
        out.add(&identity).relu()
    }

    /// torchvision's registration order: conv1, bn1, (relu), conv2, bn2, downsample.
    fn visit(&self, prefix: &str, visit: &mut dyn FnMut(String, &Tensor, Slot)) {
        self.conv1.visit(&join_name(prefix, "conv1"), visit);
        self.bn1.visit(&join_name(prefix, "bn1"), visit);
        self.conv2.visit(&join_name(prefix, "conv2"), visit);
        self.bn2.visit(&join_name(prefix, "bn2"), visit);
        if let Some(d) = &self.downsample {
            d.visit(&join_name(prefix, "downsample"), visit);
        }
    }

    fn set_training(&mut self, training: bool) {
        self.bn1.set_training(training);
        self.bn2.set_training(training);
        if let Some(d) = &mut self.downsample {
            d.set_training(training);
        }
    }

    fn describe(&self) -> String {
        let mut children: Vec<(&str, &dyn Module)> = vec![
            ("conv1", &self.conv1),
            ("bn1", &self.bn1),
            ("relu", &ReLU),
            ("conv2", &self.conv2),
            ("bn2", &self.bn2),
        ];
        if let Some(d) = &self.downsample {
            children.push(("downsample", d));
        }
        describe_container("BasicBlock", children.into_iter())
    }
}

/// torchvision's `resnet18()` without its `fc`, as the `Sequential` of its children 0–8 (see
/// [`RESNET18_CHILDREN`]), taking `in_channels` at conv1 (3 in torchvision). Ends in
/// `[N, 512, 1, 1]` for any input size.
pub fn resnet18_backbone(in_channels: usize, spec: &Spec, gen: &mut Generator) -> Sequential {
    resnet18_backbone_with_width(in_channels, RESNET18_WIDTH, spec, gen)
}

/// ResNet-18's structure with `width` channels after the stem and `2·width`, `4·width`,
/// `8·width` in layers 2–4 (torchvision: 64). A narrow one trains in seconds on a CPU and
/// checks the same arithmetic against PyTorch in a small fixture. Ends in `[N, 8·width, 1, 1]`.
pub fn resnet18_backbone_with_width(in_channels: usize, width: usize, spec: &Spec, gen: &mut Generator) -> Sequential {
    assert!(
        in_channels > 0 && width > 0,
        "resnet18: in_channels ({in_channels}) and width ({width}) must be positive"
    );
    let stem = Conv2dConfig::kernel(7).stride(2).padding(3);
    let mut net = Sequential::new()
        .push(resnet_conv(in_channels, width, stem, spec, gen))
        .push(resnet_bn(width, spec))
        .push(ReLU)
        .push(MaxPool2d {
            params: Pool2dParams {
                kernel: [3, 3],
                stride: [2, 2],
                padding: [1, 1],
                dilation: [1, 1],
            },
        });
    let mut cin = width;
    for (cout, stride) in [(width, 1), (2 * width, 2), (4 * width, 2), (8 * width, 2)] {
        let first = BasicBlock::new(cin, cout, stride, spec, gen);
        let second = BasicBlock::new(cout, cout, 1, spec, gen);
        net = net.push(Sequential::new().push(first).push(second));
        cin = cout;
    }
    net.push(AdaptiveAvgPool2d::new(1))
}

/// The multi-label classifier's sizes.
#[derive(Clone, Debug)]
pub struct MultiLabelConfig {
    pub input: ImageShape,
    /// K, the number of labels (one sigmoid each).
    pub labels: usize,
    /// The dropout before `dense` (0.1 in the seed).
    pub dropout: f64,
    /// The backbone's stem width ([`RESNET18_WIDTH`], torchvision's, unless narrowed).
    pub width: usize,
}

impl MultiLabelConfig {
    pub fn new(input: ImageShape, labels: usize) -> MultiLabelConfig {
        MultiLabelConfig {
            input,
            labels,
            dropout: 0.1,
            width: RESNET18_WIDTH,
        }
    }
}

/// The seed's `NeuralNetwork(K, dropout)`: `convolutions` (ResNet-18 without fc), the reshape to
/// `[N, 512]`, `dropout`, `dense` = Linear(512, K) (8·width for a narrowed backbone), and a sigmoid per label. The reshape and the
/// sigmoid hold no parameters, so the state-dict names (`convolutions.0.weight`, …,
/// `dense.weight`, `dense.bias`) are the seed's; `forward_first(len - 1)` gives the logits.
///
/// ```text
/// convolutions  flatten  dropout  dense  sigmoid
/// ```
pub fn multilabel_resnet18(
    config: &MultiLabelConfig,
    spec: &Spec,
    gen: &mut Generator,
    dropout_gen: SharedGenerator,
) -> Sequential {
    assert!(
        config.labels >= 1,
        "multilabel resnet18: needs at least 1 label, got {}",
        config.labels
    );
    let backbone = resnet18_backbone_with_width(config.input[0], config.width, spec, gen);
    Sequential::new()
        .push_named("convolutions", backbone)
        .push_named("flatten", Flatten::default())
        .push_named("dropout", Dropout::new(config.dropout, dropout_gen))
        .push_named("dense", Linear::new(8 * config.width, config.labels, true, spec, gen))
        .push_named("sigmoid", Sigmoid)
}
