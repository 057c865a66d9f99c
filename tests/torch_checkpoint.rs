//! A learnloss checkpoint of the seed's learnable classifier, and one of the loss-comparison
//! study's MLP, loads into the same network built in PyTorch (`safetensors.torch.load_file` + `load_state_dict(strict=True)`) and gives the same
//! eval-mode outputs: writes the files to a scratch folder and runs
//! `python3 tests/torch_checkpoint.py DIR`, which falls back to a numpy check without PyTorch
//! and skips (with the reason) without python3 or its packages. The interpreter is `python3` or
//! `$LEARNLOSS_PYTHON`; with LEARNLOSS_REQUIRE_TORCH=1 a missing one or a missing PyTorch is a
//! failure.

use learnloss::checkpoint::{save_module, save_tensors};
use learnloss::loss::{nll_loss, Reduction};
use learnloss::models::{learnable_classifier, mlp, ClassifierConfig};
use learnloss::nn::{shared_generator, Module, Sequential, Spec};
use learnloss::optim::{Adam, AdamConfig, Optimizer};
use learnloss::{DType, Device, Generator, Tensor};
use std::collections::BTreeMap;
use std::process::Command;

const DEV: Device = Device::Cpu;

fn torch_required() -> bool {
    std::env::var("LEARNLOSS_REQUIRE_TORCH").as_deref() == Ok("1")
}

/// Trains `model` a few steps (so parameters, and any running statistics and
/// num_batches_tracked, move), saves it with a fixed input and its eval-mode output, and has
/// `tests/torch_checkpoint.py` load it into PyTorch's module of the same names. `log_probs`
/// turns the model's output into log-probabilities for the training loss.
fn check_in_pytorch(
    name: &str,
    mut model: Sequential,
    [c, h, w]: [usize; 3],
    classes: usize,
    log_probs: fn(&Tensor) -> Tensor,
    gen: &mut Generator,
) {
    let dir = std::env::temp_dir().join(format!("learnloss-torch-checkpoint-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    model.train();
    let mut opt = Adam::new(model.named_parameters(), AdamConfig::default()).unwrap();
    let target = Tensor::from_vec(vec![0i64, 1, 2, 1], &[4], &DEV);
    for _ in 0..3 {
        let x = Tensor::randn(&[4, c, h, w], DType::F64, &DEV, gen);
        opt.zero_grad();
        let out = log_probs(&model.forward(&x));
        nll_loss(&out, &target, None, -100, Reduction::Mean).backward();
        opt.step();
    }
    model.eval();
    let input = Tensor::randn(&[5, c, h, w], DType::F64, &DEV, gen);
    let output = {
        let _g = learnloss::no_grad();
        model.forward(&input)
    };

    save_module(dir.join("model.safetensors"), &model).unwrap();
    let mut meta: BTreeMap<String, String> = [("channels", c), ("height", h), ("width", w), ("classes", classes)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    meta.insert("model".into(), name.into());
    let io = [("input".to_string(), input), ("output".to_string(), output)];
    save_tensors(dir.join("io.safetensors"), &io, &meta).unwrap();

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/torch_checkpoint.py");
    let python = std::env::var("LEARNLOSS_PYTHON").unwrap_or_else(|_| "python3".into());
    let run = Command::new(&python).arg(script).arg(&dir).output();
    let out = match run {
        Ok(out) => out,
        Err(e) => {
            assert!(
                !torch_required(),
                "LEARNLOSS_REQUIRE_TORCH=1 but {python} cannot run: {e}"
            );
            println!("skipped: {python} cannot run ({e})");
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(out.status.success(), "torch_checkpoint.py failed:\n{stdout}\n{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn classifier_checkpoint_loads_in_pytorch_with_the_same_outputs() {
    let (shape, classes) = ([2, 8, 8], 3);
    let mut gen = Generator::new(3);
    let model = learnable_classifier(
        &ClassifierConfig::new(shape, classes),
        &Spec::f64(),
        &mut gen,
        shared_generator(4),
    );
    check_in_pytorch("learnable-cnn", model, shape, classes, Tensor::log, &mut gen);
}

/// The study's MLP, on an image shape other than 28×28 so that fc1's width follows the input.
#[test]
fn mlp_checkpoint_loads_in_pytorch_with_the_same_outputs() {
    let (shape, classes) = ([3, 5, 4], 4);
    let mut gen = Generator::new(5);
    let model = mlp(shape, classes, &Spec::f64(), &mut gen);
    check_in_pytorch("mlp", model, shape, classes, |logits| logits.log_softmax(1), &mut gen);
}
