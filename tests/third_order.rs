//! Third order: the gradient of a Hessian trace with respect to the weights of a small Tanh
//! MLP — the quantity the learnable loss's convexity penalty trains through — checked against
//! finite differences (gradcheck), and its own derivative (fourth order) with gradgradcheck.

use learnloss::check::{gradcheck, gradgradcheck};
use learnloss::{grad, DType, Device, Generator, Tensor};

/// E(x) = w2 · tanh(W1 x + b1) per sample; returns Σ_b tr ∂²E_b/∂x_b² by the loop of double
/// backward passes, differentiable in everything.
fn hessian_trace(x: &Tensor, w1: &Tensor, b1: &Tensor, w2: &Tensor) -> Tensor {
    let e = x.matmul(&w1.mt()).add(b1).tanh().matmul(w2);
    let g = grad(&[e.sum_all()], std::slice::from_ref(x), None, true).remove(0);
    (0..x.dim(1))
        .map(|i| {
            let gi = grad(&[g.select(1, i).sum_all()], std::slice::from_ref(x), None, true).remove(0);
            gi.select(1, i).sum_all()
        })
        .reduce(|a, b| a.add(&b))
        .expect("at least one feature")
}

/// The same trace in closed form: for E = w2·tanh(z), z = W1 x + b1,
/// ∂²E/∂x_i² = Σ_j w2_j · tanh''(z_j) · W1_ji², tanh'' = -2 t (1 - t²).
fn closed_form_trace(x: &Tensor, w1: &Tensor, b1: &Tensor, w2: &Tensor) -> f64 {
    let t = x.matmul(&w1.mt()).add(b1).tanh();
    let second = t.mul(&t.square().rsub_scalar(1.0)).mul_scalar(-2.0);
    let col_sq = w1.square().sum(&[1], false);
    second.mul(&w2.mul(&col_sq)).sum_all().item()
}

fn setup() -> (Tensor, [Tensor; 3]) {
    let dev = Device::Cpu;
    let mut gen = Generator::new(2024);
    let x = Tensor::randn(&[3, 4], DType::F64, &dev, &mut gen).requires_grad_(true);
    let w1 = Tensor::randn(&[5, 4], DType::F64, &dev, &mut gen)
        .mul_scalar(0.6)
        .requires_grad_(true);
    let b1 = Tensor::randn(&[5], DType::F64, &dev, &mut gen).requires_grad_(true);
    let w2 = Tensor::randn(&[5], DType::F64, &dev, &mut gen).requires_grad_(true);
    (x, [w1, b1, w2])
}

#[test]
fn trace_matches_closed_form() {
    let (x, [w1, b1, w2]) = setup();
    let looped = hessian_trace(&x, &w1, &b1, &w2).item();
    let exact = closed_form_trace(&x, &w1, &b1, &w2);
    assert!(
        (looped - exact).abs() < 1e-12 * exact.abs().max(1.0),
        "loop {looped} vs closed form {exact}"
    );
}

#[test]
fn gradient_of_trace_wrt_weights_is_third_order_correct() {
    let (x, params) = setup();
    let f = |p: &[Tensor]| hessian_trace(&x, &p[0], &p[1], &p[2]);
    gradcheck(f, &params).unwrap_or_else(|e| panic!("third order: {e}"));
}

#[test]
fn fourth_order_through_the_trace() {
    let (x, params) = setup();
    let f = |p: &[Tensor]| hessian_trace(&x, &p[0], &p[1], &p[2]);
    gradgradcheck(f, &params).unwrap_or_else(|e| panic!("fourth order: {e}"));
}

#[test]
fn trace_gradient_also_wrt_the_input() {
    // d(trace)/dx is third order in x itself.
    let (x, [w1, b1, w2]) = setup();
    let f = |a: &[Tensor]| hessian_trace(&a[0], &w1, &b1, &w2);
    gradcheck(f, &[x]).unwrap_or_else(|e| panic!("third order in x: {e}"));
}
