//! The networks and optimisers of one run of one method, and the method's loss on a batch.

use super::{Method, ModelKind, Normalize, Task, TrainConfig};
use crate::learnable::{learnable_objective, LossNetwork, ObjectiveConfig};
use crate::loss::{
    binary_cross_entropy, cross_entropy, cross_entropy_plus_l1, kl_div, multi_margin_loss, nll_loss, one_hot,
    weighted_cross_entropy_over_batch, CrossEntropyOptions, KlReduction, Reduction,
};
use crate::models::{load_torchvision_resnet18, PROBABILITY_FLOOR};
use crate::nn::{shared_generator, Module, Sequential, SharedGenerator, Spec};
use crate::optim::{Adam, AdamConfig, Optimizer};
use crate::{DType, Device, Generator, Result, Tensor};

/// The loss terms of one batch; `total` is what is minimised.
pub struct BatchLoss {
    pub total: Tensor,
    /// The task part: BCE for the learnable method, `total` for the others.
    pub task: Tensor,
    /// `(nonneg, convex, lips)` for the learnable method.
    pub penalties: Option<(Tensor, Tensor, Tensor)>,
    /// Scores whose argmax is the prediction, `[B, C]`; for the multilabel task the sigmoid
    /// outputs, `[B, K]`.
    pub scores: Tensor,
}

/// One run's state: the classifier, the loss network (learnable method only), their Adam
/// optimisers, and the generators that decide dropout masks and batch order.
pub struct RunModels {
    pub method: Method,
    pub task: Task,
    pub model: ModelKind,
    pub classifier: Sequential,
    /// How many of the classifier's children produce its logits.
    logit_layers: usize,
    pub loss_network: Option<LossNetwork>,
    pub classifier_opt: Adam,
    pub loss_network_opt: Option<Adam>,
    pub dropout: SharedGenerator,
    pub shuffle: Generator,
    /// Where the networks live; batches are moved here.
    pub device: Device,
    /// The float type of the networks and of the batches fed to them.
    pub dtype: DType,
    objective: ObjectiveConfig,
    l1_alpha: f64,
    /// Class weights of weighted-ce (`--class-weights`).
    class_weights: Option<Tensor>,
    /// `--normalize`, applied to every batch before the classifier.
    normalize: Option<Normalize>,
    classes: usize,
}

/// Distinct, reproducible seeds for run `run`'s generators (`stream` 0: initial weights, 1:
/// dropout, 2: batch order). They do not depend on the method: in a given run every method that
/// trains the same model starts from the same weights and sees the batches in the same order,
/// so the methods differ only in their loss, and their runs can be compared pairwise.
pub fn run_seed(base: u64, run: usize, stream: u64) -> u64 {
    base.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add((run as u64) << 8)
        .wrapping_add(stream)
}

impl RunModels {
    pub fn new(
        config: &TrainConfig,
        method: Method,
        run: usize,
        input: [usize; 3],
        classes: usize,
        class_counts: &[usize],
    ) -> Result<RunModels> {
        let device = config.device()?;
        let spec = Spec::new(config.dtype, device.clone());
        let mut init = Generator::new(run_seed(config.seed, run, 0));
        let dropout = shared_generator(run_seed(config.seed, run, 1));
        let shuffle = Generator::new(run_seed(config.seed, run, 2));
        let model = config.model_for(method);
        let built = model.build(input, classes, &spec, &mut init, dropout.clone());
        let classifier = built.net;
        if let Some(path) = &config.pretrained {
            load_torchvision_resnet18(path, &classifier, "convolutions")?;
        }
        let adam = |lr: f64, eps: f64| AdamConfig {
            lr,
            eps,
            ..AdamConfig::default()
        };
        let classifier_opt = Adam::new(
            classifier.named_parameters(),
            adam(config.lr_for(method), model.adam_eps()),
        )?;
        let (loss_network, loss_network_opt) = if method == Method::Learnable {
            let net = LossNetwork::new(config.loss_network(classes), &spec, &mut init);
            let opt = Adam::new(net.named_parameters(), adam(config.loss_network_lr(), 1e-8))?;
            (Some(net), Some(opt))
        } else {
            (None, None)
        };
        let class_weights = match method {
            Method::WeightedCe => {
                let w = config.class_weights.resolve(class_counts)?;
                Some(Tensor::from_f64s(&w, &[classes], spec.dtype, &spec.device))
            }
            _ => None,
        };
        Ok(RunModels {
            method,
            task: config.task,
            model,
            classifier,
            logit_layers: built.logit_layers,
            loss_network,
            classifier_opt,
            loss_network_opt,
            dropout,
            shuffle,
            device,
            dtype: config.dtype,
            objective: config.objective(),
            l1_alpha: config.l1_alpha,
            class_weights,
            normalize: config.normalize,
            classes,
        })
    }

    /// Switches every network between training and evaluation mode.
    pub fn set_training(&mut self, training: bool) {
        self.classifier.set_training(training);
        if let Some(net) = &mut self.loss_network {
            net.set_training(training);
        }
    }

    /// The classifier's output the method's loss takes: its logits, or for learnable and bce
    /// the probabilities — softmax clamped to `[1e-7, 1 - 1e-7]` (the seed's learnable
    /// classifier, whose last two layers are exactly these) for single-label data, a sigmoid per
    /// label for multi-label data.
    fn scores(&self, images: &Tensor) -> Tensor {
        let logits = match &self.normalize {
            Some(n) => self.classifier.forward_first(&n.apply(images), self.logit_layers),
            None => self.classifier.forward_first(images, self.logit_layers),
        };
        match (self.method.on_probabilities(), self.task) {
            (false, _) => logits,
            (true, Task::Multiclass) => logits
                .softmax(1)
                .clamp(Some(PROBABILITY_FLOOR), Some(1.0 - PROBABILITY_FLOOR)),
            (true, Task::Multilabel) => logits.sigmoid(),
        }
    }

    /// The method's loss on a batch; `labels` are class indices, or multi-hot rows for the
    /// multilabel task. With `with_penalties` false the learnable method reports only its task
    /// term (evaluation: the penalties need gradients in p and belong to training).
    pub fn loss(&self, images: &Tensor, labels: &Tensor, with_penalties: bool) -> Result<BatchLoss> {
        let scores = self.scores(images);
        // The loss network's y and BCE's target: one-hot rows of the class, or the multi-hot rows.
        let onehot = || match self.task {
            Task::Multiclass => one_hot(labels, self.classes).to_dtype(scores.dtype()),
            Task::Multilabel => labels.clone(),
        };
        let ce = || cross_entropy(&scores, labels, &CrossEntropyOptions::default());
        let plain = |task: Tensor| BatchLoss {
            total: task.clone(),
            task,
            penalties: None,
            scores: scores.clone(),
        };
        Ok(match self.method {
            Method::Learnable if with_penalties => {
                let net = self
                    .loss_network
                    .as_ref()
                    .expect("the learnable method has a loss network");
                let terms = learnable_objective(net, &scores, &onehot(), &self.objective)?;
                BatchLoss {
                    total: terms.total,
                    task: terms.task,
                    penalties: Some((terms.nonneg, terms.convex, terms.lips)),
                    scores: scores.clone(),
                }
            }
            Method::Learnable | Method::Bce => plain(binary_cross_entropy(&scores, &onehot(), None, Reduction::Mean)),
            Method::Baseline | Method::Ce => plain(ce()),
            Method::WeightedCe => plain(weighted_cross_entropy_over_batch(
                &scores,
                labels,
                self.class_weights.as_ref().expect("weighted-ce has class weights"),
            )),
            Method::CeL1 => plain(cross_entropy_plus_l1(
                &scores,
                labels,
                &self.classifier.parameters(),
                self.l1_alpha,
            )),
            Method::Nll => plain(nll_loss(&scores.log_softmax(1), labels, None, -100, Reduction::Mean)),
            Method::Hinge => plain(multi_margin_loss(&scores, labels, 1, 1.0, None, Reduction::Mean)),
            Method::Kl => plain(kl_div(&scores.log_softmax(1), &onehot(), KlReduction::BatchMean, false)),
        })
    }

    /// One optimiser step on every network from the gradients of `total`, then clears them
    /// (so no gradient is ever left over for the next step). Returns the gradients' global L2
    /// norm over both networks (as `torch.nn.utils.clip_grad_norm_` computes it); when a
    /// gradient holds NaN or ±inf no parameter is changed and the norm is NaN or inf.
    pub fn step(&mut self, total: &Tensor) -> f64 {
        total.backward();
        let norm = self.gradient_norm();
        if norm.is_finite() {
            self.classifier_opt.step();
            if let Some(opt) = &mut self.loss_network_opt {
                opt.step();
            }
        }
        self.classifier_opt.zero_grad();
        if let Some(opt) = &self.loss_network_opt {
            opt.zero_grad();
        }
        norm
    }

    /// The global L2 norm of the gradients (NaN or inf when one holds NaN or ±inf), summed in
    /// the parameters' dtype as PyTorch's `clip_grad_norm_` does; one value read back.
    fn gradient_norm(&self) -> f64 {
        let mut params = self.classifier.parameters();
        if let Some(net) = &self.loss_network {
            params.extend(net.parameters());
        }
        let squares = params
            .iter()
            .filter_map(Tensor::grad)
            .map(|g| g.square().sum_all())
            .reduce(|a, b| a.add(&b));
        squares.map_or(0.0, |s| s.item().sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(models: &RunModels) -> Vec<Vec<f64>> {
        models.classifier.parameters().iter().map(Tensor::to_f64_vec).collect()
    }

    /// A NaN gradient behind a finite loss (√x at 0: the value 0, the derivative inf·0) takes
    /// no step and says so; a finite one steps and returns its norm.
    #[test]
    fn a_non_finite_gradient_changes_no_parameter() {
        let config = TrainConfig {
            model: Some(ModelKind::Mlp),
            ..TrainConfig::default()
        };
        let mut models = RunModels::new(&config, Method::Ce, 1, [1, 4, 4], 3, &[1, 1, 1]).unwrap();
        let before = values(&models);
        let w = models.classifier.parameters()[0].clone();
        let total = w.mul_scalar(0.0).sqrt().sum_all();
        assert_eq!(total.item(), 0.0);
        assert!(models.step(&total).is_nan());
        assert_eq!(values(&models), before);
        assert!(
            models.classifier.parameters().iter().all(|p| p.grad().is_none()),
            "gradients cleared"
        );

        let total = w.sum_all();
        let norm = models.step(&total);
        let expected = (w.numel() as f64).sqrt();
        assert!((norm - expected).abs() < 1e-9 * expected, "{norm} vs {expected}");
        assert_ne!(values(&models), before);
    }
}
