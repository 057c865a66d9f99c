//! All C Hessian-vector products at once, as forward-over-reverse tangents written by hand for
//! the loss network's architecture (no double backward through the autograd graph).
//!
//! With `S = Σ_b E_b` and `G1 = ∂S/∂z1` the gradient at the first pre-activation, moving p along
//! class i for the whole batch moves z1 by the weight column `u_i = W1[:, i]` in every row, so
//!
//! `trace_b = Σ_i ⟨Ġ1[b, i, :], u_i⟩`, `Ġ1[:, i, :]` = the tangent of `G1` along `u_i`,
//!
//! which is both definitions of the trace at once (for independent samples the cross-sample
//! terms vanish). The pass:
//! 1. forward values, once (`[B, H]` per layer): pre-activations, BatchNorm's normalised input
//!    and inverse deviation, `σ'`, `σ''`;
//! 2. the backward pass of S by hand, once: `δa` (the gradient at each activation's output),
//!    BatchNorm's backward, and `G1`; the energy's gradient in p is `G1 · W1[:, :C]`;
//! 3. the tangent (JVP) of 1 and 2 along every direction, with the directions as dimension 1
//!    (`[B or 1, C, H]`): the first tangent is the same for every sample (`[1, C, H1]`) and
//!    stays so until an activation makes it per sample, where (as in the forward Laplacian) a
//!    per-sample scale folds into the next weight when C exceeds that layer's width; a
//!    training-mode BatchNorm removes a batch-constant tangent exactly (the seed preset's
//!    tangents vanish after its first BatchNorm), and a tangent that is zero is not stored.
//!
//! The backward tangents are only needed from the first training-mode BatchNorm up. Below it the
//! samples are independent and the Hessian's symmetry pairs each layer's tangents:
//! `Σ_i ⟨δż_l, ż_l⟩ = Σ_h σ''·δa·Σ_i ṅ_i² + Σ_i ⟨δż_(l+1), ż_(l+1)⟩` per sample, so the trace is
//! the sum of those curvatures over the independent layers plus `Σ_i ⟨δż_k, ż_k⟩` at the first
//! coupled layer k (without one, the forward tangents and the backward values suffice).
//!
//! Everything is tensor operations, so the trace is a graph and the penalties' gradients in
//! the network's parameters and p (third order) come from autograd through it. (The previous
//! version replayed the hidden stack on C copies of z1 and double-backwarded through the graph:
//! the same numbers at several times the cost.)

use super::jacobian::Jacobian;
use crate::learnable::loss_network::{eval_affine, normalise};
use crate::learnable::LossNetwork;
use crate::nn::{functional, BatchNorm};
use crate::Tensor;

pub(super) fn energy_terms(net: &LossNetwork, p: &Tensor, y: &Tensor) -> (Tensor, Tensor, Tensor) {
    // The autograd forward updates a training-mode BatchNorm's running statistics once, as every
    // method does; the hand-written passes below never touch them.
    let energy = net.energy(p, y);
    let (b, c) = (p.dim(0), p.dim(1));
    let first = &net.hidden[0].linear;
    let z1 = functional::linear(
        &Tensor::cat(&[p.clone(), y.clone()], 1),
        &first.weight,
        first.bias.as_ref(),
    );
    let layers = forward_values(net, &z1);
    let adjoints = backward_values(net, &layers);
    let columns = first.weight.narrow(1, 0, c); // [H1, C]
    let grad = adjoints[0].dz.matmul(&columns).expand(&[b, c]);

    let u = columns.mt().unsqueeze(0); // [1, C, H1]: direction i is row i
    let tangents = forward_tangents(net, &layers, u);
    // Below the first training-mode BatchNorm the samples are independent and the Hessian's
    // symmetry turns the pairing of tangents into a sum of curvatures (see `curvature`); from it
    // up, the backward tangents are needed.
    let coupled_from = layers
        .iter()
        .position(|l| matches!(l.bn, Some(BnValues::Train { .. })))
        .unwrap_or(layers.len());
    let below = (0..coupled_from)
        .filter_map(|l| curvature(&layers[l], &adjoints[l], &tangents[l]))
        .reduce(|a, b| a.add(&b));
    let above = (coupled_from < layers.len())
        .then(|| {
            let dz_dot = backward_tangents(net, &layers, &adjoints, &tangents, coupled_from)?;
            let z_dot = tangents[coupled_from].z_dot.clone()?.dense();
            Some(dz_dot.mul(&z_dot).sum(&[1, 2], false))
        })
        .flatten();
    let trace = match add_options(below, above) {
        Some(t) => t.expand(&[b]),
        None => Tensor::zeros(&[b], p.dtype(), p.device()),
    };
    (energy, grad, trace)
}

/// One hidden layer's forward values, `[B, H]`.
struct LayerValues {
    bn: Option<BnValues>,
    /// `σ'` and `σ''` at the activation's input; `σ''` is `None` when it is zero everywhere.
    d1: Tensor,
    d2: Option<Tensor>,
}

/// What BatchNorm's backward pass and tangents need.
enum BnValues {
    /// Batch statistics: `x̂ = (z - μ)·r`, `r = 1/√(var + eps)` (`[1, H]`), output `γ·x̂ + β`.
    Train {
        xhat: Tensor,
        rstd: Tensor,
        gamma: Option<Tensor>,
    },
    /// Running statistics: the affine map `scale·z + c` per feature.
    Eval { scale: Tensor },
}

/// The forward pass from z1, keeping what the backward pass and the tangents need.
fn forward_values(net: &LossNetwork, z1: &Tensor) -> Vec<LayerValues> {
    let activation = net.config().activation;
    let mut layers = Vec::with_capacity(net.hidden.len());
    let mut a = z1.clone();
    for (i, layer) in net.hidden.iter().enumerate() {
        let z = if i == 0 {
            z1.clone()
        } else {
            functional::linear(&a, &layer.linear.weight, layer.linear.bias.as_ref())
        };
        let (n, bn) = match &layer.bn {
            Some(bn) => batch_norm_values(bn, &z),
            None => (z, None),
        };
        let (d1, d2) = activation.derivatives(&n);
        let d2 = (!activation.is_piecewise_linear()).then_some(d2);
        a = activation.apply(&n);
        layers.push(LayerValues { bn, d1, d2 });
    }
    layers
}

/// BatchNorm's output and the values its backward pass and tangents need.
fn batch_norm_values(bn: &BatchNorm, z: &Tensor) -> (Tensor, Option<BnValues>) {
    if !bn.training {
        return (
            normalise(bn, z, 0),
            Some(BnValues::Eval {
                scale: eval_affine(bn).scale,
            }),
        );
    }
    let mean = z.mean(&[0], true);
    let centred = z.sub(&mean);
    let rstd = centred
        .square()
        .mean(&[0], true)
        .add_scalar(bn.config.eps)
        .sqrt()
        .recip();
    let xhat = centred.mul(&rstd);
    let n = match (&bn.weight, &bn.bias) {
        (Some(w), Some(b)) => xhat.mul(w).add(b),
        _ => xhat.clone(),
    };
    let gamma = bn.weight.clone();
    (n, Some(BnValues::Train { xhat, rstd, gamma }))
}

/// One hidden layer's backward values: gradients of S, `[B, H]` (`[1, H]` where every sample
/// has the same).
struct LayerAdjoint {
    /// `δa = ∂S/∂a` at the activation's output.
    da: Tensor,
    /// `∂S/∂z` at the pre-activation (before BatchNorm); `G1` for the first layer.
    dz: Tensor,
    /// Training-mode BatchNorm: `g = γ·δn` and `mean_b(g·x̂)`, which its tangent reuses.
    bn: Option<(Tensor, Tensor)>,
}

/// The backward pass of `S = Σ E` by hand, from the output layer down to z1.
fn backward_values(net: &LossNetwork, layers: &[LayerValues]) -> Vec<LayerAdjoint> {
    let mut adjoints = Vec::with_capacity(layers.len());
    let mut da = net.output.weight.clone(); // [1, H_L]: the same for every sample
    for (l, values) in layers.iter().enumerate().rev() {
        let dn = values.d1.mul(&da);
        let (dz, bn) = match &values.bn {
            None => (dn, None),
            Some(BnValues::Eval { scale }) => (dn.mul(scale), None),
            Some(BnValues::Train { xhat, rstd, gamma }) => {
                let g = scaled(&dn, gamma.as_ref());
                let mean_gx = g.mul(xhat).mean(&[0], true);
                let dz = centre(&g, xhat, &mean_gx).mul(rstd);
                (dz, Some((g, mean_gx)))
            }
        };
        let next_da = (l > 0).then(|| dz.matmul(&net.hidden[l].linear.weight));
        adjoints.push(LayerAdjoint { da, dz, bn });
        match next_da {
            Some(next) => da = next,
            None => break,
        }
    }
    adjoints.reverse();
    adjoints
}

/// `g - mean_b(g) - x̂·m`, the bracket of BatchNorm's backward pass, for values `[B, H]` or
/// tangents `[B, C, H]` (`x̂` is `[B, H]` and broadcast along the directions).
fn centre(g: &Tensor, xhat: &Tensor, m: &Tensor) -> Tensor {
    g.sub(&g.mean(&[0], true)).sub(&per_sample(xhat, g).mul(m))
}

/// A `[B, H]` value lined up with `[B, C, H]` tangents (`[B, 1, H]`); as is for values.
fn per_sample(value: &Tensor, like: &Tensor) -> Tensor {
    if like.rank() == 3 {
        value.unsqueeze(1)
    } else {
        value.clone()
    }
}

fn scaled(t: &Tensor, gamma: Option<&Tensor>) -> Tensor {
    match gamma {
        Some(w) => t.mul(w),
        None => t.clone(),
    }
}

/// One layer's forward tangents along every direction (`[B or 1, C, H]`, `None` when zero),
/// kept as [`Jacobian`]s so that a per-sample scale can fold into the next weight.
struct LayerTangent {
    /// `ż` at the pre-activation (before BatchNorm).
    z_dot: Option<Jacobian>,
    /// `ṅ` at the activation's input.
    n_dot: Option<Jacobian>,
    /// Training-mode BatchNorm: `m = mean_b(x̂·d)` (so `ṙ = -r·m`) and `x̂̇ = d - x̂·m`, with
    /// `d = (ż - mean_b ż)·r`, which its backward tangent reuses.
    bn: Option<(Tensor, Tensor)>,
}

/// The forward tangents along every direction, starting from `ż1 = u` (`[1, C, H1]`).
fn forward_tangents(net: &LossNetwork, layers: &[LayerValues], u: Tensor) -> Vec<LayerTangent> {
    let mut tangents: Vec<LayerTangent> = Vec::with_capacity(layers.len());
    for (l, values) in layers.iter().enumerate() {
        let z_dot = match l {
            0 => Some(Jacobian::shared(u.clone())),
            _ => tangents[l - 1]
                .n_dot
                .clone()
                .map(|j| j.scale(&layers[l - 1].d1).linear(&net.hidden[l].linear.weight)),
        };
        let (n_dot, bn) = match &values.bn {
            None => (z_dot.clone(), None),
            Some(BnValues::Eval { scale }) => (z_dot.clone().map(|j| j.scale(scale)), None),
            Some(BnValues::Train { xhat, rstd, gamma }) => match z_dot.clone().map(Jacobian::dense) {
                Some(t) if t.dim(0) > 1 => {
                    let d = t.sub(&t.mean(&[0], true)).mul(rstd);
                    let xhat = xhat.unsqueeze(1);
                    let m = xhat.mul(&d).mean(&[0], true);
                    let xhat_dot = d.sub(&xhat.mul(&m));
                    let n_dot = Jacobian::shared(scaled(&xhat_dot, gamma.as_ref()));
                    (Some(n_dot), Some((m, xhat_dot)))
                }
                // A shift shared by the whole batch is removed by the batch statistics: exactly zero.
                _ => (None, None),
            },
        };
        tangents.push(LayerTangent { z_dot, n_dot, bn });
    }
    tangents
}

/// `Σ_i ⟨δż_l, ż_l⟩` per sample for a layer whose samples are independent, given the same
/// pairing one layer up: with `δṅ = σ''·ṅ·δa + σ'·δȧ`, `ȧ = σ'·ṅ`, `ż' = ȧ·Wᵀ`, `δȧ = δż'·W`
/// (and an eval-mode BatchNorm's scale on both sides), it is
/// `Σ_h σ''·δa·Σ_i ṅ_i² + Σ_i ⟨δż', ż'⟩`. Unrolled down to z1 (where the pairing is the trace),
/// the trace is this layer curvature summed over the independent layers plus the pairing at
/// the first coupled layer: no backward tangents below it (`[B or 1]`, `None` when zero).
fn curvature(values: &LayerValues, adjoint: &LayerAdjoint, tangent: &LayerTangent) -> Option<Tensor> {
    let (d2, n_dot) = (values.d2.as_ref()?, tangent.n_dot.as_ref()?);
    Some(n_dot.squared_norms().mul(&d2.mul(&adjoint.da)).sum(&[1], false))
}

/// The tangents of the backward pass, from the output down to `δż` of layer `last`
/// (`[B or 1, C, H]`, `None` when zero).
fn backward_tangents(
    net: &LossNetwork,
    layers: &[LayerValues],
    adjoints: &[LayerAdjoint],
    tangents: &[LayerTangent],
    last: usize,
) -> Option<Tensor> {
    let mut da_dot: Option<Tensor> = None; // the output layer's weight does not move
    let mut dz_dot = None;
    for l in (last..layers.len()).rev() {
        let (values, adjoint, tangent) = (&layers[l], &adjoints[l], &tangents[l]);
        // δn = σ'(n)·δa, so δṅ = σ''(n)·ṅ·δa + σ'(n)·δȧ.
        let curvature = match (&values.d2, &tangent.n_dot) {
            (Some(d2), Some(n_dot)) => Some(n_dot.clone().dense().mul(&d2.mul(&adjoint.da).unsqueeze(1))),
            _ => None,
        };
        let propagated = da_dot.map(|t| t.mul(&values.d1.unsqueeze(1)));
        let dn_dot = add_options(curvature, propagated);
        dz_dot = match &values.bn {
            None => dn_dot,
            Some(BnValues::Eval { scale }) => dn_dot.map(|t| t.mul(scale)),
            Some(BnValues::Train { xhat, rstd, gamma }) => {
                let (g, mean_gx) = adjoint.bn.as_ref().expect("training-mode BatchNorm backward values");
                batch_norm_backward_tangent(
                    dn_dot.map(|t| scaled(&t, gamma.as_ref())),
                    tangent.bn.as_ref(),
                    &adjoint.dz,
                    g,
                    mean_gx,
                    xhat,
                    rstd,
                )
            }
        };
        da_dot = if l > last {
            dz_dot.as_ref().map(|t| t.matmul(&net.hidden[l].linear.weight))
        } else {
            None
        };
    }
    dz_dot
}

/// The tangent of `dz = r·(g - mean_b g - x̂·mean_b(g·x̂))` given `ġ` and the forward tangents
/// `(m, x̂̇)` (`ṙ = -r·m`):
/// `ḋz = -m·dz + r·(ġ - mean_b ġ - x̂·mean_b(ġ·x̂)) - r·(x̂̇·mean_b(g·x̂) + x̂·mean_b(g·x̂̇))`.
fn batch_norm_backward_tangent(
    g_dot: Option<Tensor>,
    forward: Option<&(Tensor, Tensor)>,
    dz: &Tensor,
    g: &Tensor,
    mean_gx: &Tensor,
    xhat: &Tensor,
    rstd: &Tensor,
) -> Option<Tensor> {
    let from_g = g_dot.map(|g_dot| {
        let m = per_sample(xhat, &g_dot).mul(&g_dot).mean(&[0], true);
        centre(&g_dot, xhat, &m).mul(rstd)
    });
    let from_statistics = forward.map(|(m, xhat_dot)| {
        let moved = xhat_dot
            .mul(mean_gx)
            .add(&xhat.unsqueeze(1).mul(&g.unsqueeze(1).mul(xhat_dot).mean(&[0], true)));
        m.mul(&dz.unsqueeze(1)).add(&moved.mul(rstd)).neg()
    });
    add_options(from_g, from_statistics)
}

fn add_options(a: Option<Tensor>, b: Option<Tensor>) -> Option<Tensor> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.add(&b)),
        (a, None) => a,
        (None, b) => b,
    }
}
