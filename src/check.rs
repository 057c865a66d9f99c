//! Gradient checking against central finite differences, like PyTorch's `gradcheck` and
//! `gradgradcheck`: float64 inputs, eps 1e-6, atol 1e-5, rtol 1e-3.

use crate::autograd::grad;
use crate::{DType, Generator, Tensor};

/// Tolerances and step of a gradient check.
#[derive(Copy, Clone, Debug)]
pub struct GradcheckOptions {
    pub eps: f64,
    pub atol: f64,
    pub rtol: f64,
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        GradcheckOptions {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
        }
    }
}

/// Why a gradient check failed.
#[derive(Clone, Debug, thiserror::Error)]
pub enum GradcheckError {
    #[error("{check}: input {input} has dtype {dtype}; gradient checks need float64 inputs")]
    NotFloat64 {
        check: &'static str,
        input: usize,
        dtype: DType,
    },
    #[error("{check}: the function returned dtype {dtype}; gradient checks need a float64 output")]
    OutputNotFloat64 { check: &'static str, dtype: DType },
    #[error("{check}: no input requires grad, so there is nothing to check")]
    NothingToCheck { check: &'static str },
    #[error("{0}")]
    Mismatch(Box<JacobianMismatch>),
}

/// Where the analytical and numerical Jacobians disagree, with both values.
#[derive(Clone, Debug)]
pub struct JacobianMismatch {
    pub check: &'static str,
    pub input: usize,
    pub input_shape: Vec<usize>,
    pub input_index: Vec<usize>,
    pub output_shape: Vec<usize>,
    pub output_index: Vec<usize>,
    pub numerical: f64,
    pub analytical: f64,
    pub atol: f64,
    pub rtol: f64,
}

impl std::fmt::Display for JacobianMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: Jacobian mismatch for output element {:?} (output shape {:?}) with respect to input {} (shape {:?}) \
             element {:?}: numerical {:.10e}, analytical {:.10e} (atol {:e}, rtol {:e})",
            self.check,
            self.output_index,
            self.output_shape,
            self.input,
            self.input_shape,
            self.input_index,
            self.numerical,
            self.analytical,
            self.atol,
            self.rtol
        )
    }
}

fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        idx[d] = flat % shape[d];
        flat /= shape[d];
    }
    idx
}

/// Checks the gradients of `f` with respect to every input that requires grad, with the
/// default tolerances.
pub fn gradcheck(f: impl Fn(&[Tensor]) -> Tensor, inputs: &[Tensor]) -> Result<(), GradcheckError> {
    gradcheck_with(f, inputs, GradcheckOptions::default())
}

pub fn gradcheck_with(
    f: impl Fn(&[Tensor]) -> Tensor,
    inputs: &[Tensor],
    opts: GradcheckOptions,
) -> Result<(), GradcheckError> {
    check_jacobians("gradcheck", &f, inputs, opts)
}

/// Checks the second derivatives of `f`: the gradient of `vᵀ·J(x)` with respect to the inputs
/// and to a random `v` (PyTorch's `gradgradcheck`).
pub fn gradgradcheck(f: impl Fn(&[Tensor]) -> Tensor, inputs: &[Tensor]) -> Result<(), GradcheckError> {
    gradgradcheck_with(f, inputs, GradcheckOptions::default())
}

pub fn gradgradcheck_with(
    f: impl Fn(&[Tensor]) -> Tensor,
    inputs: &[Tensor],
    opts: GradcheckOptions,
) -> Result<(), GradcheckError> {
    validate("gradgradcheck", inputs)?;
    let y = f(inputs);
    let mut gen = Generator::new(0x6a09_e667);
    let v = Tensor::randn(y.shape(), DType::F64, y.device(), &mut gen).requires_grad_(true);
    let n = inputs.len();
    let first_order = |args: &[Tensor]| -> Tensor {
        let (xs, v) = (&args[..n], &args[n]);
        let wrt: Vec<Tensor> = xs.iter().filter(|x| x.requires_grad()).cloned().collect();
        let y = f(xs);
        if !y.requires_grad() {
            return Tensor::zeros(&[wrt.iter().map(Tensor::numel).sum()], DType::F64, v.device());
        }
        let gs = grad(&[y], &wrt, Some(std::slice::from_ref(v)), true);
        let flat: Vec<Tensor> = gs.iter().map(Tensor::flatten_all).collect();
        Tensor::cat(&flat, 0)
    };
    let mut args = inputs.to_vec();
    args.push(v);
    check_jacobians("gradgradcheck", &first_order, &args, opts)
}

fn validate(check: &'static str, inputs: &[Tensor]) -> Result<(), GradcheckError> {
    for (i, x) in inputs.iter().enumerate() {
        if x.requires_grad() && x.dtype() != DType::F64 {
            return Err(GradcheckError::NotFloat64 {
                check,
                input: i,
                dtype: x.dtype(),
            });
        }
    }
    if !inputs.iter().any(Tensor::requires_grad) {
        return Err(GradcheckError::NothingToCheck { check });
    }
    Ok(())
}

fn check_jacobians(
    check: &'static str,
    f: &dyn Fn(&[Tensor]) -> Tensor,
    inputs: &[Tensor],
    opts: GradcheckOptions,
) -> Result<(), GradcheckError> {
    validate(check, inputs)?;
    let values: Vec<Vec<f64>> = inputs.iter().map(Tensor::to_f64_vec).collect();
    // Fresh leaves for every evaluation, so perturbations never touch the caller's tensors.
    let rebuild = |vals: &[Vec<f64>]| -> Vec<Tensor> {
        inputs
            .iter()
            .zip(vals)
            .map(|(x, v)| {
                if x.requires_grad() {
                    Tensor::from_f64s(v, x.shape(), DType::F64, x.device()).requires_grad_(true)
                } else {
                    x.clone()
                }
            })
            .collect()
    };
    let xs = rebuild(&values);
    let y = f(&xs);
    if y.dtype() != DType::F64 {
        return Err(GradcheckError::OutputNotFloat64 {
            check,
            dtype: y.dtype(),
        });
    }
    let n_out = y.numel();
    let out_shape = y.shape().to_vec();
    let diff: Vec<usize> = (0..inputs.len()).filter(|&i| inputs[i].requires_grad()).collect();

    // Analytical Jacobian, one vector-Jacobian product per output element.
    let wrt: Vec<Tensor> = diff.iter().map(|&i| xs[i].clone()).collect();
    let mut analytical: Vec<Vec<Vec<f64>>> = vec![Vec::with_capacity(n_out); diff.len()];
    for k in 0..n_out {
        let rows: Vec<Vec<f64>> = if y.requires_grad() {
            let mut onehot = vec![0.0; n_out];
            onehot[k] = 1.0;
            let v = Tensor::from_f64s(&onehot, &out_shape, DType::F64, y.device());
            grad(std::slice::from_ref(&y), &wrt, Some(&[v]), false)
                .iter()
                .map(Tensor::to_f64_vec)
                .collect()
        } else {
            wrt.iter().map(|x| vec![0.0; x.numel()]).collect()
        };
        for (slot, row) in analytical.iter_mut().zip(rows) {
            slot.push(row);
        }
    }

    // Numerical Jacobian by central differences, compared column by column.
    let mut perturbed = values.clone();
    for (slot, &i) in diff.iter().enumerate() {
        for j in 0..values[i].len() {
            perturbed[i][j] = values[i][j] + opts.eps;
            let plus = f(&rebuild(&perturbed)).to_f64_vec();
            perturbed[i][j] = values[i][j] - opts.eps;
            let minus = f(&rebuild(&perturbed)).to_f64_vec();
            perturbed[i][j] = values[i][j];
            for k in 0..n_out {
                let numerical = (plus[k] - minus[k]) / (2.0 * opts.eps);
                let a = analytical[slot][k][j];
                let close = (a - numerical).abs() <= opts.atol + opts.rtol * numerical.abs();
                if !close || a.is_nan() != numerical.is_nan() {
                    return Err(GradcheckError::Mismatch(Box::new(JacobianMismatch {
                        check,
                        input: i,
                        input_shape: inputs[i].shape().to_vec(),
                        input_index: unravel(j, inputs[i].shape()),
                        output_shape: out_shape.clone(),
                        output_index: unravel(k, &out_shape),
                        numerical,
                        analytical: a,
                        atol: opts.atol,
                        rtol: opts.rtol,
                    })));
                }
            }
        }
    }
    Ok(())
}
