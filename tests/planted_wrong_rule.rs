//! The checkers must catch wrong rules: a custom op with a planted wrong first derivative fails
//! gradcheck (naming the input, element and both values), and one whose backward is right at
//! first order but not differentiable correctly (it detaches its input) passes gradcheck yet
//! fails gradgradcheck.

use learnloss::autograd::CustomBackward;
use learnloss::check::{gradcheck, gradgradcheck, GradcheckError};
use learnloss::{no_grad, DType, Device, Generator, Tensor};
use std::sync::Arc;

/// sin(x) with a pluggable backward.
struct Sin {
    backward: fn(&Tensor, &Tensor) -> Tensor,
}

impl CustomBackward for Sin {
    fn name(&self) -> &str {
        "PlantedSin"
    }
    fn backward(&self, grad: &Tensor, _result: &Tensor, inputs: &[Tensor], _needs: &[bool]) -> Vec<Option<Tensor>> {
        vec![Some((self.backward)(grad, &inputs[0]))]
    }
}

fn planted_sin(x: &Tensor, backward: fn(&Tensor, &Tensor) -> Tensor) -> Tensor {
    let value = {
        let _g = no_grad();
        x.sin()
    };
    Tensor::from_custom_op(&value, std::slice::from_ref(x), Arc::new(Sin { backward }))
}

fn input() -> Tensor {
    Tensor::randn(&[2, 3], DType::F64, &Device::Cpu, &mut Generator::new(5)).requires_grad_(true)
}

#[test]
fn correct_rule_passes_both_checks() {
    let f = |a: &[Tensor]| planted_sin(&a[0], |g, x| g.mul(&x.cos()));
    gradcheck(f, &[input()]).expect("cos is the derivative of sin");
    gradgradcheck(f, &[input()]).expect("and it differentiates again");
}

#[test]
fn wrong_first_derivative_fails_gradcheck() {
    // Planted: -cos instead of cos.
    let f = |a: &[Tensor]| planted_sin(&a[0], |g, x| g.mul(&x.cos()).neg());
    let err = gradcheck(f, &[input()]).expect_err("a wrong rule must fail");
    match &err {
        GradcheckError::Mismatch(m) => {
            assert_eq!(m.input, 0);
            assert_eq!(m.input_index.len(), 2);
            assert!(
                (m.numerical + m.analytical).abs() < 1e-6,
                "analytical is exactly minus numerical: {err}"
            );
        }
        other => panic!("expected a Jacobian mismatch, got {other}"),
    }
    let message = err.to_string();
    for part in ["gradcheck", "input 0", "numerical", "analytical"] {
        assert!(message.contains(part), "message {message:?} lacks {part:?}");
    }
}

#[test]
fn rule_that_detaches_its_input_fails_only_gradgradcheck() {
    // Right values at first order, but the rule's dependence on x is cut.
    let f = |a: &[Tensor]| planted_sin(&a[0], |g, x| g.mul(&x.detach().cos()));
    gradcheck(f, &[input()]).expect("first order is right");
    let err = gradgradcheck(f, &[input()]).expect_err("second order must be caught");
    assert!(err.to_string().contains("gradgradcheck"), "{err}");
}

#[test]
fn checker_rejects_f32_inputs() {
    let x = Tensor::randn(&[3], DType::F32, &Device::Cpu, &mut Generator::new(1)).requires_grad_(true);
    let err = gradcheck(|a| a[0].sin(), &[x]).expect_err("f32 is too coarse for central differences");
    assert!(matches!(err, GradcheckError::NotFloat64 { input: 0, .. }), "{err}");
}
