//! The forward Laplacian's activation step and the Linear after it as one recorded op with its
//! own gradient rule.
//!
//! The forward Laplacian carries, per sample, the value, the C tangents (the Jacobian in p) and
//! the Laplacian through the loss network. Here they travel packed as one `[B, C + 2, H]` state
//! (row 0 the value, rows `1..=C` the tangents, row `C + 1` the Laplacian), so that a Linear
//! layer is one product `S·Wᵀ` for all of them. The op takes a layer's pre-activation state and
//! returns the next one's, `act(S)·Wᵀ`: the activation step
//! `(σ(z), σ'(z)·J, σ'(z)·L + σ''(z)·Σ_i J_i²)` and the product in one pass forward and one
//! backward (`backend::cpu::tangent_activation`), the post-activation state, the largest
//! tensor of the whole computation, never stored. At B = 1024 and C = 10 the step is bound by
//! memory traffic and per-op overhead, not FLOPs: composed from primitives it was eleven
//! passes forward and about twenty backward per layer.
//!
//! The rule's first-order backward is the fused kernel; when a graph is being built (a double
//! backward, gradgradcheck) it is composed from differentiable tensor ops instead, so every
//! order of derivative exists. Off the CPU the whole step is composed (autograd differentiates
//! through it).

use crate::autograd::{is_grad_enabled, no_grad, CustomBackward};
use crate::backend::cpu::tangent_activation::{self as kernel, Inputs};
use crate::backend::cpu::{CpuStorage, FloatElement};
use crate::backend::Storage;
use crate::learnable::softplus_f32::softplus_rows;
use crate::learnable::Activation;
use crate::{DType, Device, HostElement, Tensor};
use std::sync::Arc;

/// What the step is applied to.
#[derive(Copy, Clone)]
pub(super) enum Incoming<'a> {
    /// The first hidden layer: its pre-activation `z` `[B, H]` (bias included) and the tangents
    /// `[C, H]` shared by every sample (the weight's first C columns, transposed); the
    /// Laplacian is zero.
    Shared { z: &'a Tensor, tangents: &'a Tensor },
    /// A packed state times the next layer's weight, `[B, C + 2, H]`, and that layer's bias.
    Packed { pre: &'a Tensor, bias: Option<&'a Tensor> },
}

/// The op's form: which inputs it has (the last is always the next layer's weight).
#[derive(Copy, Clone, Debug)]
enum Form {
    Shared,
    Packed { bias: bool },
}

#[derive(Copy, Clone, Debug)]
struct Dims {
    batch: usize,
    directions: usize,
    width: usize,
    /// The next layer's width N.
    out_width: usize,
}

/// `act(S)·Wᵀ`, the packed pre-activation state of the next layer, `[B, C + 2, N]`, for its
/// weight `W` `[N, H]` (its bias is added by the next step, to row 0 only).
pub(super) fn activate_then_linear(activation: Activation, incoming: Incoming<'_>, weight: &Tensor) -> Tensor {
    let (rule, inputs) = Rule::new(activation, incoming, weight);
    match rule.on_host(&inputs, None) {
        Some(outputs) => {
            let [value, act] = <[Tensor; 2]>::try_from(outputs).expect("the kernel's output and activation rows");
            let rule = Rule { act: Some(act), ..rule };
            Tensor::from_custom_op(&value, &inputs, Arc::new(rule))
        }
        None => rule.composed_forward(&inputs),
    }
}

struct Rule {
    activation: Activation,
    form: Form,
    dims: Dims,
    /// The CPU forward's activation rows `[B, 4, H]` (σ and its first three derivatives at z),
    /// which the kernel backward reads instead of evaluating the activation again.
    act: Option<Tensor>,
}

/// The float types the kernels run on, with their host storage.
trait HostFloat: FloatElement + HostElement {
    fn slice(storage: &CpuStorage) -> Option<&[Self]>;
    /// Softplus's activation rows (see `Activation::scalar`).
    fn softplus(z: Self) -> [Self; 4];
}

impl HostFloat for f32 {
    fn slice(storage: &CpuStorage) -> Option<&[f32]> {
        match storage {
            CpuStorage::F32(v) => Some(v),
            _ => None,
        }
    }

    #[inline(always)]
    fn softplus(z: f32) -> [f32; 4] {
        softplus_rows(z)
    }
}

impl HostFloat for f64 {
    fn slice(storage: &CpuStorage) -> Option<&[f64]> {
        match storage {
            CpuStorage::F64(v) => Some(v),
            _ => None,
        }
    }

    fn softplus(z: f64) -> [f64; 4] {
        Activation::Softplus.scalar(z)
    }
}

impl Rule {
    /// The rule for `incoming` and `weight`, and the op's inputs, shapes checked.
    fn new(activation: Activation, incoming: Incoming<'_>, weight: &Tensor) -> (Rule, Vec<Tensor>) {
        let (form, inputs, dims) = match incoming {
            Incoming::Shared { z, tangents } => {
                let (batch, width) = (z.dim(0), z.dim(1));
                assert!(
                    z.rank() == 2 && tangents.rank() == 2 && tangents.dim(1) == width,
                    "tangent activation: z {:?} and shared tangents {:?} (expected [B, H] and [C, H])",
                    z.shape(),
                    tangents.shape()
                );
                let dims = Dims {
                    batch,
                    directions: tangents.dim(0),
                    width,
                    out_width: weight.dim(0),
                };
                (Form::Shared, vec![z.clone(), tangents.clone()], dims)
            }
            Incoming::Packed { pre, bias } => {
                assert!(
                    pre.rank() == 3 && pre.dim(1) >= 2 && bias.is_none_or(|b| b.shape() == [pre.dim(2)]),
                    "tangent activation: packed input {:?} with bias {:?} (expected [B, C + 2, H] and [H])",
                    pre.shape(),
                    bias.map(Tensor::shape)
                );
                let dims = Dims {
                    batch: pre.dim(0),
                    directions: pre.dim(1) - 2,
                    width: pre.dim(2),
                    out_width: weight.dim(0),
                };
                let inputs = std::iter::once(pre).chain(bias).cloned().collect();
                (Form::Packed { bias: bias.is_some() }, inputs, dims)
            }
        };
        assert!(
            weight.rank() == 2 && weight.dim(1) == dims.width,
            "tangent activation: weight {:?} does not take the state's width {}",
            weight.shape(),
            dims.width
        );
        let mut inputs: Vec<Tensor> = inputs;
        inputs.push(weight.clone());
        let rule = Rule {
            activation,
            form,
            dims,
            act: None,
        };
        (rule, inputs)
    }

    /// The output and the activation rows (no `grad`) or the gradient of every input by the
    /// CPU kernels, or `None` when a tensor is elsewhere than on the CPU (or, for the gradient,
    /// when the forward did not run there).
    fn on_host(&self, inputs: &[Tensor], grad: Option<&Tensor>) -> Option<Vec<Tensor>> {
        if !inputs.iter().chain(grad).all(|t| *t.device() == Device::Cpu) || (grad.is_some() && self.act.is_none()) {
            return None;
        }
        let dtype = inputs[0].dtype();
        assert!(
            inputs.iter().chain(grad).all(|t| t.dtype() == dtype),
            "tangent activation: inputs of mixed dtypes"
        );
        // Contiguous operands (no copy when they already are), read as raw storage: a copy
        // must not be recorded in the graph (the op itself is).
        let _raw = no_grad();
        let mut operands: Vec<Tensor> = inputs.iter().map(Tensor::contiguous).collect();
        operands.extend(grad.map(Tensor::contiguous));
        if grad.is_some() {
            operands.extend(self.act.clone());
        }
        match dtype {
            DType::F32 => Some(self.run::<f32>(&operands, grad.is_some())),
            DType::F64 => Some(self.run::<f64>(&operands, grad.is_some())),
            other => panic!("tangent activation: expected a float tensor, got {other}"),
        }
    }

    fn run<T: HostFloat>(&self, operands: &[Tensor], backward: bool) -> Vec<Tensor> {
        let guards: Vec<_> = operands.iter().map(Tensor::storage).collect();
        let slices: Vec<&[T]> = guards
            .iter()
            .zip(operands)
            .map(|(guard, t)| {
                let Storage::Cpu(storage) = &**guard else {
                    unreachable!("checked to be on the CPU")
                };
                let range = t.layout().contiguous_range().expect("made contiguous");
                &T::slice(storage).expect("checked dtype")[range]
            })
            .collect();
        let Dims {
            batch,
            directions,
            width,
            out_width,
        } = self.dims;
        let bias = matches!(self.form, Form::Packed { bias: true });
        let inputs = match self.form {
            Form::Shared => Inputs::shared(slices[0], slices[1], batch, directions, width),
            Form::Packed { .. } => Inputs::packed(slices[0], batch, directions, width, bias.then(|| slices[1])),
        };
        let weight = slices[self.form.weight_index()];
        let activation = self.activation;
        let cpu = &Device::Cpu;
        if !backward {
            // One closure per activation, so that the loop over a row is specialised to it.
            let (out, act) = match activation {
                Activation::Softplus => kernel::forward(&inputs, weight, out_width, T::softplus),
                Activation::Tanh => kernel::forward(&inputs, weight, out_width, |z: T| Activation::Tanh.scalar(z)),
                Activation::Relu => kernel::forward(&inputs, weight, out_width, |z: T| Activation::Relu.scalar(z)),
            };
            return vec![
                Tensor::from_vec(out, &[batch, directions + 2, out_width], cpu),
                Tensor::from_vec(act, &[batch, 4, width], cpu),
            ];
        }
        // The operands after the inputs: the output gradient, the activation rows.
        let (grad, act) = (slices[slices.len() - 2], slices[slices.len() - 1]);
        let grads = kernel::backward(&inputs, weight, out_width, grad, act);
        let weight_grad = Tensor::from_vec(grads.weight, &[out_width, width], cpu);
        match grads.shared_tangents {
            Some(tangents) => vec![
                Tensor::from_vec(grads.input, &[batch, width], cpu),
                Tensor::from_vec(tangents, &[directions, width], cpu),
                weight_grad,
            ],
            None => {
                let input = Tensor::from_vec(grads.input, &[batch, directions + 2, width], cpu);
                let mut all = vec![input.clone()];
                if bias {
                    // ∂z (row 0 of the packed gradient) summed over the batch.
                    all.push(input.narrow(1, 0, 1).squeeze(1).sum(&[0], false));
                }
                all.push(weight_grad);
                all
            }
        }
    }

    /// `z` `[B, H]`, the tangents `[B or 1, C, H]` and the Laplacian `[B, H]` (none: zero).
    fn split(&self, inputs: &[Tensor]) -> (Tensor, Tensor, Option<Tensor>) {
        let c = self.dims.directions;
        match self.form {
            Form::Shared => (inputs[0].clone(), inputs[1].unsqueeze(0), None),
            Form::Packed { bias } => {
                let pre = &inputs[0];
                let mut z = pre.narrow(1, 0, 1).squeeze(1);
                if bias {
                    z = z.add(&inputs[1]);
                }
                let lap = pre.narrow(1, c + 1, 1).squeeze(1);
                (z, pre.narrow(1, 1, c), Some(lap))
            }
        }
    }

    /// The post-activation state `[B, C + 2, H]` composed from differentiable primitives.
    fn composed_state(&self, inputs: &[Tensor]) -> Tensor {
        let (z, tangents, lap) = self.split(inputs);
        let (d1, d2) = self.activation.derivatives(&z);
        let curvature = d2.mul(&tangents.square().sum(&[1], false));
        let lap = match lap {
            Some(l) => d1.mul(&l).add(&curvature),
            None => curvature,
        };
        let tangents = tangents.mul(&d1.unsqueeze(1));
        let value = self.activation.apply(&z);
        Tensor::cat(&[value.unsqueeze(1), tangents, lap.unsqueeze(1)], 1)
    }

    /// The op composed from differentiable primitives.
    fn composed_forward(&self, inputs: &[Tensor]) -> Tensor {
        let weight = &inputs[self.form.weight_index()];
        self.composed_state(inputs).matmul(&weight.mt())
    }

    /// Every input's gradient composed from differentiable primitives.
    fn composed_backward(&self, grad: &Tensor, inputs: &[Tensor]) -> Vec<Tensor> {
        let Dims {
            batch,
            directions: c,
            width,
            out_width,
        } = self.dims;
        let weight = &inputs[self.form.weight_index()];
        let state = self.composed_state(inputs);
        let rows = batch * (c + 2);
        let weight_grad = grad
            .reshape(&[rows, out_width])
            .mt()
            .matmul(&state.reshape(&[rows, width]));
        let state_grad = grad.matmul(weight);
        let (z, tangents, lap) = self.split(inputs);
        let (d1, d2, d3) = self.activation.three_derivatives(&z);
        let g_z = state_grad.narrow(1, 0, 1).squeeze(1);
        let g_tangents = state_grad.narrow(1, 1, c);
        let g_lap = state_grad.narrow(1, c + 1, 1).squeeze(1);
        let norms = tangents.square().sum(&[1], false);
        let dots = g_tangents.mul(&tangents).sum(&[1], false);
        let mut curvature = d3.mul(&norms);
        if let Some(l) = &lap {
            curvature = curvature.add(&d2.mul(l));
        }
        let dz = g_z.mul(&d1).add(&dots.mul(&d2)).add(&g_lap.mul(&curvature));
        let coef = g_lap.mul(&d2).mul_scalar(2.0);
        let d_tangents = g_tangents.mul(&d1.unsqueeze(1)).add(&tangents.mul(&coef.unsqueeze(1)));
        match self.form {
            Form::Shared => vec![dz, d_tangents.sum(&[0], false), weight_grad],
            Form::Packed { bias } => {
                let d_lap = g_lap.mul(&d1);
                let d_pre = Tensor::cat(&[dz.unsqueeze(1), d_tangents, d_lap.unsqueeze(1)], 1);
                let mut grads = vec![d_pre];
                if bias {
                    grads.push(dz.sum(&[0], false));
                }
                grads.push(weight_grad);
                grads
            }
        }
    }
}

impl Form {
    fn weight_index(self) -> usize {
        match self {
            Form::Shared | Form::Packed { bias: true } => 2,
            Form::Packed { bias: false } => 1,
        }
    }
}

impl CustomBackward for Rule {
    fn name(&self) -> &str {
        "tangent_activation_linear"
    }

    fn backward(&self, grad: &Tensor, _result: &Tensor, inputs: &[Tensor], needs: &[bool]) -> Vec<Option<Tensor>> {
        let by_kernel = if is_grad_enabled() {
            None
        } else {
            self.on_host(inputs, Some(grad))
        };
        let grads = by_kernel.unwrap_or_else(|| self.composed_backward(grad, inputs));
        grads
            .into_iter()
            .zip(needs)
            .map(|(g, &need)| need.then_some(g))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{activate_then_linear, Incoming, Rule};
    use crate::check::{gradcheck, gradgradcheck};
    use crate::learnable::Activation;
    use crate::{grad, DType, Device, Generator, Tensor};

    const ACTIVATIONS: [Activation; 3] = [Activation::Softplus, Activation::Tanh, Activation::Relu];

    /// Inputs of each form, f64, the next layer's weight `[N, H]` last: `(name, inputs)`. Row 0
    /// of z is shifted so that Softplus also sees its linear region above 20.
    fn cases(gen: &mut Generator, (b, c, h, n): (usize, usize, usize, usize)) -> Vec<(&'static str, Vec<Tensor>)> {
        let mut randn = |shape: &[usize], scale: f64| {
            Tensor::randn(shape, DType::F64, &Device::Cpu, gen)
                .mul_scalar(scale)
                .requires_grad_(true)
        };
        let mut shift = vec![0.0; h];
        shift[0] = 21.0;
        let shift = Tensor::from_f64s(&shift, &[1, h], DType::F64, &Device::Cpu);
        let z = randn(&[b, h], 2.0).detach().add(&shift).requires_grad_(true);
        vec![
            ("shared", vec![z, randn(&[c, h], 1.0), randn(&[n, h], 0.5)]),
            (
                "packed",
                vec![randn(&[b, c + 2, h], 1.5), randn(&[h], 1.0), randn(&[n, h], 0.5)],
            ),
            ("packed, no bias", vec![randn(&[b, c + 2, h], 1.5), randn(&[n, h], 0.5)]),
        ]
    }

    fn incoming(xs: &[Tensor]) -> (Incoming<'_>, &Tensor) {
        let (weight, rest) = xs.split_last().expect("a weight");
        let incoming = match rest {
            [pre] => Incoming::Packed { pre, bias: None },
            [pre, bias] if pre.rank() == 3 => Incoming::Packed { pre, bias: Some(bias) },
            [z, tangents] => Incoming::Shared { z, tangents },
            _ => unreachable!("the cases above"),
        };
        (incoming, weight)
    }

    fn apply(activation: Activation, xs: &[Tensor]) -> Tensor {
        let (incoming, weight) = incoming(xs);
        activate_then_linear(activation, incoming, weight)
    }

    #[test]
    fn gradcheck_and_gradgradcheck_every_form_and_activation() {
        let mut gen = Generator::new(11);
        for activation in ACTIVATIONS {
            // N = 1 as the output layer.
            for dims in [(3, 2, 4, 3), (2, 3, 3, 1)] {
                for (name, inputs) in cases(&mut gen, dims) {
                    let f = |xs: &[Tensor]| apply(activation, xs);
                    gradcheck(f, &inputs).unwrap_or_else(|e| panic!("{activation}, {name}: {e}"));
                    gradgradcheck(f, &inputs).unwrap_or_else(|e| panic!("{activation}, {name}: {e}"));
                }
            }
        }
    }

    fn assert_close(what: &str, a: &Tensor, b: &Tensor, tol: f64) {
        assert_eq!(a.shape(), b.shape(), "{what}");
        let (a, b) = (a.to_f64_vec(), b.to_f64_vec());
        let scale = b.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() <= tol * scale, "{what}: {x} vs {y}");
        }
    }

    /// The fused kernels against the composed form, forward and first-order backward, in f64
    /// and f32, small and with several parallel tasks and a partial last one.
    #[test]
    fn kernels_match_the_composed_form() {
        let mut gen = Generator::new(5);
        for (dtype, tol) in [(DType::F64, 1e-12), (DType::F32, 1e-5)] {
            for activation in ACTIVATIONS {
                for dims in [(3, 2, 4, 3), (37, 40, 50, 20)] {
                    for (name, inputs) in cases(&mut gen, dims) {
                        let inputs: Vec<Tensor> = inputs
                            .iter()
                            .map(|t| t.detach().to_dtype(dtype).requires_grad_(true))
                            .collect();
                        let what = format!("{activation}, {name}, {dims:?}, {dtype}");
                        let fused = apply(activation, &inputs);
                        let (incoming, weight) = incoming(&inputs);
                        let (rule, _) = Rule::new(activation, incoming, weight);
                        let composed = rule.composed_forward(&inputs);
                        assert_close(&format!("{what}: forward"), &fused, &composed, tol);
                        let g = Tensor::randn(fused.shape(), dtype, &Device::Cpu, &mut gen);
                        let by_kernel = grad(&[fused], &inputs, Some(std::slice::from_ref(&g)), false);
                        let by_composition = grad(&[composed], &inputs, Some(std::slice::from_ref(&g)), false);
                        for (k, (a, b)) in by_kernel.iter().zip(&by_composition).enumerate() {
                            assert_close(&format!("{what}: gradient of input {k}"), a, b, tol);
                        }
                    }
                }
            }
        }
    }
}
