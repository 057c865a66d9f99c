//! The second-order workloads shared by the criterion bench (`second_order.rs`) and the memory
//! harness (`penalty_memory.rs`): inputs are made once, on the device given, each call runs one
//! step from scratch. Inputs are drawn on the host, so every device gets the same values.

#![allow(dead_code)] // each bench target uses a different part

use learnloss::learnable::{
    energy_terms, Activation, LossNetwork, LossNetworkConfig, Penalties, Preset, TraceDefinition, TraceMethod,
};
use learnloss::loss::one_hot;
use learnloss::nn::{Module, Spec};
use learnloss::train::{Method, RunModels, TrainConfig};
use learnloss::{grad, DType, Device, Generator, Tensor};

/// The seed's batch size for the learnable method.
pub const BATCH: usize = 1024;
/// MNIST-like, Oxford-IIIT Pet, CIFAR-100.
pub const CLASS_COUNTS: [usize; 3] = [10, 37, 100];

/// The loss networks the benches time: the two presets, and the seed's network with its
/// training-mode BatchNorm on the second hidden layer only and Tanh — the coupled case whose
/// seed trace is not zero by construction (the seed preset's is: DESIGN §4).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Variant {
    Preset(Preset),
    Coupled,
}

impl Variant {
    pub const ALL: [Variant; 3] = [
        Variant::Preset(Preset::Seed),
        Variant::Preset(Preset::Meaningful),
        Variant::Coupled,
    ];

    pub fn name(self) -> String {
        match self {
            Variant::Preset(p) => p.to_string(),
            Variant::Coupled => "coupled-bn2-tanh".into(),
        }
    }

    pub fn loss_network(self, classes: usize) -> LossNetworkConfig {
        match self {
            Variant::Preset(p) => p.loss_network(classes),
            Variant::Coupled => LossNetworkConfig {
                bn_after: vec![1],
                activation: Activation::Tanh,
                ..LossNetworkConfig::seed(classes)
            },
        }
    }

    pub fn definition(self) -> TraceDefinition {
        match self {
            Variant::Preset(p) => p.trace_definition(),
            Variant::Coupled => TraceDefinition::Seed,
        }
    }

    /// The exact trace methods that apply (the forward Laplacian needs independent samples).
    pub fn methods(self) -> Vec<TraceMethod> {
        match self {
            Variant::Preset(Preset::Meaningful) => {
                vec![TraceMethod::Loop, TraceMethod::Batched, TraceMethod::ForwardLaplacian]
            }
            _ => vec![TraceMethod::Loop, TraceMethod::Batched],
        }
    }
}

/// A loss network of the variant and a batch of classifier-like probabilities with labels.
pub struct PenaltyBatch {
    pub definition: TraceDefinition,
    pub net: LossNetwork,
    /// `[B, C]` softmax probabilities clamped like the classifier's, a leaf requiring grad.
    pub p: Tensor,
    /// `[B, C]` one-hot labels in f32.
    pub y: Tensor,
}

impl PenaltyBatch {
    pub fn new(variant: Variant, classes: usize, batch: usize, dev: &Device) -> PenaltyBatch {
        let mut gen = Generator::new(classes as u64);
        let spec = Spec::new(DType::F32, dev.clone());
        let net = LossNetwork::new(variant.loss_network(classes), &spec, &mut gen);
        let logits = Tensor::randn(&[batch, classes], DType::F32, dev, &mut gen).mul_scalar(2.0);
        let p = logits
            .softmax(1)
            .clamp(Some(1e-7), Some(1.0 - 1e-7))
            .detach()
            .requires_grad_(true);
        let labels: Vec<i64> = (0..batch).map(|i| ((i * 7919) % classes) as i64).collect();
        let y = one_hot(&Tensor::from_vec(labels, &[batch], dev), classes).to_dtype(DType::F32);
        PenaltyBatch {
            definition: variant.definition(),
            net,
            p,
            y,
        }
    }

    /// The energy, its gradient and the trace, as graphs (what the penalties are built from).
    pub fn trace(&self, method: TraceMethod) -> Tensor {
        let terms = energy_terms(&self.net, &self.p, &self.y, self.definition, method)
            .expect("the bench only runs methods that apply");
        terms.trace
    }

    /// The penalties and their gradients in every loss-network parameter and in p.
    pub fn penalty_step(&self, method: TraceMethod) -> Vec<Tensor> {
        let terms = energy_terms(&self.net, &self.p, &self.y, self.definition, method)
            .expect("the bench only runs methods that apply");
        let total = Penalties::new(&terms).sum();
        let mut wrt = self.net.parameters();
        wrt.push(self.p.clone());
        grad(&[total], &wrt, None, false)
    }
}

/// The whole learnable-loss training step of the seed on 1×28×28, C = 10, batch 1024:
/// classifier forward, the objective (BCE + λ·penalties), backward into both networks, one Adam
/// step each.
pub struct LearnableStep {
    models: RunModels,
    images: Tensor,
    labels: Tensor,
}

/// Random images and labels of the trainer's shapes on `dev`.
fn image_batch(batch: usize, seed: u64, dev: &Device) -> (Tensor, Tensor) {
    let mut gen = Generator::new(seed);
    let images = Tensor::rand(&[batch, 1, 28, 28], DType::F32, dev, &mut gen);
    let labels: Vec<i64> = (0..batch).map(|i| (i % 10) as i64).collect();
    (images, Tensor::from_vec(labels, &[batch], dev))
}

/// The trainer's configuration on `dev` (its `--device` string: `cpu`, `wgpu`, `cuda:N`).
fn config_on(dev: &Device, config: TrainConfig) -> TrainConfig {
    TrainConfig {
        device: dev.to_string(),
        ..config
    }
}

impl LearnableStep {
    pub fn new(preset: Preset, method: TraceMethod, dev: &Device) -> LearnableStep {
        let config = config_on(
            dev,
            TrainConfig {
                preset,
                trace_method: method,
                ..TrainConfig::default()
            },
        );
        let models = RunModels::new(&config, Method::Learnable, 1, [1, 28, 28], 10, &[100; 10])
            .expect("the seed's configuration is valid");
        let (images, labels) = image_batch(BATCH, 5, dev);
        LearnableStep { models, images, labels }
    }

    pub fn run(&mut self) -> f64 {
        let loss = self
            .models
            .loss(&self.images, &self.labels, true)
            .expect("valid objective");
        let value = loss.total.item();
        self.models.step(&loss.total);
        value
    }
}

/// The seed's baseline CNN step: batch 128, cross-entropy, Adam (ε 1e-7).
pub struct BaselineStep {
    models: RunModels,
    images: Tensor,
    labels: Tensor,
}

impl BaselineStep {
    pub fn new(dev: &Device) -> BaselineStep {
        let models = RunModels::new(
            &config_on(dev, TrainConfig::default()),
            Method::Baseline,
            1,
            [1, 28, 28],
            10,
            &[100; 10],
        )
        .expect("the seed's configuration is valid");
        let (images, labels) = image_batch(128, 6, dev);
        BaselineStep { models, images, labels }
    }

    pub fn run(&mut self) -> f64 {
        let loss = self.models.loss(&self.images, &self.labels, true).expect("valid loss");
        let value = loss.total.item();
        self.models.step(&loss.total);
        value
    }
}
