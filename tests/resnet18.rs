//! torchvision's ResNet-18 and the seed's multi-label head on it (docs/multilabel.md): state-dict names
//! and shapes equal to torchvision's list, outputs, gradients and running statistics equal to
//! PyTorch's on weights torchvision wrote (fixtures from `tests/fixtures/resnet18/make_fixtures.py`:
//! a 4-channel-wide ResNet-18 built from torchvision's own BasicBlock, so the fixture stays under
//! 1 MB), and the errors of loading a wrong file. `tests/torch_resnet18.py` checks the full-width
//! model against PyTorch where PyTorch is installed (tests/torch_resnet18.rs).

use learnloss::checkpoint::{load_tensors, save_tensors};
use learnloss::loss::{binary_cross_entropy, Reduction};
use learnloss::models::{
    load_torchvision_resnet18, multilabel_resnet18, resnet18_backbone, torchvision_to_backbone_name, MultiLabelConfig,
};
use learnloss::nn::{shared_generator, Module, Sequential, Spec};
use learnloss::{DType, Device, Generator, Tensor};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

const WIDTH: usize = 4;
const LABELS: usize = 5;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/resnet18")
        .join(name)
}

fn io() -> HashMap<String, Tensor> {
    load_tensors(fixture("narrow_io.safetensors"))
        .unwrap()
        .0
        .into_iter()
        .collect()
}

/// `(name, shape, dtype)` of torchvision's `resnet18().state_dict()`.
fn torchvision_list() -> Vec<(String, Vec<usize>, String)> {
    let text = std::fs::read_to_string(fixture("torchvision_resnet18.txt")).unwrap();
    text.lines()
        .map(|line| {
            let (name, rest) = line.split_once(' ').unwrap();
            let (shape, dtype) = rest.rsplit_once(' ').unwrap();
            let dims = shape.trim_matches(['[', ']']);
            let shape = dims
                .split(", ")
                .filter(|d| !d.is_empty())
                .map(|d| d.parse().unwrap())
                .collect();
            (name.to_string(), shape, dtype.to_string())
        })
        .collect()
}

fn narrow_model(spec: &Spec, dropout: f64) -> Sequential {
    let mut config = MultiLabelConfig::new([3, 36, 44], LABELS);
    config.width = WIDTH;
    config.dropout = dropout;
    let net = multilabel_resnet18(&config, spec, &mut Generator::new(5), shared_generator(6));
    load_torchvision_resnet18(fixture("narrow_torchvision.safetensors"), &net, "convolutions").unwrap();
    let (head, _) = load_tensors(fixture("narrow_head.safetensors")).unwrap();
    let ours: HashMap<String, Tensor> = net.state_dict().into_iter().collect();
    for (name, value) in head {
        ours[&name].assign(&value.to_dtype(spec.dtype));
    }
    net
}

fn assert_close(what: &str, ours: &Tensor, theirs: &Tensor, abs: f64, rel: f64) {
    assert_eq!(ours.shape(), theirs.shape(), "{what}: shapes");
    let (a, b) = (ours.to_f64_vec(), theirs.to_f64_vec());
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert!(
            (x - y).abs() <= abs + rel * y.abs(),
            "{what}[{i}]: ours {x}, PyTorch {y} (|diff| {:e})",
            (x - y).abs()
        );
    }
}

#[test]
fn backbone_names_shapes_and_size_are_torchvisions() {
    let backbone = resnet18_backbone(3, &Spec::default(), &mut Generator::new(0));
    assert_eq!(backbone.num_parameters(), 11_176_512);
    let ours: Vec<(String, Vec<usize>, String)> = backbone
        .state_dict()
        .into_iter()
        .map(|(n, t)| {
            let dtype = if t.dtype() == DType::I64 { "int64" } else { "float32" };
            (n, t.shape().to_vec(), dtype.to_string())
        })
        .collect();
    let theirs: Vec<(String, Vec<usize>, String)> = torchvision_list()
        .into_iter()
        .filter_map(|(n, s, d)| torchvision_to_backbone_name(&n).unwrap().map(|ours| (ours, s, d)))
        .collect();
    assert_eq!(ours.len(), 120, "122 torchvision tensors less fc.weight and fc.bias");
    assert_eq!(ours, theirs);
}

#[test]
fn multilabel_head_has_the_seeds_names_and_any_input_shape() {
    let mut config = MultiLabelConfig::new([1, 32, 32], 7);
    config.width = WIDTH;
    let mut net = multilabel_resnet18(&config, &Spec::default(), &mut Generator::new(0), shared_generator(1));
    let names: Vec<String> = net.state_dict().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names[0], "convolutions.0.weight");
    assert!(names.contains(&"convolutions.4.0.conv1.weight".to_string()));
    assert!(names.contains(&"convolutions.5.0.downsample.1.running_var".to_string()));
    assert_eq!(names[names.len() - 2..], ["dense.weight", "dense.bias"]);
    net.eval();
    for [c, h, w] in [[1, 32, 32], [1, 33, 57]] {
        let x = Tensor::rand(&[2, c, h, w], DType::F32, &Device::Cpu, &mut Generator::new(2));
        let p = net.forward(&x);
        assert_eq!(p.shape(), &[2, 7]);
        assert!(p.to_f64_vec().iter().all(|v| (0.0..=1.0).contains(v)));
    }
    let full = multilabel_resnet18(
        &MultiLabelConfig::new([3, 224, 224], 20),
        &Spec::default(),
        &mut Generator::new(0),
        shared_generator(1),
    );
    assert_eq!(full.num_parameters(), 11_176_512 + 512 * 20 + 20);
}

#[test]
fn eval_outputs_equal_pytorchs_in_f64_and_f32() {
    let io = io();
    let mut net = narrow_model(&Spec::f64(), 0.1);
    net.eval();
    let out = {
        let _guard = learnloss::no_grad();
        net.forward(&io["input"])
    };
    assert_close("eval output f64", &out, &io["eval_output"], 1e-10, 0.0);

    let mut net = narrow_model(&Spec::default(), 0.1);
    net.eval();
    let out = {
        let _guard = learnloss::no_grad();
        net.forward(&io["input"].to_dtype(DType::F32))
    };
    assert_close("eval output f32", &out, &io["eval_output_f32"], 1e-6, 1e-4);
}

#[test]
fn training_mode_outputs_gradients_and_running_statistics_equal_pytorchs() {
    let io = io();
    // Dropout p = 0 as in the fixture, so the pass is deterministic; BatchNorm uses batch
    // statistics and updates its running ones.
    let net = narrow_model(&Spec::f64(), 0.0);
    let x = io["input"].detach().requires_grad_(true);
    let out = net.forward(&x);
    assert_close("train output", &out, &io["train_output"], 1e-10, 0.0);
    binary_cross_entropy(&out, &io["targets"], None, Reduction::Mean).backward();
    let state: HashMap<String, Tensor> = net.state_dict().into_iter().collect();
    assert_close("d/d input", &x.grad().unwrap(), &io["grad_input"], 1e-10, 0.0);
    for (ours, theirs) in [
        ("convolutions.0.weight", "grad_conv1_weight"),
        ("convolutions.5.0.downsample.0.weight", "grad_downsample_weight"),
        ("dense.weight", "grad_dense_weight"),
    ] {
        assert_close(ours, &state[ours].grad().unwrap(), &io[theirs], 1e-10, 0.0);
    }
    assert_close(
        "bn1 running mean",
        &state["convolutions.1.running_mean"],
        &io["train_running_mean_bn1"],
        1e-12,
        0.0,
    );
    assert_close(
        "layer4.1.bn2 running var",
        &state["convolutions.7.1.bn2.running_var"],
        &io["train_running_var_layer4_1_bn2"],
        1e-12,
        0.0,
    );
}

/// The narrow torchvision file with `edit` applied, written to a scratch file.
fn edited_file(tag: &str, edit: impl FnOnce(&mut Vec<(String, Tensor)>)) -> PathBuf {
    let (mut tensors, _) = load_tensors(fixture("narrow_torchvision.safetensors")).unwrap();
    edit(&mut tensors);
    let path = std::env::temp_dir().join(format!("learnloss-resnet18-{tag}-{}.safetensors", std::process::id()));
    save_tensors(&path, &tensors, &BTreeMap::new()).unwrap();
    path
}

fn load_error(path: &Path, in_channels: usize) -> String {
    let mut config = MultiLabelConfig::new([in_channels, 32, 32], LABELS);
    config.width = WIDTH;
    let net = multilabel_resnet18(&config, &Spec::f64(), &mut Generator::new(5), shared_generator(6));
    let values = || -> Vec<Vec<f64>> { net.state_dict().iter().map(|(_, t)| t.to_f64_vec()).collect() };
    let before = values();
    let err = load_torchvision_resnet18(path, &net, "convolutions")
        .unwrap_err()
        .to_string();
    assert!(values() == before, "a failed load leaves the model unchanged");
    err
}

#[test]
fn loading_names_the_wrong_tensor() {
    let grey = load_error(&fixture("narrow_torchvision.safetensors"), 1);
    assert!(
        grey.contains("conv1.weight has shape [4, 3, 7, 7]") && grey.contains("[4, 1, 7, 7]"),
        "{grey}"
    );
    assert!(grey.contains("narrow_torchvision.safetensors"), "{grey}");

    let missing = edited_file("missing", |t| t.retain(|(n, _)| n != "layer3.1.bn2.running_var"));
    let err = load_error(&missing, 3);
    assert!(err.contains("layer3.1.bn2.running_var is missing"), "{err}");

    let extra = edited_file("extra", |t| {
        let w = t[0].1.clone();
        t.push(("layer5.0.conv1.weight".into(), w))
    });
    let err = load_error(&extra, 3);
    assert!(err.contains("unexpected entry layer5.0.conv1.weight"), "{err}");

    let renamed = edited_file("renamed", |t| {
        let i = t.iter().position(|(n, _)| n == "layer2.0.downsample.0.weight").unwrap();
        t[i].0 = "layer2.0.downsample.2.weight".into();
    });
    let err = load_error(&renamed, 3);
    assert!(err.contains("unexpected entry layer2.0.downsample.2.weight"), "{err}");
    for p in [missing, extra, renamed] {
        let _ = std::fs::remove_file(p);
    }
}
