//! The classifiers, built from `nn` layers as `Sequential`s so that their parameter names
//! (`0.weight`, `1.running_mean`, `convolutions.4.0.conv1.weight`, …) are those of the same
//! PyTorch module, and a checkpoint loads into it directly: the seed's two CNNs, and
//! torchvision's ResNet-18 under the multi-label head (docs/multilabel.md).

mod baseline;
mod classifier;
mod mlp;
mod resnet;
mod torchvision_weights;

pub use baseline::{baseline_cnn, BaselineConfig};
pub use classifier::{learnable_classifier, ClassifierConfig, PROBABILITY_FLOOR};
pub use mlp::mlp;
pub use resnet::{
    multilabel_resnet18, resnet18_backbone, resnet18_backbone_with_width, BasicBlock, MultiLabelConfig,
    RESNET18_CHILDREN, RESNET18_FEATURES, RESNET18_WIDTH,
};
pub use torchvision_weights::{load_torchvision_resnet18, torchvision_to_backbone_name};

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
