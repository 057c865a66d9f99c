//! Front ends of the per-channel primitives of `[N, C, *]` tensors (batch normalisation's
//! fused passes): argument checks, the backend call and the graph record.

use super::ops::{check_float, check_same};
use super::{device_ok, Tensor};
use crate::autograd::Op;
use crate::backend::{ChannelTerm, Storage};

/// Panics unless `x` is `[N, C, *]` and `per_channel` is `[C]` of the same device and dtype.
fn check_channel(op: &str, x: &Tensor, per_channel: &Tensor) {
    check_same(op, x, per_channel);
    assert!(
        x.rank() >= 2 && per_channel.shape() == [x.dim(1)],
        "{op}: expected an [N, C, *] tensor and a [C] one, got shapes {:?} and {:?}",
        x.shape(),
        per_channel.shape()
    );
}

impl Tensor {
    /// `Σ_k (x_k - centre_k[c])·scale_k[c] + shift[c]` over `[N, C, *]` tensors of one shape
    /// (one or two terms `(x_k, centre_k, scale_k)`; a missing centre is zero), all per-channel
    /// tensors `[C]`: `out[n, c, …] = Σ_k (x_k[n, c, …] - centre_k[c])·scale_k[c] + shift[c]`.
    pub fn channel_affine(terms: &[(&Tensor, Option<&Tensor>, &Tensor)], shift: Option<&Tensor>) -> Tensor {
        const OP: &str = "channel_affine";
        assert!(
            matches!(terms.len(), 1 | 2),
            "{OP}: expected one or two terms, got {}",
            terms.len()
        );
        let (first, _, _) = terms[0];
        check_float(OP, first);
        let mut inputs = Vec::with_capacity(3 * terms.len() + 1);
        for &(x, centre, scale) in terms {
            check_channel(OP, x, scale);
            assert!(
                x.shape() == first.shape(),
                "{OP}: terms of different shapes {:?} and {:?}",
                first.shape(),
                x.shape()
            );
            let centre = centre.cloned().unwrap_or_else(|| scale.zeros_like());
            check_channel(OP, x, &centre);
            inputs.extend([x.clone(), centre, scale.clone()]);
        }
        if let Some(t) = shift {
            check_channel(OP, first, t);
            inputs.push(t.clone());
        }
        let storage = {
            let guards: Vec<_> = inputs.iter().map(|t| t.storage()).collect();
            let arg = |i: usize| (&*guards[i], inputs[i].layout());
            let parts: Vec<_> = (0..terms.len())
                .map(|k| ChannelTerm {
                    x: arg(3 * k),
                    centre: arg(3 * k + 1),
                    scale: arg(3 * k + 2),
                })
                .collect();
            let shift_arg = shift.is_some().then(|| arg(inputs.len() - 1));
            device_ok(Storage::channel_affine(&parts, shift_arg), OP)
        };
        let parents: Vec<&Tensor> = inputs.iter().collect();
        Tensor::from_op(storage, first.shape(), &parents, || Op::ChannelAffine {
            inputs: inputs.clone(),
            has_shift: shift.is_some(),
        })
    }

    /// Per-channel centred dot product of `[N, C, *]` tensors of one shape:
    /// `out[c] = Σ_{n, …} (self[n, c, …] - self_shift[c])·(rhs[n, c, …] - rhs_shift[c])`, `[C]`.
    pub fn channel_dot(&self, rhs: &Tensor, self_shift: &Tensor, rhs_shift: &Tensor) -> Tensor {
        const OP: &str = "channel_dot";
        check_float(OP, self);
        check_channel(OP, self, self_shift);
        check_channel(OP, rhs, rhs_shift);
        assert!(
            self.shape() == rhs.shape(),
            "{OP}: shapes {:?} and {:?} differ",
            self.shape(),
            rhs.shape()
        );
        let storage = {
            let (a, b) = (self.storage(), rhs.storage());
            let (sa, sb) = (self_shift.storage(), rhs_shift.storage());
            let shifts = [(&*sa, self_shift.layout()), (&*sb, rhs_shift.layout())];
            device_ok(a.channel_dot(self.layout(), &b, rhs.layout(), shifts), OP)
        };
        Tensor::from_op(storage, &[self.dim(1)], &[self, rhs, self_shift, rhs_shift], || {
            Op::ChannelDot([self.clone(), rhs.clone(), self_shift.clone(), rhs_shift.clone()])
        })
    }

    /// The sum over every dimension but 1 of an `[N, C, *]` tensor, `[C]`.
    pub fn channel_sum(&self) -> Tensor {
        let dims: Vec<usize> = (0..self.rank()).filter(|&d| d != 1).collect();
        self.sum(&dims, false)
    }
}
