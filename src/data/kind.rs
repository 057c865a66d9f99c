//! Which dataset to train on, by the name a user types.

use crate::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// A dataset [`super::load`] can read.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum DatasetKind {
    Mnist,
    FashionMnist,
    Cifar10,
    Cifar100,
    OxfordPet,
    /// The Fashion-MNIST subset compiled into the binary: runs need no data on disk.
    Embedded,
}

impl DatasetKind {
    /// Every kind, in the order help texts list them.
    pub const ALL: [DatasetKind; 6] = [
        DatasetKind::Embedded,
        DatasetKind::Mnist,
        DatasetKind::FashionMnist,
        DatasetKind::Cifar10,
        DatasetKind::Cifar100,
        DatasetKind::OxfordPet,
    ];

    /// The canonical name, which [`FromStr`] accepts and [`fmt::Display`] prints.
    pub fn name(self) -> &'static str {
        match self {
            DatasetKind::Mnist => "mnist",
            DatasetKind::FashionMnist => "fashion-mnist",
            DatasetKind::Cifar10 => "cifar10",
            DatasetKind::Cifar100 => "cifar100",
            DatasetKind::OxfordPet => "pet",
            DatasetKind::Embedded => "embedded",
        }
    }
}

impl fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DatasetKind {
    type Err = Error;

    /// A canonical name or a common spelling of it (case, `-` and `_` ignored where they only
    /// separate words: `fashionmnist`, `FashionMNIST`, `cifar-10`, `oxford-pet`,
    /// `oxford-iiit-pet`).
    fn from_str(s: &str) -> Result<DatasetKind> {
        let key: String = s
            .chars()
            .filter(|c| !matches!(c, '-' | '_'))
            .flat_map(char::to_lowercase)
            .collect();
        match key.as_str() {
            "mnist" => Ok(DatasetKind::Mnist),
            "fashionmnist" => Ok(DatasetKind::FashionMnist),
            "cifar10" => Ok(DatasetKind::Cifar10),
            "cifar100" => Ok(DatasetKind::Cifar100),
            "pet" | "oxfordpet" | "oxfordiiitpet" => Ok(DatasetKind::OxfordPet),
            "embedded" => Ok(DatasetKind::Embedded),
            _ => {
                let names: Vec<&str> = DatasetKind::ALL.iter().map(|k| k.name()).collect();
                Err(Error::Config(format!(
                    "unknown dataset {s:?}; expected one of: {}",
                    names.join(", ")
                )))
            }
        }
    }
}
