//! Cross-entropy (class indices or class probabilities, class weights, ignored entries, label
//! smoothing) and the negative log-likelihood it is built on.

use super::{assert_same_shape, check_class_indices, check_class_weight, Reduction};
use crate::{DType, Tensor};

/// `cross_entropy`'s keyword arguments, with PyTorch's defaults (`Default`): no class weight,
/// `ignore_index = -100`, mean reduction, no label smoothing.
#[derive(Clone, Debug)]
pub struct CrossEntropyOptions {
    /// One weight per class (1-D, `C` entries, the input's dtype).
    pub weight: Option<Tensor>,
    /// Class-index targets equal to this contribute nothing, not even to the mean's
    /// denominator. Must be negative with probability targets, as in PyTorch.
    pub ignore_index: i64,
    pub reduction: Reduction,
    /// `ε` in `[0, 1]`: the target becomes `(1 − ε)·target + ε/C`.
    pub label_smoothing: f64,
}

impl Default for CrossEntropyOptions {
    fn default() -> Self {
        CrossEntropyOptions {
            weight: None,
            ignore_index: -100,
            reduction: Reduction::Mean,
            label_smoothing: 0.0,
        }
    }
}

/// Input with the class dimension at 1 and a batch dimension in front: an unbatched `[C]`
/// input becomes `[1, C]` (its target, if given, `[]` → `[1]`), so one code path serves both.
struct Batched {
    input: Tensor,
    unbatched: bool,
}

impl Batched {
    fn new(op: &str, input: &Tensor) -> Batched {
        assert!(
            input.rank() >= 1,
            "{op}: Expected 1 or more dimensions (got 0), input shape {:?}",
            input.shape()
        );
        let unbatched = input.rank() == 1;
        let input = if unbatched { input.unsqueeze(0) } else { input.clone() };
        Batched { input, unbatched }
    }

    fn n_classes(&self) -> usize {
        self.input.dim(1)
    }

    /// The class-index target in batched form, after checking it against the input's shape
    /// (`[N, d1, …]` for an `[N, C, d1, …]` input, `[]` for a `[C]` input).
    fn index_target(&self, op: &str, target: &Tensor) -> Tensor {
        let mut expected = vec![self.input.dim(0)];
        expected.extend_from_slice(&self.input.shape()[2..]);
        let given = if self.unbatched {
            target.reshape(&[target.numel()])
        } else {
            target.clone()
        };
        let ok = given.shape() == expected && (!self.unbatched || target.rank() == 0);
        let input_shape = if self.unbatched {
            &self.input.shape()[1..]
        } else {
            self.input.shape()
        };
        assert!(
            ok,
            "{op}: Expected target size {:?}, got {:?} (input size {input_shape:?})",
            if self.unbatched { &[][..] } else { &expected[..] },
            target.shape()
        );
        given
    }

    /// Drops the batch dimension added for an unbatched input (per-element results only).
    fn unbatch(&self, per_element: Tensor) -> Tensor {
        if self.unbatched {
            per_element.reshape(&[])
        } else {
            per_element
        }
    }

    /// `weight` shaped `[1, C, 1, …]` to broadcast along the class dimension.
    fn class_weight_view(&self, weight: &Tensor) -> Tensor {
        let mut shape = vec![1; self.input.rank()];
        shape[1] = weight.numel();
        weight.reshape(&shape)
    }
}

/// Per-element NLL terms of a batched input `[N, C, …]` and target `[N, …]`.
struct NllTerms {
    /// `−w[y]·input[y]`, 0 where the target is ignored.
    loss: Tensor,
    /// `w[y]` (1 without class weights), 0 where ignored: the weighted mean's denominator.
    weight: Tensor,
    /// Where the target is not `ignore_index`.
    valid: Tensor,
}

fn nll_terms(op: &str, b: &Batched, target: &Tensor, weight: Option<&Tensor>, ignore_index: i64) -> NllTerms {
    let n_classes = b.n_classes();
    check_class_indices(op, target, n_classes, Some(ignore_index));
    if let Some(w) = weight {
        check_class_weight(op, w, n_classes);
    }
    let input = &b.input;
    let valid = target.ne(&Tensor::from_vec(vec![ignore_index], &[], target.device()));
    // Ignored entries read class 0 (always in range), then are masked out.
    let safe = Tensor::where_cond(&valid, target, &target.zeros_like());
    let picked = input.gather(1, &safe.unsqueeze(1)).squeeze(1);
    let zero = input.scalar_like(0.0);
    let w = match weight {
        Some(w) => {
            let per_element = w.index_select(0, &safe.flatten_all()).reshape(target.shape());
            Tensor::where_cond(&valid, &per_element, &zero)
        }
        None => valid.mask_to(input.dtype()),
    };
    // `where` rather than a product with the mask: an ignored entry's log-probability may be
    // -inf, and -inf·0 is NaN.
    let loss = Tensor::where_cond(&valid, &picked.neg().mul(&w), &zero);
    NllTerms { loss, weight: w, valid }
}

/// Reduces per-element terms with PyTorch's weighted mean `Σ lₙ / Σ w_{yₙ}` (NaN when every
/// target is ignored: 0/0).
fn reduce_weighted(b: &Batched, loss: Tensor, weight: &Tensor, reduction: Reduction) -> Tensor {
    match reduction {
        Reduction::None => b.unbatch(loss),
        Reduction::Sum => loss.sum_all(),
        Reduction::Mean => loss.sum_all().div(&weight.sum_all()),
    }
}

/// Negative log-likelihood of class-index targets (`torch.nn.functional.nll_loss`):
/// `lₙ = −w_{yₙ}·input[n, yₙ]` (0 where `yₙ = ignore_index`); `Mean` is `Σ lₙ / Σ w_{yₙ}` over the
/// entries not ignored.
///
/// `input` holds log-probabilities, `[N, C]`, `[N, C, d1, …]` or unbatched `[C]`; `target` is
/// int64, `[N]`, `[N, d1, …]` or `[]`. Panics naming the index if a target is outside `0..C`
/// (and not `ignore_index`), and naming the shapes if they disagree.
pub fn nll_loss(
    input: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    ignore_index: i64,
    reduction: Reduction,
) -> Tensor {
    let op = "nll_loss";
    let b = Batched::new(op, input);
    let target = b.index_target(op, target);
    let terms = nll_terms(op, &b, &target, weight, ignore_index);
    reduce_weighted(&b, terms.loss, &terms.weight, reduction)
}

/// Cross-entropy between logits and targets (`torch.nn.functional.cross_entropy`).
///
/// `input` holds unnormalised logits, `[N, C]`, `[N, C, d1, …]` or unbatched `[C]`. `target` is
/// either
/// - int64 class indices (`[N]`, `[N, d1, …]` or `[]`): `nll_loss(log_softmax(input, 1), …)`,
///   with PyTorch's label smoothing `(1 − ε)·nll + ε/C·Σ_c −w_c·log p_c` (the smoothing term is
///   masked and averaged like the NLL term, over `Σ w_{yₙ}` for `Mean`); or
/// - float class probabilities of `input`'s shape: `−Σ_c w_c·t_c·log p_c` per element, with
///   `t ← (1 − ε)·t + ε/C`, and `Mean` dividing by the number of elements `N·d1·…` (not by the
///   weights), as PyTorch.
pub fn cross_entropy(input: &Tensor, target: &Tensor, options: &CrossEntropyOptions) -> Tensor {
    let op = "cross_entropy";
    let b = Batched::new(op, input);
    let weight = options.weight.as_ref();
    if let Some(w) = weight {
        check_class_weight(op, w, b.n_classes());
    }
    let log_probs = b.input.log_softmax(1);
    match target.dtype() {
        DType::I64 => {
            let target = b.index_target(op, target);
            class_index_cross_entropy(op, &b, &log_probs, &target, options)
        }
        DType::F32 | DType::F64 => probability_cross_entropy(op, &b, &log_probs, input, target, options),
        other => panic!(
            "{op}: target must be int64 class indices or float class probabilities, got {other} of shape {:?}",
            target.shape()
        ),
    }
}

fn class_index_cross_entropy(
    op: &str,
    b: &Batched,
    log_probs: &Tensor,
    target: &Tensor,
    options: &CrossEntropyOptions,
) -> Tensor {
    let ls = options.label_smoothing;
    let weight = options.weight.as_ref();
    let batched_logp = Batched {
        input: log_probs.clone(),
        unbatched: b.unbatched,
    };
    let terms = nll_terms(op, &batched_logp, target, weight, options.ignore_index);
    let nll = reduce_weighted(b, terms.loss, &terms.weight, options.reduction);
    // PyTorch takes the plain NLL path unless ε > 0 (a negative ε is not smoothing).
    if ls <= 0.0 {
        return nll;
    }
    assert!(
        ls <= 1.0,
        "{op}: label_smoothing must be between 0.0 and 1.0. Got: {ls}"
    );
    let weighted = match weight {
        Some(w) => log_probs.mul(&b.class_weight_view(w)),
        None => log_probs.clone(),
    };
    let smooth = weighted.sum(&[1], false).neg();
    let smooth = Tensor::where_cond(&terms.valid, &smooth, &smooth.scalar_like(0.0));
    let smooth = reduce_weighted(b, smooth, &terms.weight, options.reduction);
    nll.mul_scalar(1.0 - ls)
        .add(&smooth.mul_scalar(ls / b.n_classes() as f64))
}

fn probability_cross_entropy(
    op: &str,
    b: &Batched,
    log_probs: &Tensor,
    input: &Tensor,
    target: &Tensor,
    options: &CrossEntropyOptions,
) -> Tensor {
    assert_same_shape(op, "input", input, "probability target", target);
    assert!(
        options.ignore_index < 0,
        "{op}: ignore_index is not supported for floating point target (got {})",
        options.ignore_index
    );
    let n_classes = b.n_classes();
    let target = if b.unbatched {
        target.unsqueeze(0)
    } else {
        target.clone()
    };
    let ls = options.label_smoothing;
    let target = if ls > 0.0 {
        target.mul_scalar(1.0 - ls).add_scalar(ls / n_classes as f64)
    } else {
        target
    };
    let product = log_probs.mul(&target);
    let product = match options.weight.as_ref() {
        Some(w) => product.mul(&b.class_weight_view(w)),
        None => product,
    };
    match options.reduction {
        Reduction::None => b.unbatch(product.sum(&[1], false).neg()),
        Reduction::Sum => product.sum_all().neg(),
        Reduction::Mean => {
            // The number of (sample, position) elements; with no element the mean is NaN.
            let elements = b.input.numel().checked_div(n_classes).unwrap_or(0);
            product.sum_all().neg().div_scalar(elements as f64)
        }
    }
}
