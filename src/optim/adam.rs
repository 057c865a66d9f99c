//! Adam (torch.optim.Adam without amsgrad, fused or foreach kernels, and with maximize=false).

use super::state::{check_params, copy_to, non_negative, parse_state, state_name, step_tensor, SlotKind, SlotSpec};
use super::Optimizer;
use crate::{Error, Result, Tensor};

/// Adam's hyperparameters; `Default` is PyTorch's (`lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
/// weight_decay=0`).
#[derive(Clone, Debug, PartialEq)]
pub struct AdamConfig {
    pub lr: f64,
    pub betas: (f64, f64),
    pub eps: f64,
    /// L2 penalty added to the gradient (`g + wd·p`, torch's Adam — not AdamW's decoupled decay).
    pub weight_decay: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

impl AdamConfig {
    /// PyTorch's constructor checks, as configuration errors.
    fn check(&self) -> Result<()> {
        let AdamConfig {
            lr,
            betas: (b1, b2),
            eps,
            weight_decay,
        } = *self;
        let problem = if !non_negative(lr) {
            format!("Invalid learning rate: {lr}")
        } else if !non_negative(eps) {
            format!("Invalid epsilon value: {eps}")
        } else if !(0.0..1.0).contains(&b1) {
            format!("Invalid beta parameter at index 0: {b1}")
        } else if !(0.0..1.0).contains(&b2) {
            format!("Invalid beta parameter at index 1: {b2}")
        } else if !non_negative(weight_decay) {
            format!("Invalid weight_decay value: {weight_decay}")
        } else {
            return Ok(());
        };
        Err(Error::Config(format!("Adam: {problem}")))
    }
}

/// One parameter's running moments and step count (PyTorch's `exp_avg`, `exp_avg_sq`, `step`).
struct AdamState {
    step: u64,
    exp_avg: Tensor,
    exp_avg_sq: Tensor,
}

const SLOTS: [SlotSpec; 3] = [
    SlotSpec {
        name: "step",
        kind: SlotKind::StepCount,
    },
    SlotSpec {
        name: "exp_avg",
        kind: SlotKind::LikeParam,
    },
    SlotSpec {
        name: "exp_avg_sq",
        kind: SlotKind::LikeParam,
    },
];

/// torch.optim.Adam. State dict entries per parameter that has taken a step:
/// `"<name>.step"` (F64 scalar), `"<name>.exp_avg"` and `"<name>.exp_avg_sq"` (the parameter's
/// shape and dtype).
pub struct Adam {
    params: Vec<(String, Tensor)>,
    config: AdamConfig,
    state: Vec<Option<AdamState>>,
}

impl Adam {
    /// An optimiser over `params`; configuration errors (negative lr or eps, betas outside
    /// `[0, 1)`, negative weight decay, repeated names, non-float parameters) are returned.
    pub fn new(params: Vec<(String, Tensor)>, config: AdamConfig) -> Result<Adam> {
        config.check()?;
        check_params("Adam", &params)?;
        let state = params.iter().map(|_| None).collect();
        Ok(Adam { params, config, state })
    }

    pub fn config(&self) -> &AdamConfig {
        &self.config
    }

    /// The number of steps parameter `name` has taken (0 before its first gradient).
    pub fn step_count(&self, name: &str) -> Option<u64> {
        let i = self.params.iter().position(|(n, _)| n == name)?;
        Some(self.state[i].as_ref().map_or(0, |s| s.step))
    }
}

/// `start + weight·(end − start)` as ATen's CPU lerp kernel computes it (it switches formula at
/// |weight| = 0.5 for accuracy), so exp_avg matches `exp_avg.lerp_(grad, 1 − β1)` bit for bit.
fn lerp(start: &Tensor, end: &Tensor, weight: f64) -> Tensor {
    let diff = end.sub(start);
    if weight.abs() < 0.5 {
        start.add(&diff.mul_scalar(weight))
    } else {
        end.sub(&diff.mul_scalar(1.0 - weight))
    }
}

/// One step of `_single_tensor_adam` for one parameter, in PyTorch's order of operations.
fn adam_update(param: &Tensor, grad: &Tensor, state: &mut AdamState, config: &AdamConfig) -> Tensor {
    let (beta1, beta2) = config.betas;
    let grad = if config.weight_decay != 0.0 {
        // grad.add(param, alpha=weight_decay)
        grad.add(&param.mul_scalar(config.weight_decay))
    } else {
        grad.clone()
    };
    state.step += 1;
    // exp_avg.lerp_(grad, 1 - beta1)
    state.exp_avg = lerp(&state.exp_avg, &grad, 1.0 - beta1);
    // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    state.exp_avg_sq = state
        .exp_avg_sq
        .mul_scalar(beta2)
        .add(&grad.mul_scalar(1.0 - beta2).mul(&grad));
    let step = state.step as f64;
    let bias_correction1 = 1.0 - beta1.powf(step);
    let bias_correction2 = 1.0 - beta2.powf(step);
    let step_size = config.lr / bias_correction1;
    let bias_correction2_sqrt = bias_correction2.powf(0.5);
    // (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
    let denom = state
        .exp_avg_sq
        .sqrt()
        .div_scalar(bias_correction2_sqrt)
        .add_scalar(config.eps);
    // param.addcdiv_(exp_avg, denom, value=-step_size)
    param.add(&state.exp_avg.mul_scalar(-step_size).div(&denom))
}

impl Optimizer for Adam {
    fn step(&mut self) {
        let _no_grad = crate::no_grad();
        for ((_, param), state) in self.params.iter().zip(&mut self.state) {
            let Some(grad) = param.grad() else { continue };
            let state = state.get_or_insert_with(|| AdamState {
                step: 0,
                exp_avg: param.zeros_like(),
                exp_avg_sq: param.zeros_like(),
            });
            let updated = adam_update(param, &grad, state, &self.config);
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
        let mut out = Vec::new();
        for ((name, _), state) in self.params.iter().zip(&self.state) {
            if let Some(s) = state {
                out.push((state_name(name, "step"), step_tensor(s.step)));
                out.push((state_name(name, "exp_avg"), s.exp_avg.clone()));
                out.push((state_name(name, "exp_avg_sq"), s.exp_avg_sq.clone()));
            }
        }
        out
    }

    fn check_state_dict(&self, state: &[(String, Tensor)]) -> Result<()> {
        parse_state(&self.params, &SLOTS, state).map(|_| ())
    }

    fn load_state_dict(&mut self, state: &[(String, Tensor)]) -> Result<()> {
        let parsed = parse_state(&self.params, &SLOTS, state)?;
        self.state = parsed
            .into_iter()
            .zip(&self.params)
            .map(|(slots, (_, param))| {
                slots.map(|s| AdamState {
                    step: s[0].item() as u64,
                    exp_avg: copy_to(&s[1], param.device()),
                    exp_avg_sq: copy_to(&s[2], param.device()),
                })
            })
            .collect();
        Ok(())
    }
}
