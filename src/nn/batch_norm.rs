//! `nn.BatchNorm1d` and `nn.BatchNorm2d`, composed from tensor ops so they differentiate to any
//! order in both modes (PyTorch's own CPU batch-norm kernel refuses a third derivative, which the
//! learnable loss's penalties need).

use super::functional::{self, RunningStats};
use super::repr::{py_bool, py_float};
use super::{join_name, Module, Slot, Spec};
use crate::{DType, Tensor};

/// The options of a batch norm besides its feature count (PyTorch's defaults via `Default`).
#[derive(Clone, Debug, PartialEq)]
pub struct BatchNormConfig {
    pub eps: f64,
    /// Weight of each new batch in the running statistics; `None` is PyTorch's cumulative
    /// average (`momentum=None`).
    pub momentum: Option<f64>,
    pub affine: bool,
    pub track_running_stats: bool,
}

impl Default for BatchNormConfig {
    fn default() -> Self {
        BatchNormConfig {
            eps: 1e-5,
            momentum: Some(0.1),
            affine: true,
            track_running_stats: true,
        }
    }
}

/// Batch normalisation over every dim but the channel dim 1. Training mode uses the batch mean
/// and biased variance and updates `running_mean` / `running_var` (unbiased) and
/// `num_batches_tracked`; eval mode normalises with the running statistics.
pub struct BatchNorm {
    pub weight: Option<Tensor>,
    pub bias: Option<Tensor>,
    pub running_mean: Option<Tensor>,
    pub running_var: Option<Tensor>,
    /// An `I64` scalar, as PyTorch's buffer of the same name.
    pub num_batches_tracked: Option<Tensor>,
    pub config: BatchNormConfig,
    pub training: bool,
    /// `1` for BatchNorm1d, `2` for BatchNorm2d: decides the accepted input ranks and the name.
    spatial_dims: usize,
}

impl BatchNorm {
    fn new(num_features: usize, spatial_dims: usize, config: BatchNormConfig, spec: &Spec) -> BatchNorm {
        let param = |v: f64| Tensor::full(&[num_features], v, spec.dtype, &spec.device).requires_grad_(true);
        let buffer = |v: f64| Tensor::full(&[num_features], v, spec.dtype, &spec.device);
        let track = config.track_running_stats;
        BatchNorm {
            weight: config.affine.then(|| param(1.0)),
            bias: config.affine.then(|| param(0.0)),
            running_mean: track.then(|| buffer(0.0)),
            running_var: track.then(|| buffer(1.0)),
            num_batches_tracked: track.then(|| Tensor::zeros(&[], DType::I64, &spec.device)),
            config,
            training: true,
            spatial_dims,
        }
    }

    /// `nn.BatchNorm1d(num_features)`: inputs `[N, C]` or `[N, C, L]`.
    pub fn new_1d(num_features: usize, config: BatchNormConfig, spec: &Spec) -> BatchNorm {
        BatchNorm::new(num_features, 1, config, spec)
    }

    /// `nn.BatchNorm2d(num_features)`: inputs `[N, C, H, W]`.
    pub fn new_2d(num_features: usize, config: BatchNormConfig, spec: &Spec) -> BatchNorm {
        BatchNorm::new(num_features, 2, config, spec)
    }

    pub fn num_features(&self) -> usize {
        self.running_mean
            .as_ref()
            .or(self.weight.as_ref())
            .map(|t| t.numel())
            .unwrap_or(0)
    }

    fn check_input(&self, input: &Tensor) {
        let r = input.rank();
        let ok = match self.spatial_dims {
            1 => r == 2 || r == 3,
            _ => r == 4,
        };
        let expected = if self.spatial_dims == 1 { "2D or 3D" } else { "4D" };
        assert!(
            ok,
            "BatchNorm{}d: expected {expected} input (got {r}D input)",
            self.spatial_dims
        );
        let n = self.num_features();
        assert!(
            n == 0 || input.dim(1) == n,
            "BatchNorm{}d: input {:?} has {} channels, expected {n}",
            self.spatial_dims,
            input.shape(),
            input.dim(1)
        );
    }

    /// Counts the batch and returns the weight the running statistics give it.
    fn count_batch(&self) -> f64 {
        let Some(count) = &self.num_batches_tracked else {
            return 0.0;
        };
        // Integer tensors have no arithmetic here; the counter is rewritten from the host.
        let n = count.item() as i64 + 1;
        count.assign(&Tensor::from_vec(vec![n], &[], count.device()));
        match self.config.momentum {
            Some(m) => m,
            None => 1.0 / n as f64,
        }
    }
}

impl Module for BatchNorm {
    fn forward(&self, input: &Tensor) -> Tensor {
        self.check_input(input);
        let use_batch_stats = self.training || self.running_mean.is_none();
        let running = match (&self.running_mean, &self.running_var) {
            (Some(mean), Some(var)) => Some(RunningStats {
                mean,
                var,
                momentum: if self.training { self.count_batch() } else { 0.0 },
            }),
            _ => None,
        };
        functional::batch_norm(
            input,
            running,
            self.weight.as_ref(),
            self.bias.as_ref(),
            use_batch_stats,
            self.config.eps,
        )
    }

    fn visit(&self, prefix: &str, visit: &mut dyn FnMut(String, &Tensor, Slot)) {
        let slots = [
            ("weight", &self.weight, Slot::Parameter),
            ("bias", &self.bias, Slot::Parameter),
            ("running_mean", &self.running_mean, Slot::Buffer),
            ("running_var", &self.running_var, Slot::Buffer),
            ("num_batches_tracked", &self.num_batches_tracked, Slot::Buffer),
        ];
        for (name, tensor, slot) in slots {
            if let Some(t) = tensor {
                visit(join_name(prefix, name), t, slot);
            }
        }
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
    }

    fn describe(&self) -> String {
        let c = &self.config;
        let momentum = c.momentum.map_or("None".to_string(), py_float);
        format!(
            "BatchNorm{}d({}, eps={}, momentum={momentum}, affine={}, track_running_stats={})",
            self.spatial_dims,
            self.num_features(),
            py_float(c.eps),
            py_bool(c.affine),
            py_bool(c.track_running_stats)
        )
    }
}
