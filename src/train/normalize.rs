//! Input normalisation `(x − mean) / std` applied to every pixel before the classifier
//! (`--normalize 0.5,0.5`, torchvision's `transforms.Normalize((0.5,), (0.5,))`, which the
//! loss-comparison study's users put after `ToTensor`: pixels in [0, 1] become [−1, 1]).

use crate::Tensor;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One mean and one standard deviation for every channel. In TOML: `normalize = [0.5, 0.5]`.
#[derive(Copy, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "[f64; 2]", into = "[f64; 2]")]
pub struct Normalize {
    pub mean: f64,
    pub std: f64,
}

impl Normalize {
    /// The study's `(x − 0.5) / 0.5`.
    pub const HALF: Normalize = Normalize { mean: 0.5, std: 0.5 };

    /// `(images − mean) / std`.
    pub fn apply(&self, images: &Tensor) -> Tensor {
        images.add_scalar(-self.mean).div_scalar(self.std)
    }
}

impl TryFrom<[f64; 2]> for Normalize {
    type Error = String;
    fn try_from([mean, std]: [f64; 2]) -> Result<Self, Self::Error> {
        if !(mean.is_finite() && std.is_finite() && std > 0.0) {
            return Err(format!(
                "normalize needs a finite mean and a positive std, got mean {mean} and std {std}"
            ));
        }
        Ok(Normalize { mean, std })
    }
}

impl From<Normalize> for [f64; 2] {
    fn from(n: Normalize) -> [f64; 2] {
        [n.mean, n.std]
    }
}

impl fmt::Display for Normalize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(x − {}) / {}", self.mean, self.std)
    }
}

impl FromStr for Normalize {
    type Err = String;

    /// `MEAN,STD`, e.g. `0.5,0.5`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let [mean, std] = parts[..] else {
            return Err(format!("expected MEAN,STD (e.g. 0.5,0.5), got {s:?}"));
        };
        let number = |v: &str| {
            v.parse::<f64>()
                .map_err(|_| format!("{v:?} is not a number (expected MEAN,STD)"))
        };
        Normalize::try_from([number(mean)?, number(std)?])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Device;

    #[test]
    fn maps_unit_pixels_to_minus_one_one() {
        let x = Tensor::from_vec(vec![0.0f64, 0.25, 1.0], &[3], &Device::Cpu);
        assert_eq!(Normalize::HALF.apply(&x).to_f64_vec(), vec![-1.0, -0.5, 1.0]);
    }

    #[test]
    fn parses_and_refuses() {
        assert_eq!(
            "0.1307, 0.3081".parse::<Normalize>().unwrap(),
            Normalize {
                mean: 0.1307,
                std: 0.3081
            }
        );
        assert!("0.5".parse::<Normalize>().unwrap_err().contains("MEAN,STD"));
        assert!("0.5,0".parse::<Normalize>().unwrap_err().contains("positive std"));
    }
}
