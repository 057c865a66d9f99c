//! A learnloss checkpoint of the seed's learnable classifier loads into the same network built in
//! PyTorch (`safetensors.torch.load_file` + `load_state_dict(strict=True)`) and gives the same
//! eval-mode outputs: writes the files to a scratch folder and runs
//! `python3 tests/torch_checkpoint.py DIR`, which falls back to a numpy check without PyTorch
//! and skips (with the reason) without python3 or its packages. With LEARNLOSS_REQUIRE_TORCH=1 a
//! missing python3 or PyTorch is a failure.

use learnloss::checkpoint::{save_module, save_tensors};
use learnloss::loss::{cross_entropy, CrossEntropyOptions};
use learnloss::models::{learnable_classifier, ClassifierConfig};
use learnloss::nn::{shared_generator, Module, Spec};
use learnloss::optim::{Adam, AdamConfig, Optimizer};
use learnloss::{DType, Device, Generator, Tensor};
use std::collections::BTreeMap;
use std::process::Command;

const DEV: Device = Device::Cpu;

fn torch_required() -> bool {
    std::env::var("LEARNLOSS_REQUIRE_TORCH").as_deref() == Ok("1")
}

#[test]
fn classifier_checkpoint_loads_in_pytorch_with_the_same_outputs() {
    let dir = std::env::temp_dir().join(format!("learnloss-torch-checkpoint-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    let (c, h, w, classes) = (2, 8, 8, 3);
    let mut gen = Generator::new(3);
    let config = ClassifierConfig::new([c, h, w], classes);
    let mut model = learnable_classifier(&config, &Spec::f64(), &mut gen, shared_generator(4));
    // A few training steps so parameters, running statistics and num_batches_tracked all move.
    model.train();
    let mut opt = Adam::new(model.named_parameters(), AdamConfig::default()).unwrap();
    let target = Tensor::from_vec(vec![0i64, 1, 2, 1], &[4], &DEV);
    for _ in 0..3 {
        let x = Tensor::randn(&[4, c, h, w], DType::F64, &DEV, &mut gen);
        opt.zero_grad();
        let probs = model.forward(&x);
        cross_entropy(&probs.log(), &target, &CrossEntropyOptions::default()).backward();
        opt.step();
    }
    model.eval();
    let input = Tensor::randn(&[5, c, h, w], DType::F64, &DEV, &mut gen);
    let output = {
        let _g = learnloss::no_grad();
        model.forward(&input)
    };

    save_module(dir.join("model.safetensors"), &model).unwrap();
    let meta: BTreeMap<String, String> = [("channels", c), ("height", h), ("width", w), ("classes", classes)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let io = [("input".to_string(), input), ("output".to_string(), output)];
    save_tensors(dir.join("io.safetensors"), &io, &meta).unwrap();

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/torch_checkpoint.py");
    let run = Command::new("python3").arg(script).arg(&dir).output();
    let out = match run {
        Ok(out) => out,
        Err(e) => {
            assert!(
                !torch_required(),
                "LEARNLOSS_REQUIRE_TORCH=1 but python3 cannot run: {e}"
            );
            println!("skipped: python3 cannot run ({e})");
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(out.status.success(), "torch_checkpoint.py failed:\n{stdout}\n{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
