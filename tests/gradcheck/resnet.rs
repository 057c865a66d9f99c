//! The pieces of torchvision's ResNet-18 (docs/multilabel.md) in f64: the stride-2 7×7 stem convolution,
//! the padded 3×3/2 max-pool, the adaptive average pool, and a BasicBlock with and without its
//! downsample path (residual add included), in the input and every parameter, BatchNorm in
//! training mode.

use super::{check_both, randn};
use learnloss::models::BasicBlock;
use learnloss::nn::{AdaptiveAvgPool2d, BatchNorm, BatchNormConfig, Conv2d, MaxPool2d, Module, Sequential, Spec};
use learnloss::{Conv2dParams, Generator, Pool2dParams, Tensor};

fn stem_pool() -> MaxPool2d {
    MaxPool2d {
        params: Pool2dParams {
            kernel: [3, 3],
            stride: [2, 2],
            padding: [1, 1],
            dilation: [1, 1],
        },
    }
}

#[test]
fn stem_conv_7x7_stride_2_then_padded_max_pool_then_adaptive_average() {
    let stem = Conv2dParams {
        stride: [2, 2],
        padding: [3, 3],
        ..Default::default()
    };
    let x = randn(&[2, 2, 9, 11], 300);
    let w = randn(&[3, 2, 7, 7], 301);
    check_both(
        "conv 7×7/2 pad 3",
        |a| a[0].conv2d(&a[1], &stem),
        &[x.clone(), w.clone()],
    );
    check_both(
        "max-pool 3×3/2 pad 1",
        |a| stem_pool().forward(&a[0]),
        &[randn(&[2, 3, 7, 6], 302)],
    );
    check_both(
        "stem → max-pool → adaptive average pool",
        |a| AdaptiveAvgPool2d::new(1).forward(&stem_pool().forward(&a[0].conv2d(&a[1], &stem).relu())),
        &[x, w],
    );
}

/// A BasicBlock whose parameters are `params` (in `visit` order), so that gradcheck perturbs
/// them: conv1.weight, bn1.weight, bn1.bias, conv2.weight, bn2.weight, bn2.bias and, with a
/// downsample, its conv weight, BN weight and BN bias.
fn block_from(template: &BasicBlock, stride: usize, params: &[Tensor]) -> BasicBlock {
    let conv = |c: &Conv2d, w: &Tensor| Conv2d {
        weight: w.clone(),
        bias: None,
        params: c.params,
    };
    let bn = |n: usize, w: &Tensor, b: &Tensor| {
        let mut bn = BatchNorm::new_2d(n, BatchNormConfig::default(), &Spec::f64());
        bn.weight = Some(w.clone());
        bn.bias = Some(b.clone());
        bn
    };
    let out = params[1].numel();
    let downsample = template.downsample.as_ref().map(|_| {
        Sequential::new()
            .push(Conv2d {
                weight: params[6].clone(),
                bias: None,
                params: Conv2dParams {
                    stride: [stride, stride],
                    ..Default::default()
                },
            })
            .push(bn(out, &params[7], &params[8]))
    });
    BasicBlock {
        conv1: conv(&template.conv1, &params[0]),
        bn1: bn(out, &params[1], &params[2]),
        conv2: conv(&template.conv2, &params[3]),
        bn2: bn(out, &params[4], &params[5]),
        downsample,
    }
}

fn check_block(name: &str, cin: usize, cout: usize, stride: usize, seed: u64) {
    let template = BasicBlock::new(cin, cout, stride, &Spec::f64(), &mut Generator::new(seed));
    assert_eq!(template.downsample.is_some(), stride != 1 || cin != cout, "{name}");
    let mut inputs = vec![randn(&[3, cin, 5, 5], seed + 1)];
    // BatchNorm's affine parameters away from 1 and 0, so their gradients are not special.
    for (i, (_, p)) in template.named_parameters().into_iter().enumerate() {
        let moved = p.detach().add(&randn(p.shape(), seed + 10 + i as u64).mul_scalar(0.3));
        inputs.push(moved.requires_grad_(true));
    }
    check_both(name, |a| block_from(&template, stride, &a[1..]).forward(&a[0]), &inputs);
}

#[test]
fn basic_block_with_identity_residual() {
    check_block("BasicBlock(2 → 2, stride 1)", 2, 2, 1, 310);
}

#[test]
fn basic_block_with_strided_downsample() {
    check_block("BasicBlock(2 → 3, stride 2) with downsample", 2, 3, 2, 330);
}
