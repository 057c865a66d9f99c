//! Integration tests of reverse-mode autograd against PyTorch's semantics: `.backward()`
//! accumulation into leaves, `grad()` (values, unused inputs, implicit seeds, errors), graph
//! cutting (`detach`, `requires_grad_`, `no_grad` / `enable_grad`), higher-order derivatives with
//! `create_graph`, gradients with respect to `grad_outputs` and to intermediates, accumulation
//! over repeated uses, very long chains, PyTorch's conventions at non-smooth points, gradients
//! through views and data movement, and custom ops (`Tensor::from_custom_op`). Expected values are
//! hand-derived.

use learnloss::autograd::{is_grad_enabled, CustomBackward};
use learnloss::{backward, enable_grad, grad, no_grad, DType, Tensor};
use std::slice::from_ref;
use std::sync::{Arc, Mutex};

mod common;
use common::{assert_close, panic_message, t, values, DEV};

/// A leaf that requires gradients.
fn leaf(data: &[f64], shape: &[usize]) -> Tensor {
    t(data, shape).requires_grad_(true)
}

fn map(x: &Tensor, f: impl Fn(f64) -> f64) -> Vec<f64> {
    values(x).into_iter().map(f).collect()
}

/// The single gradient of `y` with respect to `x`.
fn d(y: &Tensor, x: &Tensor, create_graph: bool) -> Tensor {
    grad(from_ref(y), from_ref(x), None, create_graph).remove(0)
}

// ---------------------------------------------------------------------------------------------
// backward() and .grad()
// ---------------------------------------------------------------------------------------------

#[test]
fn backward_accumulates_into_leaves_and_zero_grad_clears() {
    let x = leaf(&[1.0, 2.0, 3.0], &[3]);
    assert!(x.is_leaf() && x.requires_grad());
    assert!(x.grad().is_none(), "a fresh leaf has no gradient");

    let h = x.mul(&x); // non-leaf
    let y = h.sum_all();
    y.backward();
    assert_eq!(values(&x.grad().expect("x.grad after backward")), vec![2.0, 4.0, 6.0]);
    let g = x.grad().unwrap();
    assert_eq!(g.shape(), x.shape());
    assert!(
        !g.requires_grad(),
        "without create_graph the stored gradient is a constant"
    );

    // A second backward through the same (retained) graph accumulates.
    y.backward();
    assert_eq!(values(&x.grad().unwrap()), vec![4.0, 8.0, 12.0]);
    // The first handle is not mutated in place.
    assert_eq!(values(&g), vec![2.0, 4.0, 6.0]);

    // Intermediates get no .grad (PyTorch warns and returns None for non-leaf .grad).
    assert!(!h.is_leaf() && h.requires_grad());
    assert!(h.grad().is_none());
    assert!(y.grad().is_none());

    x.zero_grad();
    assert!(x.grad().is_none());
    y.backward();
    assert_eq!(values(&x.grad().unwrap()), vec![2.0, 4.0, 6.0]);
}

#[test]
fn backward_reaches_every_leaf_that_requires_grad() {
    let w = leaf(&[2.0, -1.0], &[2]);
    let b = leaf(&[0.5], &[1]);
    let x = t(&[3.0, 4.0], &[2]); // a constant input: no gradient
    let y = w.mul(&x).add(&b).square().sum_all(); // Σ (w·x + b)²
    y.backward();
    // r = w·x + b = [6.5, -3.5]; dy/dw = 2 r x, dy/db = Σ 2 r.
    assert_eq!(values(&w.grad().unwrap()), vec![39.0, -28.0]);
    assert_eq!(values(&b.grad().unwrap()), vec![6.0]);
    assert!(x.grad().is_none());

    // A leaf that is itself the (scalar) output.
    let s = leaf(&[5.0], &[]);
    s.backward();
    assert_eq!(s.grad().unwrap().item(), 1.0);
}

#[test]
fn backward_of_a_non_scalar_needs_a_gradient() {
    let x = leaf(&[1.0, 2.0, 3.0], &[3]);
    let y = x.mul(&x);
    let msg = panic_message(|| y.backward());
    assert!(
        msg.contains("grad can be implicitly created only for scalar outputs"),
        "{msg}"
    );
    assert!(x.grad().is_none(), "a failed backward must not leave a gradient");
    // With an explicit output gradient (the free function), it is a vector-Jacobian product.
    backward(&y, Some(&t(&[1.0, 0.5, 2.0], &[3])), false);
    assert_eq!(values(&x.grad().unwrap()), vec![2.0, 2.0, 12.0]);
}

#[test]
fn backward_with_create_graph_stores_a_differentiable_gradient() {
    let x = leaf(&[1.0, -2.0], &[2]);
    let y = x.pow_scalar(3.0).sum_all();
    backward(&y, None, true);
    let g = x.grad().unwrap();
    assert!(g.requires_grad(), "create_graph=true keeps the gradient in the graph");
    assert_close(&values(&g), &[3.0, 12.0], 1e-15);
    // d/dx Σ 3x² = 6x.
    assert_close(&values(&d(&g.sum_all(), &x, false)), &[6.0, -12.0], 1e-15);
}

// ---------------------------------------------------------------------------------------------
// grad()
// ---------------------------------------------------------------------------------------------

#[test]
fn grad_values_and_unused_inputs() {
    let x = leaf(&[1.0, 2.0], &[2]);
    let y = leaf(&[3.0, -1.0], &[2]);
    let unused = leaf(&[7.0, 7.0, 7.0], &[3]);
    let f = x.square().mul(&y).sum_all(); // Σ x² y
    let gs = grad(&[f], &[x.clone(), y.clone(), unused.clone()], None, false);
    assert_eq!(gs.len(), 3);
    assert_eq!(values(&gs[0]), vec![6.0, -4.0]); // 2xy
    assert_eq!(values(&gs[1]), vec![1.0, 4.0]); // x²

    // An input the output does not depend on gets zeros of its shape (materialize_grads).
    assert_eq!((gs[2].shape(), values(&gs[2])), (&[3usize][..], vec![0.0; 3]));
    assert!(
        gs.iter().all(|g| !g.requires_grad()),
        "create_graph=false gives constants"
    );
    // grad() does not touch .grad.
    assert!(x.grad().is_none() && y.grad().is_none());
    // The gradient of an output with respect to itself is the seed.
    let z = x.exp().sum_all();
    assert_eq!(d(&z, &z, false).item(), 1.0);
}

#[test]
fn grad_with_grad_outputs_is_a_vector_jacobian_product() {
    let x = leaf(&[0.0, 1.0], &[2]);
    let y = x.exp();
    let v = t(&[1.0, 2.0], &[2]);
    let g = grad(from_ref(&y), from_ref(&x), Some(&[v]), false).remove(0);
    assert_close(&values(&g), &[1.0, 2.0 * 1f64.exp()], 1e-15);
    // Several outputs: seeds add up.
    let a = x.mul_scalar(2.0).sum_all();
    let b = x.mul_scalar(3.0).sum_all();
    assert_eq!(
        values(&grad(&[a.clone(), b], from_ref(&x), None, false)[0]),
        vec![5.0, 5.0]
    );
    // The same output twice counts twice.
    assert_eq!(
        values(&grad(&[a.clone(), a], from_ref(&x), None, false)[0]),
        vec![4.0, 4.0]
    );
    // A grad_output of the wrong shape panics.
    let msg = panic_message(|| drop(grad(&[y], &[x], Some(&[t(&[1.0], &[1])]), false)));
    assert!(
        msg.contains("grad") && msg.contains("[2]") && msg.contains("[1]"),
        "{msg}"
    );
}

#[test]
fn grad_of_a_non_scalar_without_grad_outputs_panics() {
    let x = leaf(&[1.0, 2.0], &[2]);
    let y = x.mul_scalar(2.0);
    let msg = panic_message(|| drop(grad(&[y], &[x], None, false)));
    assert!(
        msg.contains("grad can be implicitly created only for scalar outputs"),
        "{msg}"
    );
}

#[test]
fn grad_of_an_output_that_does_not_require_grad_panics() {
    let x = t(&[1.0, 2.0], &[2]); // no requires_grad
    let y = x.square().sum_all();
    assert!(!y.requires_grad());
    let msg = panic_message(|| drop(grad(&[y], &[x], None, false)));
    assert!(msg.contains("does not require grad"), "{msg}");
}

#[test]
fn grad_with_respect_to_a_tensor_that_does_not_require_grad_panics() {
    let x = leaf(&[1.0, 2.0], &[2]);
    let c = t(&[3.0, 4.0], &[2]); // a constant
    let y = x.mul(&c).sum_all();
    let msg = panic_message(|| drop(grad(&[y], &[x.clone(), c.clone()], None, false)));
    assert!(
        msg.contains("input 1") && msg.contains("does not require grad"),
        "{msg}"
    );
}

// ---------------------------------------------------------------------------------------------
// Cutting the graph: detach, requires_grad_(false), no_grad / enable_grad
// ---------------------------------------------------------------------------------------------

#[test]
fn detach_cuts_the_graph() {
    let x = leaf(&[1.5, -2.0], &[2]);
    let xd = x.detach();
    assert!(xd.is_leaf() && !xd.requires_grad());
    assert!(xd.shares_storage_with(&x));
    // y = x · detach(x): dy/dx = detach(x) (not 2x).
    let y = x.mul(&xd).sum_all();
    assert_eq!(values(&d(&y, &x, false)), vec![1.5, -2.0]);
    // A branch entirely through the detached value contributes nothing.
    let z = x.add(&xd.exp()).sum_all();
    assert_eq!(values(&d(&z, &x, false)), vec![1.0, 1.0]);
    // Detaching an intermediate cuts everything below it.
    let h = x.square();
    let w = h.detach().mul(&x).sum_all(); // d/dx = x² only
    assert_eq!(values(&d(&w, &x, false)), vec![2.25, 4.0]);
    let only_detached = h.detach().mul_scalar(3.0);
    assert!(!only_detached.requires_grad() && only_detached.is_leaf());
}

#[test]
fn requires_grad_false_makes_a_constant_leaf() {
    let x = leaf(&[1.0, 2.0], &[2]);
    let c = x.requires_grad_(false);
    assert!(c.is_leaf() && !c.requires_grad());
    assert!(c.shares_storage_with(&x));
    assert!(x.requires_grad(), "the original handle still requires grad");
    let y = c.square().sum_all();
    assert!(!y.requires_grad() && y.is_leaf() && y.op().is_none());
    // Turning an intermediate into a fresh leaf.
    let h = x.mul_scalar(2.0);
    let l = h.requires_grad_(true);
    assert!(l.is_leaf() && l.requires_grad() && !h.is_leaf());
    let f = l.square().sum_all();
    assert_eq!(values(&d(&f, &l, false)), vec![4.0, 8.0]);
    assert_eq!(values(&d(&f, &x, false)), vec![0.0, 0.0], "the new leaf is cut from x");
}

#[test]
fn no_grad_results_are_constant_leaves() {
    let x = leaf(&[1.0, 2.0], &[2]);
    assert!(is_grad_enabled());
    {
        let _guard = no_grad();
        assert!(!is_grad_enabled());
        let y = x.mul_scalar(2.0).exp().sum_all();
        assert!(!y.requires_grad() && y.is_leaf());
        let v = x.reshape(&[2, 1]); // views too
        assert!(!v.requires_grad() && v.is_leaf());
        // Leaves keep their flag; new leaves may still be made to require grad.
        assert!(x.requires_grad());
        assert!(t(&[1.0], &[1]).requires_grad_(true).requires_grad());
    }
    assert!(is_grad_enabled(), "dropping the guard restores recording");
    let y = x.mul_scalar(2.0);
    assert!(y.requires_grad() && !y.is_leaf());
}

#[test]
fn nested_grad_modes_restore_the_previous_mode() {
    let x = leaf(&[1.0], &[1]);
    assert!(is_grad_enabled());
    let outer = no_grad();
    assert!(!is_grad_enabled());
    {
        let _inner = enable_grad();
        assert!(is_grad_enabled());
        let y = x.mul_scalar(3.0);
        assert!(y.requires_grad(), "enable_grad inside no_grad records again");
        assert_eq!(values(&d(&y.sum_all(), &x, false)), vec![3.0]);
        {
            let _again = no_grad();
            assert!(!is_grad_enabled());
            {
                let _nested = no_grad();
                assert!(!is_grad_enabled());
            }
            assert!(!is_grad_enabled(), "inner no_grad restores no_grad");
        }
        assert!(is_grad_enabled(), "no_grad inside enable_grad restores enable_grad");
    }
    assert!(!is_grad_enabled(), "enable_grad restores the outer no_grad");
    // The mode is per thread: a new thread records by default.
    assert!(std::thread::spawn(is_grad_enabled).join().unwrap());
    drop(outer);
    assert!(is_grad_enabled());
}

#[test]
fn grad_and_backward_leave_the_grad_mode_unchanged() {
    let x = leaf(&[2.0], &[1]);
    let y = x.square().sum_all();
    let _ = d(&y, &x, false);
    assert!(is_grad_enabled());
    let _ = d(&y, &x, true);
    assert!(is_grad_enabled());
    y.backward();
    assert!(is_grad_enabled());
    let _g = no_grad();
    // Differentiating a graph built earlier works inside no_grad, and create_graph still
    // records the derivative graph (as torch.autograd.grad does).
    let g = d(&y, &x, true);
    assert!(!is_grad_enabled());
    assert_eq!(values(&g), vec![4.0]);
    assert!(g.requires_grad());
}

// ---------------------------------------------------------------------------------------------
// Higher-order derivatives (create_graph)
// ---------------------------------------------------------------------------------------------

#[test]
fn derivatives_of_x_cubed_to_third_order() {
    let pts = [-1.5, 0.0, 0.5, 2.0];
    for (name, cube) in [
        ("pow_scalar", (|x: &Tensor| x.pow_scalar(3.0)) as fn(&Tensor) -> Tensor),
        ("x*x*x", |x: &Tensor| x.mul(x).mul(x)),
    ] {
        let x = leaf(&pts, &[4]);
        let g1 = d(&cube(&x).sum_all(), &x, true);
        assert!(g1.requires_grad(), "{name}");
        assert_close(&values(&g1), &pts.map(|v| 3.0 * v * v), 1e-15);
        let g2 = d(&g1.sum_all(), &x, true);
        assert_close(&values(&g2), &pts.map(|v| 6.0 * v), 1e-15);
        let g3 = d(&g2.sum_all(), &x, false);
        assert_close(&values(&g3), &[6.0; 4], 1e-15);
        assert!(!g3.requires_grad(), "{name}: create_graph=false at the last step");
    }
}

#[test]
fn second_and_third_derivatives_of_sin() {
    let pts = [-1.0, 0.0, 0.3, 2.0];
    let x = leaf(&pts, &[4]);
    let g1 = d(&x.sin().sum_all(), &x, true);
    assert_close(&values(&g1), &pts.map(f64::cos), 1e-15);
    let g2 = d(&g1.sum_all(), &x, true);
    assert_close(&values(&g2), &pts.map(|v| -v.sin()), 1e-15);
    let g3 = d(&g2.sum_all(), &x, false);
    assert_close(&values(&g3), &pts.map(|v| -v.cos()), 1e-15);
}

#[test]
fn mixed_partials_of_x_times_y_squared() {
    let x = leaf(&[1.5], &[]);
    let y = leaf(&[-2.0], &[]);
    let z = x.mul(&y.square()); // z = x y²
    let gs = grad(&[z], &[x.clone(), y.clone()], None, true);
    let (zx, zy) = (&gs[0], &gs[1]);
    // ∂z/∂x = y², ∂z/∂y = 2xy.
    assert_eq!((zx.item(), zy.item()), (4.0, -6.0));
    // ∂²z/∂x∂y = 2y both ways; ∂²z/∂y² = 2x; ∂²z/∂x² = 0.
    let zyx = grad(from_ref(zy), &[x.clone(), y.clone()], None, false);
    assert_eq!((zyx[0].item(), zyx[1].item()), (-4.0, 3.0));
    let zxy = grad(from_ref(zx), &[x.clone(), y.clone()], None, false);
    assert_eq!((zxy[0].item(), zxy[1].item()), (0.0, -4.0));
}

/// Rules that reuse the op's output (exp, sqrt, recip, tanh, sigmoid, div) or divide by the
/// input (log, log1p) must differentiate again correctly: second derivatives in closed form.
#[test]
fn second_derivatives_of_elementwise_rules() {
    let pts = [0.25, 0.8, 1.5, 3.0];
    type Case = (&'static str, fn(&Tensor) -> Tensor, fn(f64) -> f64);
    let cases: [Case; 9] = [
        ("exp", |x| x.exp(), f64::exp),
        ("log", |x| x.log(), |v| -1.0 / (v * v)),
        ("log1p", |x| x.log1p(), |v| -1.0 / ((1.0 + v) * (1.0 + v))),
        ("sqrt", |x| x.sqrt(), |v| -0.25 * v.powf(-1.5)),
        ("recip", |x| x.recip(), |v| 2.0 / (v * v * v)),
        ("tanh", |x| x.tanh(), |v| -2.0 * v.tanh() * (1.0 - v.tanh().powi(2))),
        (
            "sigmoid",
            |x| x.sigmoid(),
            |v| {
                let s = 1.0 / (1.0 + (-v).exp());
                s * (1.0 - s) * (1.0 - 2.0 * s)
            },
        ),
        ("cos", |x| x.cos(), |v| -v.cos()),
        ("pow 2.5", |x| x.pow_scalar(2.5), |v| 2.5 * 1.5 * v.powf(0.5)),
    ];
    for (name, f, f2) in cases {
        let x = leaf(&pts, &[4]);
        let g1 = d(&f(&x).sum_all(), &x, true);
        let g2 = d(&g1.sum_all(), &x, false);
        let expected = pts.map(f2);
        let actual = values(&g2);
        for (a, e) in actual.iter().zip(&expected) {
            assert!(
                (a - e).abs() <= 1e-12 * (1.0 + e.abs()),
                "{name}'': got {actual:?}, expected {expected:?}"
            );
        }
    }
    // Division in both arguments: f = x / y, f_yy = 2x/y³, f_xy = -1/y², f_xx = 0.
    let x = leaf(&[3.0], &[]);
    let y = leaf(&[2.0], &[]);
    let fy = grad(&[x.div(&y)], from_ref(&y), None, true).remove(0);
    assert_eq!(fy.item(), -0.75);
    let second = grad(&[fy], &[x.clone(), y.clone()], None, false);
    assert_eq!((second[0].item(), second[1].item()), (-0.25, 0.75));
    let fx = grad(&[x.div(&y)], from_ref(&x), None, true).remove(0);
    assert_eq!(fx.item(), 0.5);
    assert_eq!(grad(&[fx], &[x.clone(), y.clone()], None, false)[1].item(), -0.25);
    // Exponent of pow: d²/dy² xʸ = xʸ (ln x)².
    let b = t(&[2.0], &[]);
    let e = leaf(&[3.0], &[]);
    let ge = d(&b.pow(&e), &e, true);
    assert!((ge.item() - 8.0 * 2f64.ln()).abs() < 1e-14);
    assert!((d(&ge, &e, false).item() - 8.0 * 2f64.ln().powi(2)).abs() < 1e-13);
}

#[test]
fn hessian_vector_product_through_double_backward() {
    // f = Σ x³ + x₀x₁: H = diag(6x) + [[0,1],[1,0]].
    let x = leaf(&[1.0, -2.0], &[2]);
    let f = x.pow_scalar(3.0).sum_all().add(&x.select(0, 0).mul(&x.select(0, 1)));
    let gx = d(&f, &x, true);
    assert_close(&values(&gx), &[3.0 - 2.0, 12.0 + 1.0], 1e-15);
    let v = t(&[1.0, 3.0], &[2]);
    let hv = grad(&[gx], &[x], Some(&[v]), false).remove(0);
    assert_close(&values(&hv), &[6.0 + 3.0, -36.0 + 1.0], 1e-15);
}

#[test]
fn gradient_with_respect_to_grad_outputs() {
    // relu: the rule is v·[x > 0], so its gradient with respect to v is the mask.
    let x = leaf(&[-1.0, 0.0, 2.0], &[3]);
    let v = leaf(&[3.0, 4.0, 5.0], &[3]);
    let gx = grad(&[x.relu()], from_ref(&x), Some(from_ref(&v)), true).remove(0);
    assert_eq!(values(&gx), vec![0.0, 0.0, 5.0]);
    assert!(gx.requires_grad(), "the VJP depends on v, which requires grad");
    assert_eq!(values(&d(&gx.sum_all(), &v, false)), vec![0.0, 0.0, 1.0]);

    // tanh: gx = v (1 - tanh²x); d/dv = 1 - tanh²x, d/dx = -2 v tanh x (1 - tanh²x).
    let pts = [-0.5, 0.25, 1.0];
    let x = leaf(&pts, &[3]);
    let gx = grad(&[x.tanh()], from_ref(&x), Some(from_ref(&v)), true).remove(0);
    let both = grad(&[gx.sum_all()], &[v.clone(), x.clone()], None, false);
    let th = pts.map(f64::tanh);
    assert_close(&values(&both[0]), &th.map(|t| 1.0 - t * t), 1e-15);
    let expected: Vec<f64> = th
        .iter()
        .zip([3.0, 4.0, 5.0])
        .map(|(t, v)| -2.0 * v * t * (1.0 - t * t))
        .collect();
    assert_close(&values(&both[1]), &expected, 1e-14);
}

// ---------------------------------------------------------------------------------------------
// Accumulation over repeated uses; intermediates as inputs
// ---------------------------------------------------------------------------------------------

#[test]
fn repeated_uses_and_repeated_inputs_accumulate() {
    let pts = [-1.0, 0.5, 3.0];
    let x = leaf(&pts, &[3]);
    let y = x.mul(&x).add(&x).sum_all(); // d/dx = 2x + 1
    let expected = pts.map(|v| 2.0 * v + 1.0);
    assert_eq!(values(&d(&y, &x, false)), expected.to_vec());
    // The same input listed twice gets the full gradient in both slots.
    let gs = grad(from_ref(&y), &[x.clone(), x.clone()], None, false);
    assert_eq!(values(&gs[0]), expected.to_vec());
    assert_eq!(values(&gs[1]), expected.to_vec());
    // Via backward, too.
    y.backward();
    assert_eq!(values(&x.grad().unwrap()), expected.to_vec());

    // A diamond: a = eˣ used twice, y = a² + sin a, dy/dx = (2a + cos a)·a.
    let a = x.exp();
    let y = a.square().add(&a.sin()).sum_all();
    let exp: Vec<f64> = pts.iter().map(|v| v.exp()).map(|a| (2.0 * a + a.cos()) * a).collect();
    assert_close(&values(&d(&y, &x, false)), &exp, 1e-14);

    // Broadcast uses accumulate over the broadcast dims.
    let s = leaf(&[2.0], &[]);
    let m = t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let y = m.mul(&s).add(&s).sum_all(); // d/ds = Σ m + 4
    assert_eq!(d(&y, &s, false).item(), 14.0);
}

/// Several outputs where one is computed from the other: each output's seed flows through the
/// other's graph too (PyTorch sums the contributions).
#[test]
fn outputs_that_depend_on_each_other() {
    let x = leaf(&[1.0, -2.0], &[2]);
    let h = x.square().sum_all(); // dh/dx = 2x
    let y = h.mul_scalar(3.0); // dy/dx = 6x
    for outputs in [[y.clone(), h.clone()], [h.clone(), y.clone()]] {
        assert_eq!(values(&grad(&outputs, from_ref(&x), None, false)[0]), vec![8.0, -16.0]);
    }
    // Weighted seeds.
    let gs = grad(
        &[y, h.clone()],
        &[x.clone(), h],
        Some(&[
            Tensor::scalar(2.0, DType::F64, &DEV),
            Tensor::scalar(-1.0, DType::F64, &DEV),
        ]),
        false,
    );
    assert_eq!(values(&gs[0]), vec![10.0, -20.0]); // (2·3 - 1)·2x
    assert_eq!(gs[1].item(), 5.0); // 2·3 - 1
}

#[test]
fn intermediates_can_be_grad_inputs() {
    let x = leaf(&[1.0, -2.0, 0.5], &[3]);
    let hidden = x.tanh();
    let loss = hidden.mul_scalar(3.0).sum_all();
    assert_eq!(values(&d(&loss, &hidden, false)), vec![3.0; 3]);
    // Both the intermediate and the leaf at once.
    let gs = grad(from_ref(&loss), &[hidden.clone(), x.clone()], None, false);
    assert_eq!(values(&gs[0]), vec![3.0; 3]);
    assert_close(&values(&gs[1]), &map(&x, |v| 3.0 * (1.0 - v.tanh().powi(2))), 1e-15);
    // An intermediate used twice.
    let loss2 = hidden.mul(&hidden).sum_all();
    assert_close(&values(&d(&loss2, &hidden, false)), &map(&hidden, |h| 2.0 * h), 1e-15);
    // An intermediate that is not on the path of the output gets zeros.
    let other = x.exp();
    assert_eq!(values(&d(&loss, &other, false)), vec![0.0; 3]);
    // Second order with respect to an intermediate: d²(Σ h³)/dh² = 6h.
    let g = d(&hidden.pow_scalar(3.0).sum_all(), &hidden, true);
    assert_close(
        &values(&d(&g.sum_all(), &hidden, false)),
        &map(&hidden, |h| 6.0 * h),
        1e-14,
    );
}

/// `Tensor` is `Send + Sync`, so threads may share a graph: PyTorch's AccumulateGrad takes a lock,
/// and concurrent `backward()` calls into one leaf must not lose updates. Here `backward()` reads
/// `.grad`, adds, and writes it back under two separate lock acquisitions, so concurrent calls
/// overwrite each other's contributions.
#[test]
fn concurrent_backward_accumulates_every_contribution() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Tensor>();
    let x = leaf(&[1.0; 64], &[64]);
    let y = x.mul_scalar(1.0).sum_all();
    let (threads, calls) = (4, 300);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..calls {
                    y.backward();
                }
            });
        }
    });
    let total = (threads * calls) as f64;
    assert_eq!(
        values(&x.grad().unwrap()),
        vec![total; 64],
        "lost gradient accumulations"
    );
}

/// The same graph differentiated from several threads at once with `grad()` (no shared `.grad`).
#[test]
fn concurrent_grad_calls_on_a_shared_graph() {
    let x = leaf(&[0.5, -1.0, 2.0], &[3]);
    let y = x.pow_scalar(3.0).sum_all();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let mut last = Vec::new();
                    for _ in 0..50 {
                        let g = d(&y, &x, true);
                        last = values(&d(&g.sum_all(), &x, false));
                    }
                    last
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), vec![3.0, -6.0, 12.0]);
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Long chains
// ---------------------------------------------------------------------------------------------

/// 5000 successive ops backpropagate and the graph drops, on a thread with a normal 2 MiB stack.
#[test]
fn long_chain_backpropagates_and_drops_on_a_small_stack() {
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let x = leaf(&[0.5, -1.0], &[2]);
            let mut y = x.clone();
            for _ in 0..5000 {
                y = y.add_scalar(1.0);
            }
            assert_eq!(values(&y), vec![5000.5, 4999.0]);
            let loss = y.sum_all();
            loss.backward();
            assert_eq!(values(&x.grad().unwrap()), vec![1.0, 1.0]);
            assert_eq!(values(&d(&loss, &x, false)), vec![1.0, 1.0]);

            // A multiplicative chain: d/dx (c⁵⁰⁰⁰ x) = c⁵⁰⁰⁰.
            let mut z = x.clone();
            for _ in 0..5000 {
                z = z.mul_scalar(1.0001);
            }
            let gz = d(&z.sum_all(), &x, false);
            assert_close(&values(&gz), &[1.0001f64.powi(5000); 2], 1e-12);

            // The last handles to the 5000-node graphs go here.
            drop(loss);
            drop(y);
            drop(z);
            x.grad().unwrap().sum_all().item()
        })
        .expect("spawn");
    assert_eq!(handle.join().expect("the chain thread panicked or overflowed"), 2.0);
}

/// A graph far deeper than any stack could tear down recursively (100k ops of several kinds,
/// including views and `where`), built, differentiated and dropped on a 2 MiB stack.
#[test]
fn very_deep_mixed_graph_drops_without_recursion() {
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let x = leaf(&[0.5, -1.0], &[2]);
            let ones = t(&[1.0, 1.0], &[2]);
            let all = Tensor::from_vec(vec![true, true], &[2], &DEV);
            let mut y = x.clone();
            for i in 0..100_000 {
                y = match i % 4 {
                    0 => y.add_scalar(1.0),
                    1 => y.mul(&ones),
                    2 => y.unsqueeze(1).mt().flatten_all(),
                    _ => Tensor::where_cond(&all, &y, &ones),
                };
            }
            assert_eq!(values(&y), vec![25_000.5, 24_999.0]);
            assert_eq!(values(&d(&y.sum_all(), &x, false)), vec![1.0, 1.0]);
            drop(y);
            true
        })
        .expect("spawn");
    assert!(handle.join().expect("the deep-graph thread panicked or overflowed"));
}

// ---------------------------------------------------------------------------------------------
// PyTorch's conventions at non-smooth points
// ---------------------------------------------------------------------------------------------

#[test]
fn maximum_and_minimum_split_ties_evenly() {
    let x = leaf(&[1.0, 2.0, 3.0], &[3]);
    let y = leaf(&[1.0, 0.0, 3.0], &[3]);
    let gs = grad(&[x.maximum(&y).sum_all()], &[x.clone(), y.clone()], None, false);
    assert_eq!(values(&gs[0]), vec![0.5, 1.0, 0.5]);
    assert_eq!(values(&gs[1]), vec![0.5, 0.0, 0.5]);
    let gs = grad(&[x.minimum(&y).sum_all()], &[x.clone(), y.clone()], None, false);
    assert_eq!(values(&gs[0]), vec![0.5, 0.0, 0.5]);
    assert_eq!(values(&gs[1]), vec![0.5, 1.0, 0.5]);
    // Against a broadcast scalar: its gradient sums over the elements.
    let s = leaf(&[2.0], &[]);
    let gs = grad(&[x.maximum(&s).sum_all()], &[x.clone(), s.clone()], None, false);
    assert_eq!(values(&gs[0]), vec![0.0, 0.5, 1.0]);
    assert_eq!(gs[1].item(), 1.5);
}

#[test]
fn max_and_min_reductions_share_ties_evenly() {
    let x = leaf(&[1.0, 3.0, 3.0, 2.0, 2.0, 2.0], &[2, 3]);
    let g = d(&x.max(&[1], false).sum_all(), &x, false);
    assert_close(&values(&g), &[0.0, 0.5, 0.5, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0], 1e-15);
    let g = d(&x.max_all(), &x, false);
    assert_eq!(values(&g), vec![0.0, 0.5, 0.5, 0.0, 0.0, 0.0]);
    let g = d(&x.min(&[0], true).sum_all(), &x, false);
    assert_eq!(values(&g), vec![1.0, 0.0, 0.0, 0.0, 1.0, 1.0]);
    let g = d(&x.min_all(), &x, false);
    assert_eq!(values(&g), vec![1.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    // Weighted: the output gradient is what gets shared.
    let w = t(&[10.0, 30.0], &[2]);
    let g = d(&x.max(&[1], false).mul(&w).sum_all(), &x, false);
    assert_close(&values(&g), &[0.0, 5.0, 5.0, 10.0, 10.0, 10.0], 1e-15);
}

#[test]
fn subgradients_at_kinks() {
    let x = leaf(&[-1.0, 0.0, 1.0], &[3]);
    assert_eq!(
        values(&d(&x.relu().sum_all(), &x, false)),
        vec![0.0, 0.0, 1.0],
        "relu'(0) = 0"
    );
    assert_eq!(
        values(&d(&x.abs().sum_all(), &x, false)),
        vec![-1.0, 0.0, 1.0],
        "abs'(0) = 0"
    );
    assert_eq!(values(&d(&x.sign().sum_all(), &x, false)), vec![0.0, 0.0, 0.0]);

    // clamp passes the gradient inside the closed interval, bounds included.
    let c = leaf(&[-2.0, -1.0, 0.0, 1.0, 2.0], &[5]);
    let g = d(&c.clamp(Some(-1.0), Some(1.0)).sum_all(), &c, false);
    assert_eq!(values(&g), vec![0.0, 1.0, 1.0, 1.0, 0.0]);
    let g = d(&c.clamp(Some(0.0), None).sum_all(), &c, false);
    assert_eq!(values(&g), vec![0.0, 0.0, 1.0, 1.0, 1.0]);
    let g = d(&c.clamp(None, Some(-1.0)).sum_all(), &c, false);
    assert_eq!(values(&g), vec![1.0, 1.0, 0.0, 0.0, 0.0]);
}

#[test]
fn smooth_saturating_functions_have_finite_gradients() {
    // softplus' = sigmoid below the threshold, exactly 1 above it; never NaN.
    let x = leaf(&[-1000.0, 0.0, 20.0, 20.5, 1000.0], &[5]);
    let g = values(&d(&x.softplus().sum_all(), &x, false));
    let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
    assert_close(&g, &[0.0, 0.5, sig(20.0), 1.0, 1.0], 1e-15);
    assert_eq!(g[1], 0.5, "softplus'(0) = 1/2");
    // Second derivative of softplus is σ(1-σ): 1/4 at 0, and 0 (not NaN) far out.
    let g1 = d(&x.softplus().sum_all(), &x, true);
    let g2 = values(&d(&g1.sum_all(), &x, false));
    assert_close(&g2, &[0.0, 0.25, sig(20.0) * (1.0 - sig(20.0)), 0.0, 0.0], 1e-12);

    let s = leaf(&[-1000.0, 0.0, 1000.0], &[3]);
    let g = values(&d(&s.sigmoid().sum_all(), &s, false));
    assert_eq!(g, vec![0.0, 0.25, 0.0]);
    let g = values(&d(&s.tanh().sum_all(), &s, false));
    assert_eq!(g, vec![0.0, 1.0, 0.0]);
    // logsumexp at huge values: the gradient is the softmax; the Hessian diag(p) - ppᵀ.
    let l = leaf(&[1000.0, 1000.0], &[2]);
    assert_eq!(values(&d(&l.logsumexp(&[0], false), &l, false)), vec![0.5, 0.5]);
    let m = leaf(&[0.0, 3f64.ln()], &[2]);
    let gm = d(&m.logsumexp(&[0], false), &m, true);
    assert_close(&values(&gm), &[0.25, 0.75], 1e-15);
    let hv = grad(&[gm], &[m], Some(&[t(&[1.0, 0.0], &[2])]), false).remove(0);
    assert_close(&values(&hv), &[0.1875, -0.1875], 1e-15);
}

#[test]
fn norm_of_zero_has_zero_gradient() {
    let z = leaf(&[0.0, 0.0, 0.0], &[3]);
    let g = values(&d(&z.norm_all(), &z, false));
    assert_eq!(g, vec![0.0, 0.0, 0.0], "PyTorch's subgradient at 0, not NaN");
    let x = leaf(&[3.0, 4.0], &[2]);
    assert_close(&values(&d(&x.norm_all(), &x, false)), &[0.6, 0.8], 1e-15);
    // Per-row norms where one row is zero.
    let m = leaf(&[0.0, 0.0, 3.0, 4.0], &[2, 2]);
    assert_close(
        &values(&d(&m.norm(&[1], false).sum_all(), &m, false)),
        &[0.0, 0.0, 0.6, 0.8],
        1e-15,
    );
}

#[test]
fn pow_gradients_at_zero() {
    // d/dx x^0 = 0 everywhere (also at x = 0, not 0·inf); d/dy 0^y = 0 for y > 0.
    let x = leaf(&[0.0, 2.0], &[2]);
    assert_eq!(values(&d(&x.pow_scalar(0.0).sum_all(), &x, false)), vec![0.0, 0.0]);
    let y = leaf(&[2.0, 3.0], &[2]);
    let gs = grad(&[x.pow(&y).sum_all()], &[x.clone(), y.clone()], None, false);
    assert_eq!(values(&gs[0]), vec![0.0, 12.0]); // y x^(y-1)
    assert_close(&values(&gs[1]), &[0.0, 8.0 * 2f64.ln()], 1e-15); // x^y ln x
}

// ---------------------------------------------------------------------------------------------
// Gradients through views and data movement
// ---------------------------------------------------------------------------------------------

#[test]
fn gradients_through_views() {
    let x = leaf(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let w = t(&[10.0, 20.0, 30.0, 40.0], &[2, 2]);
    // narrow: zeros outside the window.
    let g = d(&x.narrow(1, 1, 2).mul(&w).sum_all(), &x, false);
    assert_eq!(values(&g), vec![0.0, 10.0, 20.0, 0.0, 30.0, 40.0]);
    // select.
    let g = d(&x.select(1, 2).mul(&t(&[5.0, 7.0], &[2])).sum_all(), &x, false);
    assert_eq!(values(&g), vec![0.0, 0.0, 5.0, 0.0, 0.0, 7.0]);
    // permute / mt: the gradient comes back in x's layout.
    let wt = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]);
    let g = d(&x.mt().mul(&wt).sum_all(), &x, false);
    assert_eq!(values(&g), vec![1.0, 3.0, 5.0, 2.0, 4.0, 6.0]);
    // reshape of a non-contiguous view (a copy) still routes gradients.
    let g = d(
        &x.mt()
            .reshape(&[6])
            .mul(&t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[6]))
            .sum_all(),
        &x,
        false,
    );
    assert_eq!(values(&g), vec![1.0, 3.0, 5.0, 2.0, 4.0, 6.0]);
    // expand: sums over the broadcast dim.
    let c = leaf(&[1.0, 2.0], &[2, 1]);
    let g = d(&c.expand(&[2, 3]).mul(&x).sum_all(), &c, false);
    assert_eq!((g.shape(), values(&g)), (&[2usize, 1][..], vec![6.0, 15.0]));
    // unsqueeze / squeeze / flatten.
    let g = d(&x.unsqueeze(0).flatten(1, 2).squeeze(0).square().sum_all(), &x, false);
    assert_eq!(values(&g), map(&x, |v| 2.0 * v));
    // to_dtype between floats: the gradient keeps the input's dtype.
    let g = d(
        &x.to_dtype(DType::F32).mul_scalar(2.0).sum_all().to_dtype(DType::F64),
        &x,
        false,
    );
    assert_eq!((g.dtype(), values(&g)), (DType::F64, vec![2.0; 6]));
}

#[test]
fn gradients_through_data_movement() {
    let a = leaf(&[1.0, 2.0], &[2]);
    let b = leaf(&[3.0, 4.0, 5.0], &[3]);
    let w = t(&[1.0, 2.0, 3.0, 4.0, 5.0], &[5]);
    let gs = grad(
        &[Tensor::cat(&[a.clone(), b.clone()], 0).mul(&w).sum_all()],
        &[a.clone(), b.clone()],
        None,
        false,
    );
    assert_eq!((values(&gs[0]), values(&gs[1])), (vec![1.0, 2.0], vec![3.0, 4.0, 5.0]));
    let s = Tensor::stack(&[a.clone(), a.mul_scalar(2.0)], 1); // [2, 2]
    assert_eq!(
        values(&d(
            &s.mul(&t(&[1.0, 10.0, 100.0, 1000.0], &[2, 2])).sum_all(),
            &a,
            false
        )),
        vec![21.0, 2100.0]
    );
    let p = a.pad(&[(1, 2)], 7.0);
    assert_eq!(values(&d(&p.mul(&w).sum_all(), &a, false)), vec![2.0, 3.0]);

    // gather / index_select with repeated indices accumulate.
    let x = leaf(&[1.0, 2.0, 3.0], &[3]);
    let idx = Tensor::from_vec(vec![2i64, 0, 2, 2], &[4], &DEV);
    assert_eq!(values(&d(&x.gather(0, &idx).sum_all(), &x, false)), vec![1.0, 0.0, 3.0]);
    assert_eq!(
        values(&d(&x.index_select(0, &idx).sum_all(), &x, false)),
        vec![1.0, 0.0, 3.0]
    );
    let m = leaf(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]);
    let rows = Tensor::from_vec(vec![1i64, 1], &[2], &DEV);
    let g = d(
        &m.index_select(0, &rows)
            .mul(&t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]))
            .sum_all(),
        &m,
        false,
    );
    assert_eq!(values(&g), vec![0.0, 0.0, 4.0, 6.0, 0.0, 0.0]);
    // scatter_add: the base gets the gradient as is, the source gathers it.
    let base = leaf(&[0.0, 0.0, 0.0], &[3]);
    let src = leaf(&[1.0, 1.0], &[2]);
    let out = base.scatter_add(0, &Tensor::from_vec(vec![2i64, 0], &[2], &DEV), &src);
    let gs = grad(
        &[out.mul(&t(&[10.0, 20.0, 30.0], &[3])).sum_all()],
        &[base, src],
        None,
        false,
    );
    assert_eq!(
        (values(&gs[0]), values(&gs[1])),
        (vec![10.0, 20.0, 30.0], vec![30.0, 10.0])
    );
    // where: each branch gets the gradient where it was chosen.
    let cond = Tensor::from_vec(vec![true, false, true], &[3], &DEV);
    let (p, q) = (leaf(&[1.0, 2.0, 3.0], &[3]), leaf(&[4.0], &[1]));
    let gs = grad(&[Tensor::where_cond(&cond, &p, &q).sum_all()], &[p, q], None, false);
    assert_eq!((values(&gs[0]), values(&gs[1])), (vec![1.0, 0.0, 1.0], vec![1.0]));
}

#[test]
fn matmul_gradients_including_1d_rules() {
    let a = leaf(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let b = leaf(&[1.0, -1.0, 2.0, 0.0, 0.5, 3.0], &[3, 2]);
    let gs = grad(&[a.matmul(&b).sum_all()], &[a.clone(), b.clone()], None, false);
    // d/dA Σ AB = 1 Bᵀ (row sums of B); d/dB = Aᵀ 1 (column sums of A).
    assert_eq!(values(&gs[0]), vec![0.0, 2.0, 3.5, 0.0, 2.0, 3.5]);
    assert_eq!(values(&gs[1]), vec![5.0, 5.0, 7.0, 7.0, 9.0, 9.0]);
    // 1-D · 1-D: d(u·v)/du = v.
    let u = leaf(&[1.0, 2.0, 3.0], &[3]);
    let v = leaf(&[4.0, 5.0, 6.0], &[3]);
    let gs = grad(&[u.matmul(&v)], &[u.clone(), v.clone()], None, false);
    assert_eq!(
        (values(&gs[0]), values(&gs[1])),
        (vec![4.0, 5.0, 6.0], vec![1.0, 2.0, 3.0])
    );
    // Matrix · vector and its second derivative: f = uᵀ A u with A = [[1,2],[0,3]]: ∇ = (A + Aᵀ)u.
    let m = t(&[1.0, 2.0, 0.0, 3.0], &[2, 2]);
    let w = leaf(&[1.0, -1.0], &[2]);
    let f = w.matmul(&m.matmul(&w));
    let g = d(&f, &w, true);
    assert_eq!(values(&g), vec![0.0, -4.0]);
    let h0 = d(&g.select(0, 0), &w, false);
    assert_eq!(values(&h0), vec![2.0, 2.0]); // first row of A + Aᵀ

    // Batched with a broadcast rhs: gradient of the rhs sums over the batch.
    let batch = leaf(&[1.0, 2.0, 3.0, 4.0], &[2, 1, 2]);
    let r = leaf(&[1.0, 1.0], &[2, 1]);
    let gs = grad(&[batch.matmul(&r).sum_all()], &[batch, r], None, false);
    assert_eq!(values(&gs[0]), vec![1.0; 4]);
    assert_eq!(values(&gs[1]), vec![4.0, 6.0]);
}

// ---------------------------------------------------------------------------------------------
// Custom ops
// ---------------------------------------------------------------------------------------------

/// `x²` with the backward `2·x·g`, written in differentiable tensor ops.
struct Square;

impl CustomBackward for Square {
    fn name(&self) -> &str {
        "Square"
    }
    fn backward(&self, grad: &Tensor, _result: &Tensor, inputs: &[Tensor], needs: &[bool]) -> Vec<Option<Tensor>> {
        vec![needs[0].then(|| grad.mul(&inputs[0]).mul_scalar(2.0))]
    }
}

fn custom_square(x: &Tensor) -> Tensor {
    let value = x.detach().square(); // the "fused kernel": computed without the graph
    Tensor::from_custom_op(&value, from_ref(x), Arc::new(Square))
}

/// `eˣ` whose backward reuses the op's own result, like a saved output in PyTorch.
struct Exp;

impl CustomBackward for Exp {
    fn name(&self) -> &str {
        "Exp"
    }
    fn backward(&self, grad: &Tensor, result: &Tensor, _inputs: &[Tensor], needs: &[bool]) -> Vec<Option<Tensor>> {
        vec![needs[0].then(|| grad.mul(result))]
    }
}

/// `a·b`, recording which gradients autograd asked for.
struct Mul {
    needs_seen: Mutex<Vec<Vec<bool>>>,
}

impl CustomBackward for Mul {
    fn name(&self) -> &str {
        "CustomMul"
    }
    fn backward(&self, grad: &Tensor, _result: &Tensor, inputs: &[Tensor], needs: &[bool]) -> Vec<Option<Tensor>> {
        self.needs_seen.lock().unwrap().push(needs.to_vec());
        vec![
            needs[0].then(|| grad.mul(&inputs[1])),
            needs[1].then(|| grad.mul(&inputs[0])),
        ]
    }
}

#[test]
fn custom_op_first_and_second_derivatives() {
    let pts = [-1.5, 0.0, 2.0];
    let x = leaf(&pts, &[3]);
    let y = custom_square(&x);
    assert!(y.requires_grad() && !y.is_leaf());
    assert_eq!(y.op().expect("a recorded op").name(), "Square");
    assert_eq!(values(&y), vec![2.25, 0.0, 4.0]);

    y.sum_all().backward();
    assert_eq!(values(&x.grad().unwrap()), vec![-3.0, 0.0, 4.0]);

    let g = d(&y.mul_scalar(0.5).sum_all(), &x, true);
    assert_eq!(values(&g), pts.to_vec());
    assert!(g.requires_grad());
    assert_eq!(values(&d(&g.sum_all(), &x, false)), vec![1.0; 3]);
    // Composed with built-in ops on both sides: d/dx sin(x)² = sin 2x, d² = 2 cos 2x.
    let s = custom_square(&x.sin()).sum_all();
    let g1 = d(&s, &x, true);
    assert_close(&values(&g1), &pts.map(|v| (2.0 * v).sin()), 1e-15);
    assert_close(
        &values(&d(&g1.sum_all(), &x, false)),
        &pts.map(|v| 2.0 * (2.0 * v).cos()),
        1e-14,
    );

    // Under no_grad the custom op records nothing.
    let _guard = no_grad();
    let c = custom_square(&x);
    assert!(!c.requires_grad() && c.is_leaf());
}

#[test]
fn custom_op_backward_may_use_its_result() {
    let pts = [-1.0, 0.0, 0.7];
    let x = leaf(&pts, &[3]);
    let y = Tensor::from_custom_op(&x.detach().exp(), from_ref(&x), Arc::new(Exp));
    let g1 = d(&y.sum_all(), &x, true);
    assert_close(&values(&g1), &pts.map(f64::exp), 1e-15);
    // The result is itself differentiable, so every order is eˣ.
    let g2 = d(&g1.sum_all(), &x, true);
    assert_close(&values(&g2), &pts.map(f64::exp), 1e-15);
    let g3 = d(&g2.sum_all(), &x, false);
    assert_close(&values(&g3), &pts.map(f64::exp), 1e-15);
}

#[test]
fn custom_op_is_asked_only_for_needed_gradients() {
    let op = Arc::new(Mul {
        needs_seen: Mutex::new(Vec::new()),
    });
    let a = leaf(&[2.0, 3.0], &[2]);
    let b = t(&[5.0, 7.0], &[2]); // a constant
    let value = a.detach().mul(&b);
    let y = Tensor::from_custom_op(&value, &[a.clone(), b.clone()], op.clone());
    assert_eq!(values(&d(&y.sum_all(), &a, false)), vec![5.0, 7.0]);
    assert_eq!(*op.needs_seen.lock().unwrap(), vec![vec![true, false]]);

    let b2 = leaf(&[5.0, 7.0], &[2]);
    let y2 = Tensor::from_custom_op(&a.detach().mul(&b2.detach()), &[a.clone(), b2.clone()], op.clone());
    // Only b2 is requested: a is not on a path to a target.
    assert_eq!(values(&d(&y2.sum_all(), &b2, false)), vec![2.0, 3.0]);
    assert_eq!(op.needs_seen.lock().unwrap()[1], vec![false, true]);
    let gs = grad(&[y2.sum_all()], &[a, b2], None, false);
    assert_eq!((values(&gs[0]), values(&gs[1])), (vec![5.0, 7.0], vec![2.0, 3.0]));
    assert_eq!(op.needs_seen.lock().unwrap()[2], vec![true, true]);
}
