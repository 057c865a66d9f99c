//! The layers of `learnloss::nn`, through their modules and their functional forms, in training
//! and eval mode, with respect to the input and every parameter.

use super::{check_both, randn, uniform};
use learnloss::nn::functional::{self, RunningStats};
use learnloss::nn::{
    AdaptiveAvgPool2d, BatchNorm, BatchNormConfig, Conv2d, Conv2dConfig, Flatten, Linear, LogSoftmax, MaxPool2d,
    Module, ReLU, Sequential, Sigmoid, Softmax, Softplus, Spec, Tanh,
};
use learnloss::{Conv2dParams, DType, Device, Generator, Pool2dParams, Tensor};

#[test]
fn linear_module_in_input_weight_and_bias() {
    let (x, w, b) = (randn(&[3, 4], 1), randn(&[2, 4], 2), randn(&[2], 3));
    let f = |a: &[Tensor]| {
        Linear {
            weight: a[1].clone(),
            bias: Some(a[2].clone()),
        }
        .forward(&a[0])
    };
    check_both("Linear", f, &[x.clone(), w.clone(), b]);
    // Extra leading dims and no bias.
    let x3 = randn(&[2, 3, 4], 4);
    check_both(
        "linear, 3-D input, no bias",
        |a| functional::linear(&a[0], &a[1], None),
        &[x3, w],
    );
}

#[test]
fn conv2d_module_with_bias_stride_and_padding() {
    let x = randn(&[2, 2, 5, 5], 10);
    let w = randn(&[3, 2, 3, 3], 11);
    let b = randn(&[3], 12);
    for params in [
        Conv2dParams {
            padding: [1, 1],
            ..Default::default()
        },
        Conv2dParams {
            stride: [2, 2],
            padding: [0, 1],
            dilation: [1, 1],
        },
    ] {
        let f = |a: &[Tensor]| {
            Conv2d {
                weight: a[1].clone(),
                bias: Some(a[2].clone()),
                params,
            }
            .forward(&a[0])
        };
        check_both(&format!("Conv2d {params:?}"), f, &[x.clone(), w.clone(), b.clone()]);
    }
    let unbatched = randn(&[2, 4, 4], 13);
    check_both(
        "conv2d, unbatched input",
        |a| functional::conv2d(&a[0], &a[1], Some(&a[2]), &Conv2dParams::default()),
        &[unbatched, w, b],
    );
}

/// A batch norm module whose affine parameters are the checked inputs and whose running
/// statistics are fixed, non-trivial values.
fn batch_norm_with(weight: &Tensor, bias: &Tensor, spatial: usize, training: bool) -> BatchNorm {
    let c = weight.numel();
    let spec = Spec::f64();
    let mut bn = if spatial == 1 {
        BatchNorm::new_1d(c, BatchNormConfig::default(), &spec)
    } else {
        BatchNorm::new_2d(c, BatchNormConfig::default(), &spec)
    };
    bn.weight = Some(weight.clone());
    bn.bias = Some(bias.clone());
    let rm = bn.running_mean.as_ref().expect("tracked");
    let rv = bn.running_var.as_ref().expect("tracked");
    rm.assign(&spread(c, -0.3, 0.4));
    rv.assign(&spread(c, 0.5, 2.0));
    bn.set_training(training);
    bn
}

/// `n` values spread evenly over `[lo, hi]`.
fn spread(n: usize, lo: f64, hi: f64) -> Tensor {
    let step = if n > 1 { (hi - lo) / (n - 1) as f64 } else { 0.0 };
    let v: Vec<f64> = (0..n).map(|i| lo + step * i as f64).collect();
    Tensor::from_vec(v, &[n], &Device::Cpu)
}

#[test]
fn batch_norm_1d_both_modes_in_input_weight_and_bias() {
    for training in [true, false] {
        for shape in [vec![4, 3], vec![3, 3, 2]] {
            let x = randn(&shape, 20);
            let (w, b) = (uniform(&[3], 0.5, 1.5, 21), randn(&[3], 22));
            let f = |a: &[Tensor]| batch_norm_with(&a[1], &a[2], 1, training).forward(&a[0]);
            check_both(&format!("BatchNorm1d training={training} {shape:?}"), f, &[x, w, b]);
        }
    }
}

#[test]
fn batch_norm_2d_both_modes_in_input_weight_and_bias() {
    for training in [true, false] {
        let x = randn(&[3, 2, 2, 3], 30);
        let (w, b) = (uniform(&[2], 0.5, 1.5, 31), randn(&[2], 32));
        let f = |a: &[Tensor]| batch_norm_with(&a[1], &a[2], 2, training).forward(&a[0]);
        check_both(&format!("BatchNorm2d training={training}"), f, &[x, w, b]);
    }
}

#[test]
fn batch_norm_functional_in_running_statistics_and_without_affine() {
    // Eval mode is differentiable in the running statistics too (PyTorch's batch_norm is).
    let x = randn(&[4, 3], 40);
    let mean = randn(&[3], 41);
    let var = uniform(&[3], 0.5, 2.0, 42);
    let f = |a: &[Tensor]| {
        let running = RunningStats {
            mean: &a[1],
            var: &a[2],
            momentum: 0.1,
        };
        functional::batch_norm(&a[0], Some(running), None, None, false, 1e-5)
    };
    check_both("batch_norm eval in running stats", f, &[x.clone(), mean, var]);
    check_both(
        "batch_norm training without running stats or affine",
        |a| functional::batch_norm(&a[0], None, None, None, true, 1e-5),
        &[x],
    );
}

#[test]
fn activations() {
    let x = randn(&[3, 4], 50);
    check_both("ReLU", |a| ReLU.forward(&a[0]), std::slice::from_ref(&x));
    check_both("Tanh", |a| Tanh.forward(&a[0]), std::slice::from_ref(&x));
    check_both("Sigmoid", |a| Sigmoid.forward(&a[0]), std::slice::from_ref(&x));
    check_both(
        "Softplus",
        |a| Softplus::default().forward(&a[0]),
        std::slice::from_ref(&x),
    );
    let sp = Softplus {
        beta: 2.0,
        threshold: 1.5,
    };
    check_both(
        "Softplus beta=2 threshold=1.5",
        |a| sp.forward(&a[0]),
        std::slice::from_ref(&x),
    );
    check_both(
        "Softmax dim=-1",
        |a| Softmax { dim: -1 }.forward(&a[0]),
        std::slice::from_ref(&x),
    );
    check_both(
        "Softmax dim=0",
        |a| Softmax { dim: 0 }.forward(&a[0]),
        std::slice::from_ref(&x),
    );
    check_both("LogSoftmax dim=1", |a| LogSoftmax { dim: 1 }.forward(&a[0]), &[x]);
}

#[test]
fn dropout_in_training_and_eval() {
    let x = randn(&[4, 5], 60);
    // A fresh generator per call: every evaluation draws the same mask.
    let train = |a: &[Tensor]| functional::dropout(&a[0], 0.4, true, &mut Generator::new(9));
    check_both("dropout training", train, std::slice::from_ref(&x));
    let eval = |a: &[Tensor]| functional::dropout(&a[0], 0.4, false, &mut Generator::new(9));
    check_both("dropout eval", eval, &[x]);
}

#[test]
fn pools_and_flatten() {
    let x = randn(&[2, 2, 5, 4], 70);
    check_both(
        "MaxPool2d(2)",
        |a| MaxPool2d::new(2).forward(&a[0]),
        std::slice::from_ref(&x),
    );
    let overlapping = MaxPool2d {
        params: Pool2dParams {
            kernel: [3, 3],
            stride: [1, 2],
            padding: [1, 1],
            dilation: [1, 1],
        },
    };
    check_both(
        "MaxPool2d overlapping",
        |a| overlapping.forward(&a[0]),
        std::slice::from_ref(&x),
    );
    check_both(
        "AdaptiveAvgPool2d(1)",
        |a| AdaptiveAvgPool2d::new(1).forward(&a[0]),
        std::slice::from_ref(&x),
    );
    let uneven = AdaptiveAvgPool2d { output_size: [3, 2] };
    check_both(
        "AdaptiveAvgPool2d((3, 2))",
        |a| uneven.forward(&a[0]),
        std::slice::from_ref(&x),
    );
    check_both("Flatten", |a| Flatten::default().forward(&a[0]).tanh(), &[x]);
}

#[test]
fn small_cnn_end_to_end_in_every_parameter() {
    // conv → BN2d (train) → ReLU → pool → flatten → linear: the classifier's building blocks
    // chained, differentiated in the input and all parameters at once.
    let mut gen = Generator::new(80);
    let spec = Spec::f64();
    let conv = Conv2d::new(1, 2, &Conv2dConfig::kernel(3).padding(1), &spec, &mut gen);
    let bn = BatchNorm::new_2d(2, BatchNormConfig::default(), &spec);
    let fc = Linear::new(2 * 2 * 2, 3, true, &spec, &mut gen);
    let x = Tensor::randn(&[3, 1, 4, 4], DType::F64, &Device::Cpu, &mut gen).requires_grad_(true);
    let mut inputs = vec![x];
    inputs.extend([&conv.weight, conv.bias.as_ref().unwrap()].map(Tensor::clone));
    inputs.extend([bn.weight.as_ref().unwrap(), bn.bias.as_ref().unwrap()].map(Tensor::clone));
    inputs.extend([&fc.weight, fc.bias.as_ref().unwrap()].map(Tensor::clone));
    let f = |a: &[Tensor]| {
        let mut bn = BatchNorm::new_2d(2, BatchNormConfig::default(), &spec);
        bn.weight = Some(a[3].clone());
        bn.bias = Some(a[4].clone());
        let net = Sequential::new()
            .push(Conv2d {
                weight: a[1].clone(),
                bias: Some(a[2].clone()),
                params: conv.params,
            })
            .push(bn)
            .push(Tanh)
            .push(MaxPool2d::new(2))
            .push(Flatten::default())
            .push(Linear {
                weight: a[5].clone(),
                bias: Some(a[6].clone()),
            });
        net.forward(&a[0])
    };
    check_both("small CNN", f, &inputs);
}
