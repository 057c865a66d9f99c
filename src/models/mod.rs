//! The seed's two classifiers, built from `nn` layers as flat `Sequential`s so that their
//! parameter names (`0.weight`, `1.running_mean`, …) are those of the same `nn.Sequential` in
//! PyTorch, and a checkpoint loads into it directly.

mod baseline;
mod classifier;

pub use baseline::{baseline_cnn, BaselineConfig};
pub use classifier::{learnable_classifier, ClassifierConfig, PROBABILITY_FLOOR};

/// An image batch's shape without the batch dim: channels, height, width.
pub type ImageShape = [usize; 3];

/// Spatial size after `pools` 2×2 max-pools with stride 2 (each floors, as PyTorch).
fn pooled(size: usize, pools: u32) -> usize {
    size >> pools
}

/// Panics with a message naming the shape when an image is too small for `pools` poolings.
fn check_fits(model: &str, shape: ImageShape, pools: u32) {
    let [c, h, w] = shape;
    assert!(
        c > 0 && pooled(h, pools) > 0 && pooled(w, pools) > 0,
        "{model}: input shape [{c}, {h}, {w}] is too small for {pools} 2×2 poolings"
    );
}
