//! `nn.Dropout` with its own seeded generator, so runs are reproducible and the trainer can save
//! and restore the random state with a checkpoint. Masks come from the generator's Philox stream
//! and are drawn on the input's device (the same mask on every device).

use super::repr::py_float;
use super::{functional, Module};
use crate::{Generator, Tensor};
use parking_lot::Mutex;
use std::sync::Arc;

/// A generator shared by the layers that draw random numbers during training.
pub type SharedGenerator = Arc<Mutex<Generator>>;

/// A new shared generator from a seed.
pub fn shared_generator(seed: u64) -> SharedGenerator {
    Arc::new(Mutex::new(Generator::new(seed)))
}

/// Zeroes elements with probability `p` in training mode and scales the rest by `1 / (1 - p)`.
pub struct Dropout {
    pub p: f64,
    pub training: bool,
    gen: SharedGenerator,
}

impl Dropout {
    pub fn new(p: f64, gen: SharedGenerator) -> Dropout {
        assert!(
            (0.0..=1.0).contains(&p),
            "dropout probability has to be between 0 and 1, but got {p}"
        );
        Dropout { p, training: true, gen }
    }
}

impl Module for Dropout {
    fn forward(&self, input: &Tensor) -> Tensor {
        functional::dropout(input, self.p, self.training, &mut self.gen.lock())
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
    }

    fn describe(&self) -> String {
        format!("Dropout(p={}, inplace=False)", py_float(self.p))
    }
}
