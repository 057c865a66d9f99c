//! Unary, binary (with broadcasting), and `where`.

use super::{check_both, randn, uniform};
use learnloss::Tensor;

type UnaryFn = fn(&Tensor) -> Tensor;
type BinaryFn = fn(&Tensor, &Tensor) -> Tensor;

#[test]
fn unary_ops_on_all_reals() {
    let x = randn(&[3, 4], 1);
    let cases: [(&str, UnaryFn); 7] = [
        ("neg", Tensor::neg),
        ("exp", Tensor::exp),
        ("tanh", Tensor::tanh),
        ("sigmoid", Tensor::sigmoid),
        ("sin", Tensor::sin),
        ("cos", Tensor::cos),
        ("square", Tensor::square),
    ];
    for (name, op) in cases {
        check_both(name, |a| op(&a[0]), std::slice::from_ref(&x));
    }
}

#[test]
fn unary_ops_on_their_domains() {
    let pos = uniform(&[2, 5], 0.3, 2.5, 2);
    check_both("log", |a| a[0].log(), std::slice::from_ref(&pos));
    check_both("sqrt", |a| a[0].sqrt(), std::slice::from_ref(&pos));
    check_both("recip", |a| a[0].recip(), std::slice::from_ref(&pos));
    let above_minus_one = uniform(&[7], -0.8, 3.0, 3);
    check_both("log1p", |a| a[0].log1p(), &[above_minus_one]);
}

#[test]
fn piecewise_ops_away_from_kinks() {
    // Values at least 0.05 from 0 so central differences never straddle the kink.
    let x = Tensor::from_vec(vec![-1.3, -0.2, 0.07, 0.5, 2.0, -0.05], &[2, 3], &super::dev()).requires_grad_(true);
    check_both("relu", |a| a[0].relu().mul(&a[0]), std::slice::from_ref(&x));
    check_both("abs", |a| a[0].abs().mul(&a[0].sin()), std::slice::from_ref(&x));
    // sign has derivative 0; composing keeps the output differentiable.
    check_both("sign", |a| a[0].sign().mul(&a[0]), std::slice::from_ref(&x));
}

#[test]
fn binary_ops_with_broadcasting() {
    let a = randn(&[2, 1, 4], 4);
    let b = randn(&[3, 1], 5);
    let cases: [(&str, BinaryFn); 5] = [
        ("add", Tensor::add),
        ("sub", Tensor::sub),
        ("mul", Tensor::mul),
        ("maximum", Tensor::maximum),
        ("minimum", Tensor::minimum),
    ];
    for (name, op) in cases {
        check_both(name, |x| op(&x[0], &x[1]), &[a.clone(), b.clone()]);
    }
    let denom = uniform(&[3, 1], 0.5, 2.0, 6);
    check_both("div", |x| x[0].div(&x[1]), &[a.clone(), denom]);
}

#[test]
fn pow_in_base_and_exponent() {
    let base = uniform(&[2, 3], 0.4, 2.0, 7);
    let exponent = randn(&[3], 8);
    check_both("pow", |x| x[0].pow(&x[1]), &[base.clone(), exponent]);
    check_both("pow_scalar", |x| x[0].pow_scalar(2.5), &[base]);
}

#[test]
fn scalar_operand_variants() {
    let x = randn(&[4], 9);
    check_both("affine", |a| a[0].affine(-1.5, 0.25), std::slice::from_ref(&x));
    check_both(
        "rsub_scalar",
        |a| a[0].rsub_scalar(2.0).mul(&a[0]),
        std::slice::from_ref(&x),
    );
    check_both("div_scalar", |a| a[0].div_scalar(3.0).exp(), &[x]);
}

#[test]
fn where_selects_with_broadcasting() {
    let cond = Tensor::from_vec(vec![true, false, true], &[3], &super::dev());
    let a = randn(&[2, 3], 10);
    let b = randn(&[2, 1], 11);
    check_both(
        "where",
        |x| Tensor::where_cond(&cond, &x[0].mul(&x[0]), &x[1].exp()),
        &[a, b],
    );
}

#[test]
fn non_contiguous_operands() {
    let a = randn(&[3, 4], 12);
    let b = randn(&[4, 3], 13);
    // Permuted, sliced and expanded operands.
    check_both("permuted mul", |x| x[0].mul(&x[1].mt()).tanh(), &[a.clone(), b.clone()]);
    check_both(
        "sliced add",
        |x| x[0].narrow(1, 1, 2).add(&x[1].narrow(0, 2, 2).mt()).exp(),
        &[a.clone(), b],
    );
    let row = randn(&[1, 4], 14);
    check_both("expanded", |x| x[0].expand(&[3, 4]).mul(&x[1]).sin(), &[row, a]);
}
