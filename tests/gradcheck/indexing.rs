//! Data movement: cat, stack, pad, gather, scatter-add, index-select.

use super::{check_both, dev, randn};
use learnloss::Tensor;

fn index(values: Vec<i64>, shape: &[usize]) -> Tensor {
    Tensor::from_vec(values, shape, &dev())
}

#[test]
fn cat_and_stack() {
    let a = randn(&[2, 3], 40);
    let b = randn(&[2, 1], 41);
    check_both(
        "cat",
        |x| Tensor::cat(&[x[0].clone(), x[1].square()], 1).exp(),
        &[a.clone(), b],
    );
    let c = randn(&[2, 3], 42);
    check_both(
        "stack",
        |x| Tensor::stack(&[x[0].clone(), x[1].clone()], 0).sin(),
        &[a, c],
    );
}

#[test]
fn constant_pad() {
    let x = randn(&[2, 3], 43);
    check_both(
        "pad",
        |a| a[0].pad(&[(1, 0), (2, 1)], 0.5).square(),
        std::slice::from_ref(&x),
    );
    check_both("pad_dim", |a| a[0].pad_dim(1, 0, 2).exp(), &[x]);
}

#[test]
fn gather_with_repeated_indices() {
    let x = randn(&[3, 4], 44);
    let idx = index(vec![0, 3, 3, 1, 2, 2, 0, 0, 1], &[3, 3]);
    check_both(
        "gather dim 1",
        |a| a[0].gather(1, &idx).square(),
        std::slice::from_ref(&x),
    );
    let idx0 = index(vec![2, 0, 1, 1, 0, 2, 2, 2], &[2, 4]);
    check_both("gather dim 0", |a| a[0].gather(0, &idx0).exp(), &[x]);
}

#[test]
fn scatter_add_in_base_and_source() {
    let base = randn(&[3, 4], 45);
    let src = randn(&[3, 2], 46);
    let idx = index(vec![1, 1, 0, 3, 2, 0], &[3, 2]);
    check_both(
        "scatter_add",
        |a| a[0].scatter_add(1, &idx, &a[1].square()).sin(),
        &[base, src],
    );
}

#[test]
fn index_select_with_repeats() {
    let x = randn(&[4, 3], 47);
    let idx = index(vec![3, 0, 3], &[3]);
    check_both(
        "index_select dim 0",
        |a| a[0].index_select(0, &idx).square(),
        std::slice::from_ref(&x),
    );
    let idx1 = index(vec![2, 2, 1, 0], &[4]);
    check_both("index_select dim 1", |a| a[0].index_select(1, &idx1).exp(), &[x]);
}
