//! `nn.Conv2d` (groups = 1).

use super::repr::py_bool;
use super::{functional, init, join_name, Module, Slot, Spec};
use crate::{Conv2dParams, Generator, Tensor};

/// 2-D convolution with `weight: [out, in, kh, kw]` and `bias: [out]`.
pub struct Conv2d {
    pub weight: Tensor,
    pub bias: Option<Tensor>,
    pub params: Conv2dParams,
}

/// The hyper-parameters of a [`Conv2d`] besides its channel counts.
#[derive(Clone, Debug)]
pub struct Conv2dConfig {
    pub kernel: [usize; 2],
    pub params: Conv2dParams,
    pub bias: bool,
}

impl Conv2dConfig {
    /// A square kernel, stride 1, no padding, with bias (PyTorch's defaults).
    pub fn kernel(k: usize) -> Conv2dConfig {
        Conv2dConfig {
            kernel: [k, k],
            params: Conv2dParams::default(),
            bias: true,
        }
    }

    pub fn padding(mut self, p: usize) -> Self {
        self.params.padding = [p, p];
        self
    }

    pub fn stride(mut self, s: usize) -> Self {
        self.params.stride = [s, s];
        self
    }

    pub fn dilation(mut self, d: usize) -> Self {
        self.params.dilation = [d, d];
        self
    }

    pub fn bias(mut self, bias: bool) -> Self {
        self.bias = bias;
        self
    }
}

impl Conv2d {
    /// PyTorch's default initialisation (U(±1/√(in·kh·kw)) for weight and bias).
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        config: &Conv2dConfig,
        spec: &Spec,
        gen: &mut Generator,
    ) -> Conv2d {
        let [kh, kw] = config.kernel;
        assert!(
            in_channels > 0 && out_channels > 0 && kh > 0 && kw > 0,
            "Conv2d: channels ({in_channels} → {out_channels}) and kernel {:?} must be positive",
            config.kernel
        );
        let (weight, bias) = init::default_weight_and_bias(
            &[out_channels, in_channels, kh, kw],
            in_channels * kh * kw,
            config.bias.then_some(out_channels),
            spec,
            gen,
        );
        Conv2d {
            weight,
            bias,
            params: config.params,
        }
    }
}

impl Module for Conv2d {
    fn forward(&self, input: &Tensor) -> Tensor {
        functional::conv2d(input, &self.weight, self.bias.as_ref(), &self.params)
    }

    fn visit(&self, prefix: &str, visit: &mut dyn FnMut(String, &Tensor, Slot)) {
        visit(join_name(prefix, "weight"), &self.weight, Slot::Parameter);
        if let Some(b) = &self.bias {
            visit(join_name(prefix, "bias"), b, Slot::Parameter);
        }
    }

    fn describe(&self) -> String {
        let w = self.weight.shape();
        let p = &self.params;
        let mut s = format!(
            "Conv2d({}, {}, kernel_size=({}, {}), stride=({}, {})",
            w[1], w[0], w[2], w[3], p.stride[0], p.stride[1]
        );
        if p.padding != [0, 0] {
            s += &format!(", padding=({}, {})", p.padding[0], p.padding[1]);
        }
        if p.dilation != [1, 1] {
            s += &format!(", dilation=({}, {})", p.dilation[0], p.dilation[1]);
        }
        if self.bias.is_none() {
            s += &format!(", bias={}", py_bool(false));
        }
        s + ")"
    }
}
