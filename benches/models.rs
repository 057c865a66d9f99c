//! Whole-model costs: torchvision's ResNet-18 under the seed's multi-label head (DESIGN §9), f32,
//! batch 32, 3×224×224, K = 20 labels:
//! - `resnet18/train_step`: training mode (batch statistics, dropout 0.1), forward, sigmoid, BCE
//!   on multi-hot targets (mean over N×K), backward, one Adam step (lr 1e-4);
//! - `resnet18/inference`: eval mode, forward under no_grad.
//!
//! `benches/torch_models.py` times the same workloads in PyTorch; figures in RESULTS.md.
//! `LEARNLOSS_BENCH_DEVICE` picks the device as for the other benches (see `bench_device`).

mod bench_device;

use bench_device::bench_device;
use criterion::{criterion_group, criterion_main, Criterion};
use learnloss::loss::{binary_cross_entropy, Reduction};
use learnloss::models::{multilabel_resnet18, MultiLabelConfig};
use learnloss::nn::{shared_generator, Module, Sequential, Spec};
use learnloss::optim::{Adam, AdamConfig, Optimizer};
use learnloss::{DType, Device, Generator, Tensor};

const BATCH: usize = 32;
const SIDE: usize = 224;
const LABELS: usize = 20;

struct ResNetWorkload {
    net: Sequential,
    opt: Adam,
    images: Tensor,
    targets: Tensor,
}

impl ResNetWorkload {
    fn new(dev: &Device) -> ResNetWorkload {
        let mut gen = Generator::new(0);
        let spec = Spec::new(DType::F32, dev.clone());
        let net = multilabel_resnet18(
            &MultiLabelConfig::new([3, SIDE, SIDE], LABELS),
            &spec,
            &mut gen,
            shared_generator(1),
        );
        let opt = Adam::new(
            net.named_parameters(),
            AdamConfig {
                lr: 1e-4,
                ..Default::default()
            },
        )
        .expect("valid Adam settings");
        let images = Tensor::rand(&[BATCH, 3, SIDE, SIDE], DType::F32, dev, &mut gen);
        let targets = Tensor::rand(&[BATCH, LABELS], DType::F32, dev, &mut gen)
            .lt_scalar(0.2)
            .mask_to(DType::F32);
        ResNetWorkload {
            net,
            opt,
            images,
            targets,
        }
    }

    fn train_step(&mut self) -> f64 {
        self.net.train();
        let out = self.net.forward(&self.images);
        let loss = binary_cross_entropy(&out, &self.targets, None, Reduction::Mean);
        loss.backward();
        self.opt.step();
        self.opt.zero_grad();
        loss.item()
    }

    fn inference(&mut self) -> Tensor {
        self.net.eval();
        let _guard = learnloss::no_grad();
        self.net.forward(&self.images)
    }
}

fn resnet18(c: &mut Criterion) {
    learnloss::tune_cpu_process();
    let dev = bench_device();
    let Some(mut work) = dev.build("resnet18", || ResNetWorkload::new(&dev.device)) else {
        return;
    };
    let mut group = dev.group(c, "resnet18");
    group.sample_size(10);
    group.bench(format!("train_step/b{BATCH}_3x{SIDE}x{SIDE}"), || work.train_step());
    group.bench(format!("inference/b{BATCH}_3x{SIDE}x{SIDE}"), || work.inference());
    group.finish();
}

criterion_group!(benches, resnet18);
criterion_main!(benches);
