//! Composed ops and user-defined (custom) ops.

use super::{check_both, dev, randn};
use learnloss::autograd::CustomBackward;
use learnloss::Tensor;
use std::sync::Arc;

#[test]
fn clamp_away_from_bounds() {
    let x = Tensor::from_vec(vec![-2.0, -0.5, 0.1, 0.7, 1.4, 3.0], &[6], &dev()).requires_grad_(true);
    check_both(
        "clamp both",
        |a| a[0].clamp(Some(-1.0), Some(1.0)).mul(&a[0]),
        std::slice::from_ref(&x),
    );
    check_both("clamp min", |a| a[0].clamp(Some(0.0), None).square(), &[x]);
}

#[test]
fn softplus_below_and_above_threshold() {
    let x = Tensor::from_vec(vec![-30.0, -3.0, 0.0, 2.5, 19.0, 21.0, 40.0], &[7], &dev()).requires_grad_(true);
    check_both("softplus", |a| a[0].softplus().mul(&a[0]), &[x]);
}

/// `x³` with a hand-written backward `3x²·g` in tensor ops.
struct Cube;

impl CustomBackward for Cube {
    fn name(&self) -> &str {
        "Cube"
    }
    fn backward(&self, grad: &Tensor, _result: &Tensor, inputs: &[Tensor], _needs: &[bool]) -> Vec<Option<Tensor>> {
        vec![Some(grad.mul(&inputs[0].square().mul_scalar(3.0)))]
    }
}

fn cube(x: &Tensor) -> Tensor {
    let value = {
        let _g = learnloss::no_grad();
        x.square().mul(x)
    };
    Tensor::from_custom_op(&value, std::slice::from_ref(x), Arc::new(Cube))
}

#[test]
fn custom_op_with_tensor_op_backward() {
    let x = randn(&[5], 140);
    check_both("custom cube", |a| cube(&a[0]).sin(), &[x]);
}
