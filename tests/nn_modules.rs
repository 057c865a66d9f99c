//! `learnloss::nn` behaviour: PyTorch names and order of parameters and buffers, train/eval
//! mode, BatchNorm's running statistics against PyTorch, default initialisation bounds,
//! dropout statistics, reprs, and third-order derivatives through training-mode BatchNorm1d and
//! BatchNorm2d (the fused op).

mod common;

use common::{assert_close, panic_message, t, values};
use learnloss::check::gradcheck;
use learnloss::nn::{
    shared_generator, AdaptiveAvgPool2d, BatchNorm, BatchNormConfig, Conv2d, Conv2dConfig, Dropout, Flatten, Linear,
    MaxPool2d, Module, ReLU, Sequential, Softmax, Spec, Tanh,
};
use learnloss::{grad, DType, Device, Generator, Pool2dParams, Tensor};

fn seed_classifier_features(spec: &Spec, gen: &mut Generator) -> Sequential {
    Sequential::new()
        .push(Conv2d::new(1, 32, &Conv2dConfig::kernel(3).padding(1), spec, gen))
        .push(BatchNorm::new_2d(32, BatchNormConfig::default(), spec))
        .push(ReLU)
        .push(MaxPool2d::new(2))
        .push(Flatten::default())
        .push(Linear::new(32 * 14 * 14, 10, true, spec, gen))
}

#[test]
fn names_and_order_follow_pytorch_state_dict() {
    let mut gen = Generator::new(1);
    let net = Sequential::new().push_named("features", seed_classifier_features(&Spec::default(), &mut gen));
    let names: Vec<String> = net.state_dict().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "features.0.weight",
            "features.0.bias",
            "features.1.weight",
            "features.1.bias",
            "features.1.running_mean",
            "features.1.running_var",
            "features.1.num_batches_tracked",
            "features.5.weight",
            "features.5.bias",
        ]
    );
    let params: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(params.len(), 6);
    assert!(params
        .iter()
        .all(|n| !n.contains("running") && !n.contains("num_batches")));
    assert_eq!(net.named_buffers().len(), 3);
    assert_eq!(net.num_parameters(), 32 * 9 + 32 + 32 + 32 + 32 * 14 * 14 * 10 + 10);
    assert!(net.parameters().iter().all(|p| p.requires_grad() && p.is_leaf()));
    assert!(net.named_buffers().iter().all(|(_, b)| !b.requires_grad()));
    let nbt = &net.named_buffers()[2].1;
    assert_eq!((nbt.dtype(), nbt.shape()), (DType::I64, &[][..]));
}

#[test]
fn default_init_is_pytorch_kaiming_uniform_bounds() {
    let mut gen = Generator::new(2);
    let fc = Linear::new(50, 40, true, &Spec::default(), &mut gen);
    let conv = Conv2d::new(8, 16, &Conv2dConfig::kernel(3), &Spec::default(), &mut gen);
    for (tensor, fan_in) in [
        (&fc.weight, 50.0),
        (fc.bias.as_ref().unwrap(), 50.0),
        (&conv.weight, 72.0),
        (conv.bias.as_ref().unwrap(), 72.0),
    ] {
        let bound = 1.0 / f64::sqrt(fan_in);
        let v = tensor.to_f64_vec();
        let (lo, hi) = v
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        assert!(lo >= -bound && hi <= bound, "{lo}..{hi} outside ±{bound}");
        // Uniform over the whole interval, not a fraction of it.
        if v.len() >= 1000 {
            assert!(
                lo < -0.95 * bound && hi > 0.95 * bound,
                "{lo}..{hi} does not span ±{bound}"
            );
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            assert!(mean.abs() < 0.05 * bound, "mean {mean}");
        }
    }
    // Same seed, same parameters.
    let again = Linear::new(50, 40, true, &Spec::default(), &mut Generator::new(2));
    assert_eq!(again.weight.to_vec::<f32>(), fc.weight.to_vec::<f32>());
}

/// The same deterministic inputs as the PyTorch snippet below.
fn bn_input(shape: &[usize], step: usize) -> Tensor {
    let n: usize = shape.iter().product();
    let s = step as f64;
    let v: Vec<f64> = (0..n)
        .map(|i| (1.3 * i as f64 + 0.7 * s).sin() * (1.0 + 0.1 * s) + 0.05 * i as f64)
        .collect();
    t(&v, shape)
}

fn bn_with_affine(bn: &mut BatchNorm) {
    let c = bn.num_features();
    bn.weight.as_ref().unwrap().assign(&t(&[0.5, -1.5, 2.0][..c], &[c]));
    bn.bias.as_ref().unwrap().assign(&t(&[0.1, 0.2, -0.3][..c], &[c]));
}

/// Expected values from PyTorch 2.15 (float64):
/// ```python
/// inp = lambda shape, step: torch.tensor([math.sin(1.3*i + 0.7*step)*(1 + 0.1*step) + 0.05*i
///                                          for i in range(prod(shape))]).reshape(shape)
/// bn = torch.nn.BatchNorm1d(3)  # or BatchNorm2d(2), or BatchNorm1d(3, momentum=None)
/// bn.weight[:] = [0.5, -1.5, 2.0][:C]; bn.bias[:] = [0.1, 0.2, -0.3][:C]
/// for step in range(3): y = bn(inp(shape, step))
/// bn.running_mean, bn.running_var, y.flatten()[:4]; bn.eval(); bn(inp(shape, 5)).flatten()[:4]
/// ```
#[test]
fn batch_norm_running_statistics_match_pytorch() {
    struct Case {
        bn: BatchNorm,
        shape: Vec<usize>,
        mean: Vec<f64>,
        var: Vec<f64>,
        train_out: [f64; 4],
        eval_out: [f64; 4],
    }
    let spec = Spec::f64();
    let cma = BatchNormConfig {
        momentum: None,
        ..Default::default()
    };
    let cases = vec![
        Case {
            bn: BatchNorm::new_1d(3, BatchNormConfig::default(), &spec),
            shape: vec![5, 3],
            mean: vec![0.06845820922858788, 0.10282958690545073, 0.12551085107164434],
            var: vec![0.9202916719098788, 0.9149465550231193, 0.9472121460184136],
            train_out: [
                0.64032432563557,
                -0.0714260982053132,
                -2.9641921566464733,
                -0.5778930282798808,
            ],
            eval_out: [
                -0.2099230970114623,
                2.6260671197323386,
                -0.9139297595778054,
                0.8451104144110799,
            ],
        },
        Case {
            bn: BatchNorm::new_2d(2, BatchNormConfig::default(), &spec),
            shape: vec![3, 2, 2, 3],
            mean: vec![0.20783887293135644, 0.28941920222436396],
            var: vec![0.973239133719872, 0.980173804909787],
            train_out: [
                0.2854244043130978,
                -0.014007049453712835,
                -0.676483871564263,
                -0.696081481573851,
            ],
            eval_out: [
                -0.27201646860221823,
                -0.7373183060371206,
                -0.09314218688094701,
                0.7539173525600597,
            ],
        },
        Case {
            bn: BatchNorm::new_1d(3, cma, &spec),
            shape: vec![4, 3, 2],
            mean: vec![0.4603658482996206, 0.5746614347468506, 0.69021437721579],
            var: vec![0.49926175957667634, 1.2067648372115514, 0.5050718178152573],
            train_out: [
                0.5557076460883398,
                0.17521792512732634,
                2.142574756146503,
                2.1986280682185897,
            ],
            eval_out: [
                -0.5980981802599948,
                -1.2477464403055054,
                1.2212326322159843,
                -1.0608642749970087,
            ],
        },
    ];
    for mut case in cases {
        bn_with_affine(&mut case.bn);
        let mut y = None;
        for step in 0..3 {
            y = Some(case.bn.forward(&bn_input(&case.shape, step)));
        }
        let name = case.bn.describe();
        assert_close(&values(case.bn.running_mean.as_ref().unwrap()), &case.mean, 1e-12);
        assert_close(&values(case.bn.running_var.as_ref().unwrap()), &case.var, 1e-12);
        assert_eq!(case.bn.num_batches_tracked.as_ref().unwrap().item(), 3.0, "{name}");
        assert_close(&values(&y.unwrap().flatten_all())[..4], &case.train_out, 1e-12);
        case.bn.eval();
        let before = values(case.bn.running_mean.as_ref().unwrap());
        let out = case.bn.forward(&bn_input(&case.shape, 5));
        assert_close(&values(&out.flatten_all())[..4], &case.eval_out, 1e-12);
        // Eval mode leaves the statistics alone.
        assert_eq!(values(case.bn.running_mean.as_ref().unwrap()), before, "{name}");
        assert_eq!(case.bn.num_batches_tracked.as_ref().unwrap().item(), 3.0, "{name}");
    }
}

#[test]
fn batch_norm_rejects_wrong_ranks_and_single_values() {
    let bn1 = BatchNorm::new_1d(3, BatchNormConfig::default(), &Spec::f64());
    let msg = panic_message(|| {
        bn1.forward(&Tensor::zeros(&[2, 3, 4, 5], DType::F64, &Device::Cpu));
    });
    assert!(msg.contains("expected 2D or 3D input (got 4D input)"), "{msg}");
    let msg = panic_message(|| {
        bn1.forward(&Tensor::zeros(&[1, 3], DType::F64, &Device::Cpu));
    });
    assert!(
        msg.contains("more than 1 value per channel") && msg.contains("[1, 3]"),
        "{msg}"
    );
    let bn2 = BatchNorm::new_2d(4, BatchNormConfig::default(), &Spec::f64());
    let msg = panic_message(|| {
        bn2.forward(&Tensor::zeros(&[2, 3, 4, 5], DType::F64, &Device::Cpu));
    });
    assert!(msg.contains("3 channels, expected 4"), "{msg}");
}

#[test]
fn train_and_eval_propagate_through_containers() {
    let gen = shared_generator(3);
    let mut net = Sequential::new()
        .push(BatchNorm::new_1d(4, BatchNormConfig::default(), &Spec::f64()))
        .push(Dropout::new(0.5, gen));
    let x = Tensor::randn(&[6, 4], DType::F64, &Device::Cpu, &mut Generator::new(4));
    let train_out = values(&net.forward(&x));
    assert!(train_out.contains(&0.0), "training mode drops elements");
    net.eval();
    // Eval: running stats after one batch (mean·0.1, var·0.1 + 0.9), no dropout.
    let y = net.forward(&x);
    let (m, v) = (
        x.mean(&[0], false).mul_scalar(0.1),
        x.var(&[0], 1, false).mul_scalar(0.1).add_scalar(0.9),
    );
    let expected = x.sub(&m).div(&v.add_scalar(1e-5).sqrt());
    assert_close(&values(&y), &values(&expected), 1e-12);
    net.train();
    assert!(values(&net.forward(&x)).contains(&0.0));
}

#[test]
fn dropout_keeps_expected_fraction_scaled_and_is_reproducible() {
    let x = Tensor::ones(&[200, 100], DType::F32, &Device::Cpu);
    let drop = Dropout::new(0.3, shared_generator(5));
    let y = drop.forward(&x).to_f64_vec();
    let kept = y.iter().filter(|&&v| v != 0.0).count() as f64 / y.len() as f64;
    assert!((kept - 0.7).abs() < 0.01, "kept fraction {kept}");
    let scale = 1.0 / 0.7f32;
    assert!(y.iter().all(|&v| v == 0.0 || v == scale as f64));
    // A second call draws a new mask; the same seed reproduces the sequence.
    let y2 = drop.forward(&x).to_f64_vec();
    assert_ne!(y, y2);
    let again = Dropout::new(0.3, shared_generator(5));
    assert_eq!(again.forward(&x).to_f64_vec(), y);
    // p = 1 zeroes everything, p = 0 and eval mode pass through.
    assert!(Dropout::new(1.0, shared_generator(0))
        .forward(&x)
        .to_f64_vec()
        .iter()
        .all(|&v| v == 0.0));
    assert_eq!(
        Dropout::new(0.0, shared_generator(0)).forward(&x).to_f64_vec(),
        x.to_f64_vec()
    );
    let msg = panic_message(|| {
        Dropout::new(1.5, shared_generator(0));
    });
    assert!(msg.contains("between 0 and 1, but got 1.5"), "{msg}");
}

#[test]
fn layer_shapes_and_values() {
    let x = t(&(0..2 * 3 * 4 * 5).map(|i| i as f64).collect::<Vec<_>>(), &[2, 3, 4, 5]);
    assert_eq!(MaxPool2d::new(2).forward(&x).shape(), &[2, 3, 2, 2]);
    let pooled = AdaptiveAvgPool2d::new(1).forward(&x);
    assert_eq!(pooled.shape(), &[2, 3, 1, 1]);
    assert_eq!(values(&pooled)[..2], [9.5, 29.5]);
    // PyTorch: F.adaptive_avg_pool2d(arange(20.).reshape(1,1,4,5), (3,2)).flatten()
    let plane = t(&(0..20).map(|i| i as f64).collect::<Vec<_>>(), &[1, 1, 4, 5]);
    let uneven = AdaptiveAvgPool2d { output_size: [3, 2] }.forward(&plane);
    assert_close(&values(&uneven), &[3.5, 5.5, 8.5, 10.5, 13.5, 15.5], 1e-15);
    assert_eq!(Flatten::default().forward(&x).shape(), &[2, 60]);
    assert_eq!(
        Flatten {
            start_dim: 0,
            end_dim: -2
        }
        .forward(&x)
        .shape(),
        &[24, 5]
    );
    let sm = Softmax { dim: -1 }.forward(&x);
    assert_close(&values(&sm.sum(&[3], false)), &[1.0; 24], 1e-12);
}

#[test]
fn reprs_read_like_pytorch() {
    let mut gen = Generator::new(6);
    let net = Sequential::new()
        .push(Conv2d::new(
            1,
            32,
            &Conv2dConfig::kernel(3).padding(1),
            &Spec::default(),
            &mut gen,
        ))
        .push(BatchNorm::new_2d(32, BatchNormConfig::default(), &Spec::default()))
        .push(Sequential::new().push(ReLU).push(MaxPool2d::new(2)))
        .push(Dropout::new(0.5, shared_generator(0)))
        .push(Linear::new(4, 2, false, &Spec::default(), &mut gen));
    let expected = "Sequential(
  (0): Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
  (1): BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
  (2): Sequential(
    (0): ReLU()
    (1): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
  )
  (3): Dropout(p=0.5, inplace=False)
  (4): Linear(in_features=4, out_features=2, bias=False)
)";
    assert_eq!(net.describe(), expected);
}

#[test]
fn zero_grad_clears_parameter_gradients() {
    let mut gen = Generator::new(7);
    let net = Sequential::new()
        .push(Linear::new(3, 4, true, &Spec::f64(), &mut gen))
        .push(Tanh)
        .push(Linear::new(4, 1, true, &Spec::f64(), &mut gen));
    let x = Tensor::randn(&[5, 3], DType::F64, &Device::Cpu, &mut gen);
    net.forward(&x).sum_all().backward();
    assert!(net.parameters().iter().all(|p| p.grad().is_some()));
    net.zero_grad();
    assert!(net.parameters().iter().all(|p| p.grad().is_none()));
}

/// Σ_b Σ_i ∂(Σ_b' ∂E/∂x[b', i]) / ∂x[b, i] by the loop of double-backward passes (the seed's
/// trace), differentiable in everything.
fn seed_trace(net: &dyn Module, x: &Tensor) -> Tensor {
    let e = net.forward(x);
    let g = grad(&[e.sum_all()], std::slice::from_ref(x), None, true).remove(0);
    (0..x.dim(1))
        .map(|i| {
            let gi = grad(&[g.select(1, i).sum_all()], std::slice::from_ref(x), None, true).remove(0);
            gi.select(1, i).sum_all()
        })
        .reduce(|a, b| a.add(&b))
        .expect("at least one feature")
}

#[test]
fn third_order_through_training_mode_batch_norm_1d() {
    // E = fc(tanh(BN1d(tanh(fc(x))))) with BatchNorm in training mode — the case PyTorch's CPU
    // batch-norm kernel cannot differentiate three times. The BatchNorm sits behind a
    // nonlinearity, so the batch-summed gradient is not identically zero (DESIGN §4) and the
    // trace's gradient in the weights is a real third-order quantity.
    let mut gen = Generator::new(8);
    let spec = Spec::f64();
    let fc1 = Linear::new(3, 4, true, &spec, &mut gen);
    let fc2 = Linear::new(4, 1, true, &spec, &mut gen);
    let x = Tensor::randn(&[5, 3], DType::F64, &Device::Cpu, &mut gen).requires_grad_(true);
    let bn_affine = [
        Tensor::uniform(&[4], 0.5, 1.5, DType::F64, &Device::Cpu, &mut gen).requires_grad_(true),
        Tensor::randn(&[4], DType::F64, &Device::Cpu, &mut gen).requires_grad_(true),
    ];
    let params = vec![
        fc1.weight.clone(),
        fc1.bias.clone().unwrap(),
        bn_affine[0].clone(),
        bn_affine[1].clone(),
        fc2.weight.clone(),
        fc2.bias.clone().unwrap(),
    ];
    let build = |p: &[Tensor]| {
        let mut bn = BatchNorm::new_1d(4, BatchNormConfig::default(), &spec);
        bn.weight = Some(p[2].clone());
        bn.bias = Some(p[3].clone());
        Sequential::new()
            .push(Linear {
                weight: p[0].clone(),
                bias: Some(p[1].clone()),
            })
            .push(Tanh)
            .push(bn)
            .push(Tanh)
            .push(Linear {
                weight: p[4].clone(),
                bias: Some(p[5].clone()),
            })
    };
    let trace = seed_trace(&build(&params), &x).item();
    assert!(trace.abs() > 1e-3, "trace {trace} should be non-trivial");
    gradcheck(|p: &[Tensor]| seed_trace(&build(p), &x), &params).unwrap_or_else(|e| panic!("third order: {e}"));
}

#[test]
fn third_order_through_training_mode_batch_norm_2d() {
    // BatchNorm2d runs as one fused op with a hand-written backward; that backward is
    // differentiated twice more here: gradcheck of u·∂(v·∂E/∂x)/∂x in x, weight and bias.
    let mut gen = Generator::new(9);
    let dev = Device::Cpu;
    let shape = [3, 2, 2, 2];
    let x = Tensor::randn(&shape, DType::F64, &dev, &mut gen).requires_grad_(true);
    let w = Tensor::uniform(&[2], 0.5, 1.5, DType::F64, &dev, &mut gen).requires_grad_(true);
    let b = Tensor::randn(&[2], DType::F64, &dev, &mut gen).requires_grad_(true);
    let coef = Tensor::randn(&shape, DType::F64, &dev, &mut gen);
    let (v, u) = (
        Tensor::randn(&shape, DType::F64, &dev, &mut gen),
        Tensor::randn(&shape, DType::F64, &dev, &mut gen),
    );
    let third = |p: &[Tensor]| {
        let mut bn = BatchNorm::new_2d(2, BatchNormConfig::default(), &Spec::f64());
        bn.weight = Some(p[1].clone());
        bn.bias = Some(p[2].clone());
        let energy = bn.forward(&p[0].tanh()).tanh().mul(&coef).sum(&[0, 1, 2, 3], false);
        let gx = grad(&[energy], &[p[0].clone()], None, true).remove(0);
        let hv = grad(&[gx.mul(&v).sum(&[0, 1, 2, 3], false)], &[p[0].clone()], None, true).remove(0);
        hv.mul(&u).sum(&[0, 1, 2, 3], false)
    };
    let value = third(&[x.clone(), w.clone(), b.clone()]).item();
    assert!(value.abs() > 1e-3, "u·H·v = {value} should be non-trivial");
    gradcheck(third, &[x, w, b]).unwrap_or_else(|e| panic!("third order through BatchNorm2d: {e}"));
}

/// `Sequential` runs a ReLU that precedes a max-pool after the pool (a quarter of the elements);
/// values, first and second derivatives must be those of the modules in the written order,
/// bit for bit, on data with negatives, ties, signed zeros and NaN.
#[test]
fn relu_before_max_pool_runs_after_it_with_identical_results() {
    let shape = [2, 3, 6, 7];
    let n: usize = shape.iter().product();
    let mut gen = Generator::new(5);
    let mut data = Tensor::randn(&[n], DType::F64, &Device::Cpu, &mut gen).to_vec::<f64>();
    for (i, v) in data.iter_mut().enumerate() {
        match i % 11 {
            0 => *v = 0.0,
            1 => *v = -0.0,
            2 => *v = -v.abs(),
            3 if i % 4 == 0 => *v = f64::NAN,
            4 => *v = 0.5, // ties with other 0.5s in some windows
            _ => {}
        }
    }
    let overlapping = Pool2dParams {
        kernel: [3, 3],
        stride: [1, 2],
        padding: [1, 1],
        dilation: [1, 1],
    };
    for params in [Pool2dParams::square(2), overlapping] {
        let net = Sequential::new().push(ReLU).push(MaxPool2d { params });
        let x = t(&data, &shape).requires_grad_(true);
        let fused = net.forward(&x);
        let written = MaxPool2d { params }.forward(&x.relu());
        let bits = |t: &Tensor| values(t).iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&fused), bits(&written), "{params:?}: values differ");
        // A prefix that ends at the ReLU does not pool.
        assert_eq!(bits(&net.forward_first(&x, 1)), bits(&x.relu()), "{params:?}: prefix");
        let g = Tensor::randn(fused.shape(), DType::F64, &Device::Cpu, &mut gen).requires_grad_(true);
        let first = |y: &Tensor| {
            grad(
                std::slice::from_ref(y),
                std::slice::from_ref(&x),
                Some(std::slice::from_ref(&g)),
                true,
            )
            .remove(0)
        };
        let (gf, gw) = (first(&fused), first(&written));
        assert_eq!(bits(&gf), bits(&gw), "{params:?}: gradients differ");
        // Second order: the gradient of <dx, v> with respect to the incoming gradient.
        let v = Tensor::randn(&shape, DType::F64, &Device::Cpu, &mut gen);
        let second = |gx: &Tensor| {
            grad(
                &[gx.mul(&v).sum(&[0, 1, 2, 3], false)],
                std::slice::from_ref(&g),
                None,
                false,
            )
            .remove(0)
        };
        assert_eq!(
            bits(&second(&gf)),
            bits(&second(&gw)),
            "{params:?}: second derivatives differ"
        );
    }
}
