//! The class weights of the `weighted-ce` method (`--class-weights`): a list given by the user,
//! one weight per class (the loss-comparison study's `2,1,1,…`: class 0 counts double), or the
//! inverse training frequencies, computed from the data when a run starts.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where `weighted-ce`'s weights come from. In TOML: `class_weights = "inverse-frequency"` or
/// `class_weights = [2.0, 1.0, …]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "\"inverse-frequency\" or a list of numbers, one weight per class"
)]
pub enum ClassWeights {
    /// One weight per class, in label order.
    List(Vec<f64>),
    /// By name: `inverse-frequency`, `total / (classes · count[c])`: every class gets the same
    /// total weight over the training set (`count[c] · w[c] = total / classes`), and the mean
    /// weight over the training samples is 1.
    #[serde(with = "inverse_frequency_name")]
    #[default]
    InverseFrequency,
}

/// The name `inverse-frequency` as the serialised form of [`ClassWeights::InverseFrequency`].
mod inverse_frequency_name {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(super::INVERSE_FREQUENCY)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<(), D::Error> {
        let name = String::deserialize(d)?;
        if super::is_inverse_frequency(&name) {
            Ok(())
        } else {
            Err(D::Error::custom(format!(
                "unknown class weights {name:?} (expected {:?} or a list of numbers)",
                super::INVERSE_FREQUENCY
            )))
        }
    }
}

const INVERSE_FREQUENCY: &str = "inverse-frequency";

fn is_inverse_frequency(name: &str) -> bool {
    matches!(
        name.trim().to_ascii_lowercase().replace('_', "-").as_str(),
        "inverse-frequency" | "balanced"
    )
}

impl ClassWeights {
    /// The weights for `counts[c]` training images of class c. A list must hold one finite,
    /// non-negative weight per class, not all zero; the error says what is wrong.
    pub fn resolve(&self, counts: &[usize]) -> Result<Vec<f64>> {
        let classes = counts.len();
        match self {
            ClassWeights::InverseFrequency => {
                let total: usize = counts.iter().sum();
                Ok(counts
                    .iter()
                    .map(|&n| total as f64 / (classes as f64 * n.max(1) as f64))
                    .collect())
            }
            ClassWeights::List(w) => {
                if w.len() != classes {
                    return Err(Error::Config(format!(
                        "--class-weights gives {} weights but the data has {classes} classes",
                        w.len()
                    )));
                }
                self.check()?;
                Ok(w.clone())
            }
        }
    }

    /// Rejects an empty list, a list with a negative or non-finite weight, or with every
    /// weight 0.
    pub fn check(&self) -> Result<()> {
        if let ClassWeights::List(w) = self {
            if w.is_empty() {
                return Err(Error::Config(
                    "--class-weights: the list is empty (give one weight per class, or inverse-frequency)".into(),
                ));
            }
            if let Some((c, v)) = w.iter().enumerate().find(|(_, v)| !(v.is_finite() && **v >= 0.0)) {
                return Err(Error::Config(format!(
                    "--class-weights: the weight of class {c} is {v}; weights must be finite and non-negative"
                )));
            }
            if w.iter().all(|&v| v == 0.0) {
                return Err(Error::Config(
                    "--class-weights: every weight is 0, so the loss would be 0".into(),
                ));
            }
        }
        Ok(())
    }
}

impl fmt::Display for ClassWeights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClassWeights::InverseFrequency => f.write_str(INVERSE_FREQUENCY),
            ClassWeights::List(w) => {
                let parts: Vec<String> = w.iter().map(|v| v.to_string()).collect();
                f.write_str(&parts.join(","))
            }
        }
    }
}

impl FromStr for ClassWeights {
    type Err = String;

    /// `inverse-frequency` (or `balanced`, scikit-learn's name for the same weights), or
    /// comma-separated numbers.
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        if is_inverse_frequency(s) {
            return Ok(ClassWeights::InverseFrequency);
        }
        s.split(',')
            .map(|part| {
                part.trim().parse::<f64>().map_err(|_| {
                    format!(
                        "class weight {:?} is not a number (expected a list like 2,1,1 or inverse-frequency)",
                        part.trim()
                    )
                })
            })
            .collect::<std::result::Result<Vec<f64>, String>>()
            .map(ClassWeights::List)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_the_name() {
        assert_eq!(
            "2,1,1".parse::<ClassWeights>().unwrap(),
            ClassWeights::List(vec![2.0, 1.0, 1.0])
        );
        assert_eq!(
            "Inverse_Frequency".parse::<ClassWeights>().unwrap(),
            ClassWeights::InverseFrequency
        );
        assert!("2,x".parse::<ClassWeights>().unwrap_err().contains("\"x\""));
    }

    #[test]
    fn inverse_frequency_weighs_every_class_equally_in_total() {
        let w = ClassWeights::InverseFrequency.resolve(&[30, 10, 20]).unwrap();
        // total / (classes · count): 60/90, 60/30, 60/60.
        assert_eq!(w, vec![60.0 / 90.0, 2.0, 1.0]);
    }

    #[test]
    fn a_list_must_fit_the_classes_and_be_usable() {
        let err = ClassWeights::List(vec![2.0, 1.0])
            .resolve(&[5, 5, 5])
            .unwrap_err()
            .to_string();
        assert!(err.contains("2 weights") && err.contains("3 classes"), "{err}");
        let err = ClassWeights::List(vec![1.0, -1.0]).check().unwrap_err().to_string();
        assert!(err.contains("class 1 is -1"), "{err}");
        let err = ClassWeights::List(vec![0.0, 0.0]).check().unwrap_err().to_string();
        assert!(err.contains("every weight is 0"), "{err}");
        let err = ClassWeights::List(vec![]).check().unwrap_err().to_string();
        assert!(err.contains("empty"), "{err}");
    }

    #[test]
    fn round_trips_through_toml() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Holder {
            w: ClassWeights,
        }
        for w in [ClassWeights::InverseFrequency, ClassWeights::List(vec![2.0, 1.0])] {
            let text = toml::to_string(&Holder { w: w.clone() }).unwrap();
            assert_eq!(toml::from_str::<Holder>(&text).unwrap().w, w, "{text}");
        }
        let err = toml::from_str::<Holder>("w = \"sometimes\"").unwrap_err().to_string();
        assert!(err.contains("\"inverse-frequency\" or a list of numbers"), "{err}");
    }
}
