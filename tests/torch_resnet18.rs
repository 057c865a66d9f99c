//! The full-width multi-label ResNet-18 against torchvision's: writes the classifier (float64,
//! after a training-mode pass, so running statistics have moved) and its eval-mode outputs to a
//! scratch folder and runs `tests/torch_resnet18.py DIR`, which loads it into the seed's
//! `NeuralNetwork` around `torchvision.models.resnet18()` strictly and compares outputs to
//! 1e-10. Without PyTorch and torchvision the script skips with its reason (the arithmetic is
//! also checked without them, on a narrow ResNet-18, by tests/resnet18.rs). The interpreter is
//! `python3` or `$LEARNLOSS_PYTHON`; with LEARNLOSS_REQUIRE_TORCH=1 a missing one fails.

use learnloss::checkpoint::{save_module, save_tensors};
use learnloss::models::{multilabel_resnet18, MultiLabelConfig};
use learnloss::nn::{shared_generator, Module, Spec};
use learnloss::{DType, Device, Generator, Tensor};
use std::collections::BTreeMap;
use std::process::Command;

#[test]
fn full_resnet18_checkpoint_loads_in_torchvision_with_the_same_outputs() {
    let dir = std::env::temp_dir().join(format!("learnloss-torch-resnet18-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    let labels = 6;
    let mut gen = Generator::new(11);
    let mut model = multilabel_resnet18(
        &MultiLabelConfig::new([3, 64, 64], labels),
        &Spec::f64(),
        &mut gen,
        shared_generator(12),
    );
    {
        let _guard = learnloss::no_grad();
        model.train();
        model.forward(&Tensor::randn(&[4, 3, 64, 64], DType::F64, &Device::Cpu, &mut gen));
    }
    model.eval();
    let input = Tensor::randn(&[2, 3, 64, 64], DType::F64, &Device::Cpu, &mut gen);
    let output = {
        let _guard = learnloss::no_grad();
        model.forward(&input)
    };
    save_module(dir.join("model.safetensors"), &model).unwrap();
    let meta = BTreeMap::from([("labels".to_string(), labels.to_string())]);
    let io = [("input".to_string(), input), ("output".to_string(), output)];
    save_tensors(dir.join("io.safetensors"), &io, &meta).unwrap();

    let python = std::env::var("LEARNLOSS_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/torch_resnet18.py");
    let out = match Command::new(&python).arg(script).arg(&dir).output() {
        Ok(out) => out,
        Err(e) => {
            assert!(
                std::env::var("LEARNLOSS_REQUIRE_TORCH").as_deref() != Ok("1"),
                "LEARNLOSS_REQUIRE_TORCH=1 but {python} cannot run: {e}"
            );
            println!("skipped: {python} cannot run ({e})");
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(out.status.success(), "torch_resnet18.py failed:\n{stdout}\n{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
