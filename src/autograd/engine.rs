//! The reverse-mode walker: `grad()` and `backward()`.
//!
//! Topological order over the recorded graph, restricted to the tensors that lie on a path from
//! the outputs to the requested inputs; gradients accumulate by addition; each tensor's rule runs
//! once, after every consumer has contributed. With `create_graph` the rules run with recording
//! on, so the returned gradients are differentiable; without it they run under `no_grad`.

use super::grad_mode;
use super::rules;
use crate::tensor::TensorId;
use crate::Tensor;
use std::collections::{HashMap, HashSet};

/// Every tracked tensor reachable from `outputs`, parents before children.
fn topological_order(outputs: &[Tensor]) -> Vec<Tensor> {
    let mut visited: HashSet<TensorId> = HashSet::new();
    let mut order = Vec::new();
    // Iterative post-order DFS: deep graphs must not overflow the stack.
    let mut stack: Vec<(Tensor, bool)> = outputs.iter().rev().map(|t| (t.clone(), false)).collect();
    while let Some((t, expanded)) = stack.pop() {
        if expanded {
            order.push(t);
            continue;
        }
        if !visited.insert(t.id()) {
            continue;
        }
        stack.push((t.clone(), true));
        if let Some(op) = t.op() {
            for p in op.parents().into_iter().rev() {
                if p.requires_grad() && !visited.contains(&p.id()) {
                    stack.push((p.clone(), false));
                }
            }
        }
    }
    order
}

/// Gradients of `outputs` (weighted by `grad_outputs`, ones for scalar outputs when `None`) with
/// respect to `inputs`, PyTorch's `torch.autograd.grad`. An input the outputs do not depend on
/// gets a zero gradient (`materialize_grads=True`). With `create_graph` the gradients are part of
/// the graph and can be differentiated again.
///
/// Panics (programmer errors) when an output or an input does not require gradients, when a
/// non-scalar output has no gradient given, or when shapes disagree.
pub fn grad(outputs: &[Tensor], inputs: &[Tensor], grad_outputs: Option<&[Tensor]>, create_graph: bool) -> Vec<Tensor> {
    for (i, x) in inputs.iter().enumerate() {
        assert!(
            x.requires_grad(),
            "grad: one of the differentiated tensors (input {i}, shape {:?}) does not require grad",
            x.shape()
        );
    }
    let seeds = seed_gradients(outputs, grad_outputs);
    let targets: HashSet<TensorId> = inputs.iter().map(|t| t.id()).collect();
    let grads = run(&topological_order(outputs), outputs, seeds, &targets, create_graph);
    inputs
        .iter()
        .map(|x| grads.get(&x.id()).cloned().unwrap_or_else(|| x.zeros_like()))
        .collect()
}

fn seed_gradients(outputs: &[Tensor], grad_outputs: Option<&[Tensor]>) -> Vec<Tensor> {
    for (i, y) in outputs.iter().enumerate() {
        assert!(
            y.requires_grad(),
            "grad: element {i} of tensors does not require grad and does not have a grad_fn (shape {:?})",
            y.shape()
        );
    }
    match grad_outputs {
        Some(gs) => {
            assert_eq!(
                gs.len(),
                outputs.len(),
                "grad: {} outputs but {} grad_outputs",
                outputs.len(),
                gs.len()
            );
            for (y, g) in outputs.iter().zip(gs) {
                assert_eq!(
                    y.shape(),
                    g.shape(),
                    "grad: output shape {:?} and grad_output shape {:?} differ",
                    y.shape(),
                    g.shape()
                );
            }
            gs.to_vec()
        }
        None => outputs
            .iter()
            .map(|y| {
                assert_eq!(
                    y.numel(),
                    1,
                    "grad can be implicitly created only for scalar outputs (output shape {:?})",
                    y.shape()
                );
                y.ones_like()
            })
            .collect(),
    }
}

/// Runs the rules from `outputs` back to the tensors in `targets` over `order` (the outputs'
/// `topological_order`); returns the accumulated gradient of every target reached.
fn run(
    order: &[Tensor],
    outputs: &[Tensor],
    seeds: Vec<Tensor>,
    targets: &HashSet<TensorId>,
    create_graph: bool,
) -> HashMap<TensorId, Tensor> {
    let _mode = grad_mode::set_enabled(create_graph);

    // A tensor matters if it is a target or some parent matters.
    let mut relevant: HashSet<TensorId> = HashSet::new();
    for t in order {
        let hit = targets.contains(&t.id())
            || t.op()
                .is_some_and(|op| op.parents().iter().any(|p| relevant.contains(&p.id())));
        if hit {
            relevant.insert(t.id());
        }
    }

    let mut grads: HashMap<TensorId, Tensor> = HashMap::new();
    for (y, g) in outputs.iter().zip(seeds) {
        accumulate(&mut grads, y.id(), g);
    }
    let mut results = HashMap::new();
    for t in order.iter().rev() {
        if !relevant.contains(&t.id()) {
            continue;
        }
        let g = if targets.contains(&t.id()) {
            let Some(g) = grads.get(&t.id()).cloned() else { continue };
            results.insert(t.id(), g.clone());
            g
        } else {
            // Not needed after this step: free it early.
            let Some(g) = grads.remove(&t.id()) else { continue };
            g
        };
        let Some(op) = t.op() else { continue };
        let parents = op.parents();
        let needs: Vec<bool> = parents
            .iter()
            .map(|p| p.requires_grad() && relevant.contains(&p.id()))
            .collect();
        if !needs.iter().any(|&n| n) {
            continue;
        }
        let parent_grads = rules::backward(op, &g, t, &needs);
        for ((p, pg), need) in parents.iter().zip(parent_grads).zip(&needs) {
            if let (Some(pg), true) = (pg, need) {
                assert_eq!(
                    pg.shape(),
                    p.shape(),
                    "autograd: the {} rule returned a gradient of shape {:?} for an input of shape {:?}",
                    op.name(),
                    pg.shape(),
                    p.shape()
                );
                accumulate(&mut grads, p.id(), pg);
            }
        }
    }
    results
}

fn accumulate(grads: &mut HashMap<TensorId, Tensor>, id: TensorId, g: Tensor) {
    match grads.remove(&id) {
        Some(prev) => grads.insert(id, prev.add(&g)),
        None => grads.insert(id, g),
    };
}

/// Accumulates the gradient of `output` into the `.grad()` of every leaf that requires
/// gradients (PyTorch's `Tensor.backward`). `grad_output` defaults to 1 for a scalar output.
pub fn backward(output: &Tensor, grad_output: Option<&Tensor>, create_graph: bool) {
    let outputs = std::slice::from_ref(output);
    // One walk of the graph serves both to find the leaves and to run the rules.
    let order = topological_order(outputs);
    let leaves: Vec<&Tensor> = order.iter().filter(|t| t.is_leaf() && t.requires_grad()).collect();
    let seeds = seed_gradients(outputs, grad_output.map(std::slice::from_ref));
    let targets: HashSet<TensorId> = leaves.iter().map(|t| t.id()).collect();
    let grads = run(&order, outputs, seeds, &targets, create_graph);
    let _mode = grad_mode::set_enabled(create_graph);
    for leaf in leaves {
        if let Some(g) = grads.get(&leaf.id()) {
            // One lock for read-add-write, so concurrent backward calls lose nothing.
            leaf.accumulate_grad(|prev| {
                let total = match prev {
                    Some(prev) => prev.add(g),
                    None => g.clone(),
                };
                if create_graph {
                    total
                } else {
                    total.detach()
                }
            });
        }
    }
}

impl Tensor {
    /// `backward()` on a scalar: accumulates d(self)/d(leaf) into every leaf's `.grad()`.
    pub fn backward(&self) {
        backward(self, None, false);
    }
}
