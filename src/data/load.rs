//! Loading a dataset by kind, from a given folder or the places it is usually installed.

use super::{cifar, embedded, idx, pet, Dataset, DatasetKind};
use crate::Result;
use std::path::{Path, PathBuf};

/// Where Debian's `dataset-fashion-mnist` package installs the gzipped IDX files.
pub const DEBIAN_FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// The folders searched when no data folder is given: `./data` (torchvision's customary
/// `root`), and for Fashion-MNIST also Debian's package folder.
fn default_roots(kind: DatasetKind) -> Vec<PathBuf> {
    let mut roots = vec![PathBuf::from("data")];
    if kind == DatasetKind::FashionMnist {
        roots.push(PathBuf::from(DEBIAN_FASHION_MNIST_DIR));
    }
    roots
}

/// `(train, test)` of `kind`, read from `data_dir` (the dataset's own folder or the one holding
/// it, as torchvision's `root`). When it is `None`, `./data` is searched (torchvision's customary
/// `root`), and for Fashion-MNIST also [`DEBIAN_FASHION_MNIST_DIR`], where Debian's
/// `dataset-fashion-mnist` package puts it. The embedded set ignores `data_dir`.
///
/// Errors name the file and the fault, or, when no folder holds the dataset, list the folders
/// searched and say how to get the data.
pub fn load(kind: DatasetKind, data_dir: Option<&Path>) -> Result<(Dataset, Dataset)> {
    let roots = match data_dir {
        Some(dir) => vec![dir.to_path_buf()],
        None => default_roots(kind),
    };
    match kind {
        DatasetKind::Mnist => idx::load_mnist_from(&roots),
        DatasetKind::FashionMnist => idx::load_fashion_mnist_from(&roots),
        DatasetKind::Cifar10 => cifar::load_cifar10_from(&roots),
        DatasetKind::Cifar100 => cifar::load_cifar100_from(&roots),
        DatasetKind::OxfordPet => pet::load_oxford_pet_from(&roots),
        DatasetKind::Embedded => embedded::load_embedded(),
    }
}
