//! `nn.MaxPool2d` and `nn.AdaptiveAvgPool2d`.

use super::{functional, Module};
use crate::{Pool2dParams, Tensor};

/// Max-pool over windows of `[N, C, H, W]`; the stride defaults to the kernel size.
#[derive(Clone, Copy, Debug)]
pub struct MaxPool2d {
    pub params: Pool2dParams,
}

impl MaxPool2d {
    /// `nn.MaxPool2d(k)`: a k×k window, stride k, no padding.
    pub fn new(kernel: usize) -> MaxPool2d {
        MaxPool2d {
            params: Pool2dParams::square(kernel),
        }
    }
}

impl Module for MaxPool2d {
    fn forward(&self, input: &Tensor) -> Tensor {
        functional::max_pool2d(input, &self.params)
    }

    fn is_max_pool(&self) -> bool {
        true
    }

    fn describe(&self) -> String {
        let p = &self.params;
        let pair = |v: [usize; 2]| {
            if v[0] == v[1] {
                v[0].to_string()
            } else {
                format!("({}, {})", v[0], v[1])
            }
        };
        format!(
            "MaxPool2d(kernel_size={}, stride={}, padding={}, dilation={}, ceil_mode=False)",
            pair(p.kernel),
            pair(p.stride),
            pair(p.padding),
            pair(p.dilation)
        )
    }
}

/// Averages each channel over windows that tile the plane into `output_size` cells.
#[derive(Clone, Copy, Debug)]
pub struct AdaptiveAvgPool2d {
    pub output_size: [usize; 2],
}

impl AdaptiveAvgPool2d {
    /// `nn.AdaptiveAvgPool2d(n)`: an n×n output.
    pub fn new(n: usize) -> AdaptiveAvgPool2d {
        AdaptiveAvgPool2d { output_size: [n, n] }
    }
}

impl Module for AdaptiveAvgPool2d {
    fn forward(&self, input: &Tensor) -> Tensor {
        functional::adaptive_avg_pool2d(input, self.output_size)
    }

    fn describe(&self) -> String {
        let [h, w] = self.output_size;
        if h == w {
            format!("AdaptiveAvgPool2d(output_size={h})")
        } else {
            format!("AdaptiveAvgPool2d(output_size=({h}, {w}))")
        }
    }
}
