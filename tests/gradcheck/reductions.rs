//! Reductions over several dimensions and the composed statistics built on them.

use super::{check_both, randn};

#[test]
fn sum_over_several_dims() {
    let x = randn(&[2, 3, 4], 20);
    check_both(
        "sum keepdim",
        |a| a[0].sum(&[0, 2], true).square(),
        std::slice::from_ref(&x),
    );
    check_both("sum", |a| a[0].sum(&[2, 0], false).square(), std::slice::from_ref(&x));
    check_both("sum_all", |a| a[0].sum_all().square(), &[x]);
}

#[test]
fn max_and_min_over_dims() {
    // Random values: no ties, so the amax/amin gradient is a one-hot.
    let x = randn(&[3, 2, 4], 21);
    check_both("max", |a| a[0].max(&[0, 2], false).square(), std::slice::from_ref(&x));
    check_both(
        "min keepdim",
        |a| a[0].min(&[1], true).mul(&a[0]),
        std::slice::from_ref(&x),
    );
    check_both("max_all", |a| a[0].max_all(), &[x]);
}

#[test]
fn mean_var_std_norm() {
    let x = randn(&[3, 5], 22);
    check_both("mean", |a| a[0].mean(&[1], true).square(), std::slice::from_ref(&x));
    check_both("var biased", |a| a[0].var(&[0], 0, false), std::slice::from_ref(&x));
    check_both("var unbiased", |a| a[0].var(&[0, 1], 1, true), std::slice::from_ref(&x));
    check_both("std", |a| a[0].std(&[1], 1, false), std::slice::from_ref(&x));
    check_both("norm", |a| a[0].norm(&[1], false), std::slice::from_ref(&x));
    check_both("norm_all", |a| a[0].norm_all(), &[x]);
}

#[test]
fn softmax_family() {
    let x = randn(&[3, 4], 23);
    check_both("softmax", |a| a[0].softmax(1), std::slice::from_ref(&x));
    check_both("softmax dim 0", |a| a[0].softmax(0), std::slice::from_ref(&x));
    check_both("log_softmax", |a| a[0].log_softmax(1), std::slice::from_ref(&x));
    check_both(
        "logsumexp",
        |a| a[0].logsumexp(&[0, 1], false),
        std::slice::from_ref(&x),
    );
    check_both("logsumexp keepdim", |a| a[0].logsumexp(&[1], true), &[x]);
}

#[test]
fn reduction_of_non_contiguous_input() {
    let x = randn(&[4, 3, 2], 24);
    check_both(
        "sum of permuted",
        |a| a[0].permute(&[2, 0, 1]).sum(&[1, 2], false).exp(),
        std::slice::from_ref(&x),
    );
    check_both("max of sliced", |a| a[0].narrow(0, 1, 2).max(&[0], false), &[x]);
}
