//! The seed's classifiers: output shapes and ranges, parameter counts and state_dict names equal
//! to the same `nn.Sequential` in PyTorch (counts from PyTorch 2.15, see the snippet below).

use learnloss::models::{baseline_cnn, learnable_classifier, BaselineConfig, ClassifierConfig, PROBABILITY_FLOOR};
use learnloss::nn::{shared_generator, Module, Spec};
use learnloss::{DType, Device, Generator, Tensor};

// PyTorch: sum(p.numel() for p in nn.Sequential(<the same layers>).parameters())
const CLASSIFIER_PARAMS: [([usize; 3], usize, usize); 3] = [
    ([1, 28, 28], 10, 897_354),
    ([3, 32, 32], 100, 1_155_300),
    ([3, 128, 128], 37, 16_875_813),
];
const BASELINE_PARAMS: [([usize; 3], usize, usize, usize); 4] = [
    ([1, 28, 28], 10, 1, 220_234),
    ([1, 28, 28], 10, 0, 121_930),
    ([3, 32, 32], 100, 1, 288_100),
    ([3, 32, 32], 100, 0, 173_412),
];

fn batch(shape: [usize; 3], n: usize) -> Tensor {
    let [c, h, w] = shape;
    Tensor::rand(&[n, c, h, w], DType::F32, &Device::Cpu, &mut Generator::new(1))
}

#[test]
fn learnable_classifier_matches_pytorch_layout_and_outputs_clamped_probabilities() {
    for (input, classes, params) in CLASSIFIER_PARAMS {
        let mut net = learnable_classifier(
            &ClassifierConfig::new(input, classes),
            &Spec::default(),
            &mut Generator::new(2),
            shared_generator(3),
        );
        assert_eq!(net.num_parameters(), params, "{input:?}");
        assert_eq!(net.state_dict().len(), 25);
        if input[1] > 32 {
            continue; // the 128×128 forward is covered by the shape arithmetic above
        }
        net.eval();
        let p = net.forward(&batch(input, 3));
        assert_eq!(p.shape(), &[3, classes]);
        let v = p.to_f64_vec();
        let floor = PROBABILITY_FLOOR as f32 as f64;
        assert!(v.iter().all(|&x| (floor..=1.0 - floor).contains(&x)), "{v:?}");
        for row in v.chunks(classes) {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-4);
        }
    }
    let net = learnable_classifier(
        &ClassifierConfig::new([1, 28, 28], 10),
        &Spec::default(),
        &mut Generator::new(2),
        shared_generator(3),
    );
    let names: Vec<String> = net.state_dict().into_iter().map(|(n, _)| n).collect();
    let expected = [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
        "1.running_mean",
        "1.running_var",
        "1.num_batches_tracked",
        "4.weight",
        "4.bias",
        "5.weight",
        "5.bias",
        "5.running_mean",
        "5.running_var",
        "5.num_batches_tracked",
        "8.weight",
        "8.bias",
        "9.weight",
        "9.bias",
        "9.running_mean",
        "9.running_var",
        "9.num_batches_tracked",
        "12.weight",
        "12.bias",
        "15.weight",
        "15.bias",
    ];
    assert_eq!(names, expected);
}

#[test]
fn baseline_matches_pytorch_layout_and_outputs_logits() {
    for (input, classes, padding, params) in BASELINE_PARAMS {
        let config = BaselineConfig {
            padding,
            ..BaselineConfig::new(input, classes)
        };
        let net = baseline_cnn(&config, &Spec::default(), &mut Generator::new(4), shared_generator(5));
        assert_eq!(net.num_parameters(), params, "{input:?} padding {padding}");
        let y = net.forward(&batch(input, 2));
        assert_eq!(y.shape(), &[2, classes]);
    }
}

#[test]
fn too_small_inputs_are_rejected_with_the_shape() {
    let msg = std::panic::catch_unwind(|| {
        learnable_classifier(
            &ClassifierConfig::new([1, 3, 3], 10),
            &Spec::default(),
            &mut Generator::new(0),
            shared_generator(0),
        );
    })
    .expect_err("3×3 is too small");
    let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("[1, 3, 3]"), "{msg}");
}

/// The study's MLP (docs/loss-study.md): PyTorch's attribute names, 109,386 parameters on 1×28×28 with
/// 10 classes (784·128 + 128 + 128·64 + 64 + 64·10 + 10), any image shape, and logits equal to
/// the layers composed by hand.
#[test]
fn mlp_has_the_studys_names_size_and_arithmetic() {
    use learnloss::models::mlp;
    let net = mlp([1, 28, 28], 10, &Spec::f64(), &mut Generator::new(4));
    let names: Vec<(String, Vec<usize>)> = net
        .state_dict()
        .into_iter()
        .map(|(n, t)| (n, t.shape().to_vec()))
        .collect();
    let expected: Vec<(String, Vec<usize>)> = [
        ("fc1.weight", vec![128, 784]),
        ("fc1.bias", vec![128]),
        ("fc2.weight", vec![64, 128]),
        ("fc2.bias", vec![64]),
        ("fc3.weight", vec![10, 64]),
        ("fc3.bias", vec![10]),
    ]
    .into_iter()
    .map(|(n, s)| (n.to_string(), s))
    .collect();
    assert_eq!(names, expected);
    assert_eq!(net.num_parameters(), 109_386);

    let x = Tensor::randn(&[3, 1, 28, 28], DType::F64, &Device::Cpu, &mut Generator::new(5));
    let p: std::collections::HashMap<String, Tensor> = net.state_dict().into_iter().collect();
    let layer = |h: &Tensor, i: usize| {
        h.matmul(&p[&format!("fc{i}.weight")].mt())
            .add(&p[&format!("fc{i}.bias")])
    };
    let by_hand = layer(&layer(&layer(&x.reshape(&[3, 784]), 1).relu(), 2).relu(), 3);
    let out = net.forward(&x);
    assert_eq!(out.shape(), &[3, 10]);
    let (a, b) = (out.to_f64_vec(), by_hand.to_f64_vec());
    assert!(a.iter().zip(&b).all(|(u, v)| (u - v).abs() < 1e-12), "{a:?} vs {b:?}");

    let colour = mlp([3, 32, 32], 100, &Spec::default(), &mut Generator::new(6));
    assert_eq!(
        colour.num_parameters(),
        3072 * 128 + 128 + 128 * 64 + 64 + 64 * 100 + 100
    );
}
