//! Matmul, conv2d and its two adjoints, max-pool and its adjoint.

use super::{check_both, randn};
use learnloss::{Conv2dParams, Pool2dParams, Tensor};

#[test]
fn matmul_2d_batched_and_vector() {
    let a = randn(&[3, 4], 50);
    let b = randn(&[4, 2], 51);
    check_both("matmul", |x| x[0].matmul(&x[1]), &[a.clone(), b.clone()]);
    let batched = randn(&[2, 4, 3], 52);
    check_both("matmul broadcast", |x| x[0].matmul(&x[1]).tanh(), &[a.clone(), batched]);
    let v = randn(&[4], 53);
    check_both("matrix-vector", |x| x[0].matmul(&x[1]), &[a.clone(), v.clone()]);
    check_both("vector-matrix", |x| x[0].matmul(&x[1]), &[v.clone(), b]);
    check_both("dot", |x| x[0].matmul(&x[1]), &[v.clone(), v]);
    check_both("transposed operand", |x| x[0].mt().matmul(&x[0]).sin(), &[a]);
}

fn conv_cases() -> Vec<Conv2dParams> {
    vec![
        Conv2dParams {
            stride: [1, 1],
            padding: [1, 1],
            dilation: [1, 1],
        },
        Conv2dParams {
            stride: [2, 1],
            padding: [0, 2],
            dilation: [1, 1],
        },
        Conv2dParams {
            stride: [2, 2],
            padding: [1, 0],
            dilation: [2, 1],
        },
    ]
}

#[test]
fn conv2d_in_input_and_weight() {
    for (i, p) in conv_cases().into_iter().enumerate() {
        let x = randn(&[2, 2, 5, 6], 60 + i as u64);
        let w = randn(&[3, 2, 3, 2], 70 + i as u64);
        check_both(&format!("conv2d {p:?}"), |a| a[0].conv2d(&a[1], &p), &[x, w]);
    }
}

#[test]
fn conv2d_adjoints_as_ops() {
    // The adjoints are ops of their own (double backward of conv runs through them).
    for (i, p) in conv_cases().into_iter().enumerate() {
        let w = randn(&[3, 2, 3, 2], 80 + i as u64);
        let [oh, ow] = p.output_size([5, 6], [3, 2]).expect("geometry fits");
        let gy = randn(&[2, 3, oh, ow], 90 + i as u64);
        check_both(
            &format!("conv2d_input_grad {p:?}"),
            |a| a[0].conv2d_input_grad(&a[1], &p, [5, 6]),
            &[gy.clone(), w],
        );
        let x = randn(&[2, 2, 5, 6], 100 + i as u64);
        check_both(
            &format!("conv2d_weight_grad {p:?}"),
            |a| a[0].conv2d_weight_grad(&a[1], &p, [3, 2]),
            &[x, gy],
        );
    }
}

#[test]
fn conv2d_1x1_and_non_contiguous_input() {
    let x = randn(&[2, 5, 4, 3], 110);
    let w = randn(&[2, 3, 1, 1], 111);
    let p = Conv2dParams::default();
    // Channels-last data permuted into NCHW: a non-contiguous input.
    check_both(
        "conv2d 1x1 permuted",
        |a| a[0].permute(&[0, 3, 1, 2]).conv2d(&a[1], &p),
        &[x, w],
    );
}

#[test]
fn max_pool_with_overlapping_windows() {
    let cases = [
        Pool2dParams {
            kernel: [3, 3],
            stride: [1, 1],
            padding: [1, 1],
            dilation: [1, 1],
        },
        Pool2dParams {
            kernel: [3, 2],
            stride: [2, 1],
            padding: [1, 0],
            dilation: [1, 1],
        },
        Pool2dParams {
            kernel: [2, 2],
            stride: [1, 2],
            padding: [0, 0],
            dilation: [2, 1],
        },
        Pool2dParams::square(2),
    ];
    for (i, p) in cases.into_iter().enumerate() {
        let x = randn(&[2, 2, 5, 5], 120 + i as u64);
        check_both(&format!("max_pool2d {p:?}"), |a| a[0].max_pool2d(&p).0.square(), &[x]);
    }
}

#[test]
fn max_pool_adjoint_as_op() {
    let p = Pool2dParams {
        kernel: [3, 3],
        stride: [2, 2],
        padding: [1, 1],
        dilation: [1, 1],
    };
    let x = Tensor::randn(
        &[1, 2, 5, 5],
        learnloss::DType::F64,
        &super::dev(),
        &mut learnloss::Generator::new(130),
    );
    let (_, idx) = x.max_pool2d(&p);
    let gy = randn(idx.shape(), 131);
    check_both(
        "max_pool2d_backward",
        |a| a[0].max_pool2d_backward(&idx, x.shape()).square(),
        &[gy],
    );
}

/// The per-channel primitives behind the fused BatchNorm: every input (tensors, centres, scales,
/// shift), one and two terms, rank 2 and rank 4, a permuted (non-contiguous) operand.
#[test]
fn channel_affine_and_channel_dot() {
    for shape in [&[4, 3][..], &[2, 3, 2, 3][..]] {
        let (x, y) = (randn(shape, 140), randn(shape, 141));
        let (m1, s1, m2, s2, t) = (
            randn(&[3], 142),
            randn(&[3], 143),
            randn(&[3], 144),
            randn(&[3], 145),
            randn(&[3], 146),
        );
        let inputs = [x, y, m1, s1, m2, s2, t];
        check_both(
            &format!("channel_affine, one term {shape:?}"),
            |a| Tensor::channel_affine(&[(&a[0], Some(&a[2]), &a[3])], Some(&a[6])).square(),
            &inputs,
        );
        check_both(
            &format!("channel_affine, two terms {shape:?}"),
            |a| Tensor::channel_affine(&[(&a[0], Some(&a[2]), &a[3]), (&a[1], Some(&a[4]), &a[5])], None).square(),
            &inputs,
        );
        check_both(
            &format!("channel_dot {shape:?}"),
            |a| a[0].channel_dot(&a[1], &a[2], &a[4]).square(),
            &inputs,
        );
        check_both(
            &format!("channel_dot of a tensor with itself {shape:?}"),
            |a| a[0].channel_dot(&a[0], &a[2], &a[2]).square(),
            &inputs,
        );
    }
    // Non-contiguous: channels in the last position of the stored tensor.
    let stored = randn(&[2, 2, 3], 147);
    let (s, m) = (randn(&[3], 148), randn(&[3], 149));
    check_both(
        "channel_affine and channel_dot of a permuted tensor",
        |a| {
            let x = a[0].permute(&[0, 2, 1]);
            Tensor::channel_affine(&[(&x, Some(&a[2]), &a[1])], None)
                .square()
                .sum(&[0, 2], false)
                .add(&x.channel_dot(&x, &a[2], &a[2]))
        },
        &[stored, s, m],
    );
}
