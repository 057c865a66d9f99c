//! `nn.Sequential`: children applied in order, named `0`, `1`, … or by given names (PyTorch's
//! `Sequential(OrderedDict(...))`).

use super::{join_name, Module, Slot};
use crate::Tensor;

/// Layers applied one after another.
#[derive(Default)]
pub struct Sequential {
    children: Vec<(String, Box<dyn Module>)>,
}

impl Sequential {
    pub fn new() -> Sequential {
        Sequential::default()
    }

    /// Appends a child named by its position, as `nn.Sequential(*layers)`.
    pub fn push(mut self, module: impl Module + 'static) -> Self {
        let name = self.children.len().to_string();
        self.children.push((name, Box::new(module)));
        self
    }

    /// Appends a child under `name`, as `nn.Sequential(OrderedDict(...))`.
    pub fn push_named(mut self, name: &str, module: impl Module + 'static) -> Self {
        assert!(
            !name.is_empty() && !name.contains('.') && self.children.iter().all(|(n, _)| n != name),
            "Sequential: child name {name:?} is empty, contains '.', or is taken"
        );
        self.children.push((name.to_string(), Box::new(module)));
        self
    }

    pub fn len(&self) -> usize {
        self.children.len()
    }

    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    /// Applies the first `count` children in order, except that a ReLU directly followed by a
    /// max-pool runs after the pool. max(relu(x)) = relu(max(x)) because ReLU is monotone; the
    /// pool then picks the same element (the first maximum, or the last NaN, as before: ReLU
    /// keeps the order of positives and NaNs, and where it flattens values to 0 its derivative
    /// is 0 either way), so values and derivatives of every order are the same bit for bit, and
    /// the ReLU and its backward pass touch a quarter of the elements (the seed's conv → ReLU →
    /// pool blocks).
    pub fn forward_first(&self, input: &Tensor, count: usize) -> Tensor {
        let mut x = input.clone();
        let mut modules = self.children.iter().take(count).map(|(_, m)| m.as_ref()).peekable();
        while let Some(module) = modules.next() {
            x = match modules.peek() {
                Some(pool) if module.is_relu() && pool.is_max_pool() => {
                    let pooled = pool.forward(&x);
                    modules.next();
                    module.forward(&pooled)
                }
                _ => module.forward(&x),
            };
        }
        x
    }

    /// The children with their names.
    pub fn children(&self) -> impl Iterator<Item = (&str, &dyn Module)> {
        self.children.iter().map(|(n, m)| (n.as_str(), m.as_ref()))
    }
}

impl Module for Sequential {
    fn forward(&self, input: &Tensor) -> Tensor {
        self.forward_first(input, self.children.len())
    }

    fn visit(&self, prefix: &str, visit: &mut dyn FnMut(String, &Tensor, Slot)) {
        for (name, module) in &self.children {
            module.visit(&join_name(prefix, name), visit);
        }
    }

    fn set_training(&mut self, training: bool) {
        for (_, module) in &mut self.children {
            module.set_training(training);
        }
    }

    fn describe(&self) -> String {
        describe_container("Sequential", self.children())
    }
}

/// PyTorch's multi-line repr of a container: `Name(\n  (child): Repr\n)`, nested reprs
/// indented by two spaces.
pub fn describe_container<'a>(name: &str, children: impl Iterator<Item = (&'a str, &'a dyn Module)>) -> String {
    let lines: Vec<String> = children
        .map(|(n, m)| format!("  ({n}): {}", m.describe().replace('\n', "\n  ")))
        .collect();
    if lines.is_empty() {
        format!("{name}()")
    } else {
        format!("{name}(\n{}\n)", lines.join("\n"))
    }
}
