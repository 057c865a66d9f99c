//! Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay
//! (torch.optim.SGD with maximize=false, single-tensor implementation).

use super::state::{check_params, copy_to, non_negative, parse_state, state_name, SlotKind, SlotSpec};
use super::Optimizer;
use crate::{Error, Result, Tensor};

/// SGD's hyperparameters; `Default` is PyTorch's (`lr=1e-3`, everything else 0 / false).
#[derive(Clone, Debug, PartialEq)]
pub struct SgdConfig {
    pub lr: f64,
    pub momentum: f64,
    pub dampening: f64,
    /// L2 penalty added to the gradient (`g + wd·p`).
    pub weight_decay: f64,
    /// Nesterov momentum; needs `momentum > 0` and `dampening == 0`.
    pub nesterov: bool,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig {
            lr: 1e-3,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
        }
    }
}

impl SgdConfig {
    /// Plain SGD with learning rate `lr`.
    pub fn lr(lr: f64) -> SgdConfig {
        SgdConfig {
            lr,
            ..SgdConfig::default()
        }
    }

    /// PyTorch's constructor checks, as configuration errors.
    fn check(&self) -> Result<()> {
        let problem = if !non_negative(self.lr) {
            format!("Invalid learning rate: {}", self.lr)
        } else if !non_negative(self.momentum) {
            format!("Invalid momentum value: {}", self.momentum)
        } else if !non_negative(self.weight_decay) {
            format!("Invalid weight_decay value: {}", self.weight_decay)
        } else if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            "Nesterov momentum requires a momentum and zero dampening".to_string()
        } else {
            return Ok(());
        };
        Err(Error::Config(format!("SGD: {problem}")))
    }
}

const SLOTS: [SlotSpec; 1] = [SlotSpec {
    name: "momentum_buffer",
    kind: SlotKind::LikeParam,
}];

/// torch.optim.SGD. With momentum, the state dict holds `"<name>.momentum_buffer"` (the
/// parameter's shape and dtype) for every parameter that has taken a step; without momentum it
/// is empty.
pub struct Sgd {
    params: Vec<(String, Tensor)>,
    config: SgdConfig,
    momentum_buffers: Vec<Option<Tensor>>,
}

impl Sgd {
    /// An optimiser over `params`; configuration errors (negative lr, momentum or weight decay,
    /// Nesterov without momentum or with dampening, repeated names, non-float parameters) are
    /// returned.
    pub fn new(params: Vec<(String, Tensor)>, config: SgdConfig) -> Result<Sgd> {
        config.check()?;
        check_params("SGD", &params)?;
        let momentum_buffers = params.iter().map(|_| None).collect();
        Ok(Sgd {
            params,
            config,
            momentum_buffers,
        })
    }

    pub fn config(&self) -> &SgdConfig {
        &self.config
    }
}

/// One step of `_single_tensor_sgd` for one parameter, in PyTorch's order of operations.
fn sgd_update(param: &Tensor, grad: &Tensor, buffer: &mut Option<Tensor>, config: &SgdConfig) -> Tensor {
    let mut grad = if config.weight_decay != 0.0 {
        // grad.add(param, alpha=weight_decay)
        grad.add(&param.mul_scalar(config.weight_decay))
    } else {
        grad.clone()
    };
    if config.momentum != 0.0 {
        let buf = match buffer.take() {
            // torch.clone(grad).detach(): the first buffer is the gradient itself, undamped.
            None => copy_to(&grad, grad.device()),
            // buf.mul_(momentum).add_(grad, alpha=1 - dampening)
            Some(buf) => buf
                .mul_scalar(config.momentum)
                .add(&grad.mul_scalar(1.0 - config.dampening)),
        };
        grad = if config.nesterov {
            // grad.add(buf, alpha=momentum)
            grad.add(&buf.mul_scalar(config.momentum))
        } else {
            buf.clone()
        };
        *buffer = Some(buf);
    }
    // param.add_(grad, alpha=-lr)
    param.add(&grad.mul_scalar(-config.lr))
}

impl Optimizer for Sgd {
    fn step(&mut self) {
        let _no_grad = crate::no_grad();
        for ((_, param), buffer) in self.params.iter().zip(&mut self.momentum_buffers) {
            let Some(grad) = param.grad() else { continue };
            let updated = sgd_update(param, &grad, buffer, &self.config);
            param.assign(&updated);
        }
    }

    fn lr(&self) -> f64 {
        self.config.lr
    }

    fn set_lr(&mut self, lr: f64) {
        self.config.lr = lr;
    }

    fn named_parameters(&self) -> &[(String, Tensor)] {
        &self.params
    }

    fn state_dict(&self) -> Vec<(String, Tensor)> {
        self.params
            .iter()
            .zip(&self.momentum_buffers)
            .filter_map(|((name, _), buf)| Some((state_name(name, "momentum_buffer"), buf.clone()?)))
            .collect()
    }

    fn check_state_dict(&self, state: &[(String, Tensor)]) -> Result<()> {
        parse_state(&self.params, &SLOTS, state).map(|_| ())
    }

    fn load_state_dict(&mut self, state: &[(String, Tensor)]) -> Result<()> {
        let parsed = parse_state(&self.params, &SLOTS, state)?;
        self.momentum_buffers = parsed
            .into_iter()
            .zip(&self.params)
            .map(|(slots, (_, param))| slots.map(|s| copy_to(&s[0], param.device())))
            .collect();
        Ok(())
    }
}
