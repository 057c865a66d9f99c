//! CIFAR-10 and CIFAR-100 in their binary versions (`cifar-10-binary.tar.gz`,
//! `cifar-100-binary.tar.gz`).
//!
//! A file is a run of fixed-size records: the label byte(s), then a 32×32 colour image as 1024
//! red, 1024 green and 1024 blue bytes, each plane row-major — already `[C, H, W]`.

use super::files::{self, candidates, locate};
use super::{names, Dataset};
use crate::{Error, Result};
use std::path::{Path, PathBuf};

const IMAGE_BYTES: usize = 3 * 32 * 32;

/// How one CIFAR variant lays out its files.
struct Layout {
    dataset: &'static str,
    /// Label bytes before the pixels of each record (1 for CIFAR-10; coarse and fine for 100).
    label_bytes: usize,
    /// Which of them is the label used (CIFAR-100's fine label is the second).
    label_index: usize,
    train_files: &'static [&'static str],
    test_file: &'static str,
    names_file: &'static str,
    default_names: &'static [&'static str],
    subfolder: &'static str,
    hint: &'static str,
}

const CIFAR10: Layout = Layout {
    dataset: "cifar10",
    label_bytes: 1,
    label_index: 0,
    train_files: &[
        "data_batch_1.bin",
        "data_batch_2.bin",
        "data_batch_3.bin",
        "data_batch_4.bin",
        "data_batch_5.bin",
    ],
    test_file: "test_batch.bin",
    names_file: "batches.meta.txt",
    default_names: &names::CIFAR10,
    subfolder: "cifar-10-batches-bin",
    hint: "Unpack the binary version of CIFAR-10 (cifar-10-binary.tar.gz) and pass the folder \
           cifar-10-batches-bin, or the one holding it, as the data folder.",
};

const CIFAR100: Layout = Layout {
    dataset: "cifar100",
    label_bytes: 2,
    label_index: 1,
    train_files: &["train.bin"],
    test_file: "test.bin",
    names_file: "fine_label_names.txt",
    default_names: &names::CIFAR100,
    subfolder: "cifar-100-binary",
    hint: "Unpack the binary version of CIFAR-100 (cifar-100-binary.tar.gz) and pass the folder \
           cifar-100-binary, or the one holding it, as the data folder.",
};

/// The class names from `path` (one per line, blank lines ignored) if it exists, else the
/// standard ones; the file must list exactly as many as the standard.
fn class_names(dir: &Path, layout: &Layout) -> Result<Vec<String>> {
    let path = dir.join(layout.names_file);
    if !path.is_file() {
        return Ok(layout.default_names.iter().map(|s| s.to_string()).collect());
    }
    let bytes = files::read(&path)?;
    let text = String::from_utf8(bytes).map_err(|_| Error::Data(format!("{}: not UTF-8 text", path.display())))?;
    let names: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    if names.len() != layout.default_names.len() {
        return Err(Error::Data(format!(
            "{}: lists {} class names, expected {}",
            path.display(),
            names.len(),
            layout.default_names.len()
        )));
    }
    Ok(names)
}

/// Appends the records of `path` to `pixels` and `labels`.
fn read_records(
    path: &Path,
    layout: &Layout,
    num_classes: usize,
    pixels: &mut Vec<u8>,
    labels: &mut Vec<usize>,
) -> Result<()> {
    let bytes = files::read(path)?;
    let record = layout.label_bytes + IMAGE_BYTES;
    if bytes.is_empty() {
        return Err(Error::Data(format!("{}: empty file", path.display())));
    }
    if bytes.len() % record != 0 {
        return Err(Error::Data(format!(
            "{}: truncated or corrupt: {} bytes is not a whole number of {record}-byte records \
             ({} whole records and {} bytes over)",
            path.display(),
            bytes.len(),
            bytes.len() / record,
            bytes.len() % record
        )));
    }
    pixels.reserve(bytes.len() / record * IMAGE_BYTES);
    for (i, rec) in bytes.chunks_exact(record).enumerate() {
        let label = usize::from(rec[layout.label_index]);
        if label >= num_classes {
            return Err(Error::Data(format!(
                "{}: record {i} has label {label}, not one of the {num_classes} classes",
                path.display()
            )));
        }
        labels.push(label);
        pixels.extend_from_slice(&rec[layout.label_bytes..]);
    }
    Ok(())
}

fn load_split(dir: &Path, files: &[&str], layout: &Layout, class_names: &[String]) -> Result<Dataset> {
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for name in files {
        read_records(&dir.join(name), layout, class_names.len(), &mut pixels, &mut labels)?;
    }
    Dataset::new(pixels, labels, [3, 32, 32], class_names.to_vec())
}

fn load_from(roots: &[PathBuf], layout: &Layout) -> Result<(Dataset, Dataset)> {
    let dir = locate(
        layout.dataset,
        &candidates(roots, &["", layout.subfolder]),
        layout.test_file,
        |d| d.join(layout.test_file).is_file(),
        layout.hint,
    )?;
    let class_names = class_names(&dir, layout)?;
    Ok((
        load_split(&dir, layout.train_files, layout, &class_names)?,
        load_split(&dir, &[layout.test_file], layout, &class_names)?,
    ))
}

pub(crate) fn load_cifar10_from(roots: &[PathBuf]) -> Result<(Dataset, Dataset)> {
    load_from(roots, &CIFAR10)
}

pub(crate) fn load_cifar100_from(roots: &[PathBuf]) -> Result<(Dataset, Dataset)> {
    load_from(roots, &CIFAR100)
}

/// CIFAR-10 `(train, test)`: `data_batch_1.bin`..`data_batch_5.bin` and `test_batch.bin` from
/// `dir`, the folder `cifar-10-batches-bin` or the one holding it. Class names come from
/// `batches.meta.txt` when it is there.
pub fn load_cifar10(dir: &Path) -> Result<(Dataset, Dataset)> {
    load_cifar10_from(&[dir.to_path_buf()])
}

/// CIFAR-100 `(train, test)` with the 100 fine labels: `train.bin` and `test.bin` from `dir`,
/// the folder `cifar-100-binary` or the one holding it. Class names come from
/// `fine_label_names.txt` when it is there.
pub fn load_cifar100(dir: &Path) -> Result<(Dataset, Dataset)> {
    load_cifar100_from(&[dir.to_path_buf()])
}
