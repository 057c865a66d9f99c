//! View ops (their gradients are reshapes, inverse permutations, pads and sums) and copies.

use super::{check_both, randn};

#[test]
fn reshape_permute_transpose() {
    let x = randn(&[2, 3, 4], 30);
    check_both("reshape", |a| a[0].reshape(&[6, 4]).sin(), std::slice::from_ref(&x));
    check_both(
        "permute",
        |a| a[0].permute(&[2, 0, 1]).reshape(&[4, 6]).mul(&a[0].reshape(&[4, 6])),
        std::slice::from_ref(&x),
    );
    check_both(
        "transpose",
        |a| a[0].transpose(0, 2).contiguous().exp(),
        std::slice::from_ref(&x),
    );
    // Reshape of a permuted tensor that cannot be a view (copy path).
    check_both(
        "reshape copy",
        |a| a[0].permute(&[1, 0, 2]).reshape(&[6, 4]).cos(),
        &[x],
    );
}

#[test]
fn narrow_select_squeeze_flatten() {
    let x = randn(&[3, 4, 2], 31);
    check_both("narrow", |a| a[0].narrow(1, 1, 2).square(), std::slice::from_ref(&x));
    check_both("select", |a| a[0].select(2, 1).tanh(), std::slice::from_ref(&x));
    check_both(
        "unsqueeze",
        |a| a[0].unsqueeze(1).squeeze(1).exp(),
        std::slice::from_ref(&x),
    );
    check_both("flatten", |a| a[0].flatten(1, 2).square(), &[x]);
}

#[test]
fn expand_sums_back() {
    let x = randn(&[3, 1], 32);
    check_both("expand", |a| a[0].expand(&[2, 3, 4]).square(), std::slice::from_ref(&x));
    let y = randn(&[2, 3, 4], 33);
    check_both("sum_to", |a| a[0].square().sum_to(&[3, 1]), &[y]);
}

#[test]
fn dtype_round_trip_through_f64() {
    // f64 -> f64 conversions and contiguous copies are identities for autograd.
    let x = randn(&[2, 2], 34);
    check_both(
        "to_dtype",
        |a| a[0].to_dtype(learnloss::DType::F64).mt().contiguous().exp(),
        &[x],
    );
}
