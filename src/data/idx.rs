//! MNIST and Fashion-MNIST in the IDX format (raw or gzipped), as LeCun's site, Zalando and
//! Debian's `dataset-fashion-mnist` distribute them.
//!
//! An image file is the big-endian magic `0x00000803` (unsigned bytes, 3 dimensions), the
//! counts `n, rows, cols`, then `n·rows·cols` pixel bytes; a label file is `0x00000801`, `n`,
//! then `n` label bytes.

use super::files::{self, candidates, locate, raw_or_gz, require_raw_or_gz, Beyond, Promised};
use super::{names, Dataset};
use crate::{Error, Result};
use std::path::{Path, PathBuf};

const IMAGES_MAGIC: u32 = 0x0000_0803;
const LABELS_MAGIC: u32 = 0x0000_0801;

/// Pixel bytes of an IDX image file, with its dimensions.
struct IdxImages {
    rows: usize,
    cols: usize,
    pixels: Vec<u8>,
    count: usize,
}

fn data_error(name: &Path, fault: impl std::fmt::Display) -> Error {
    Error::Data(format!("{}: {fault}", name.display()))
}

/// The big-endian `u32` header fields after the magic. The magic is checked first, so a file
/// of the wrong kind is reported as such even when it is also too short.
fn header(bytes: &[u8], name: &Path, magic: u32, dims: usize, what: &str) -> Result<Vec<usize>> {
    let words: Vec<u32> = bytes
        .chunks_exact(4)
        .take(dims + 1)
        .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
        .collect();
    if let Some(&found) = words.first() {
        if found != magic {
            return Err(data_error(
                name,
                format!("wrong magic number {found:#010x}, expected {magic:#010x} (IDX {what})"),
            ));
        }
    }
    if words.len() < dims + 1 {
        return Err(data_error(
            name,
            format!(
                "truncated: {} bytes is shorter than the {}-byte IDX {what} header",
                bytes.len(),
                4 * (dims + 1)
            ),
        ));
    }
    Ok(words[1..].iter().map(|&w| w as usize).collect())
}

/// The payload after a header of `header_len` bytes, which must be exactly `expected` bytes
/// (`bytes` holds at most that many: what lies beyond is `beyond`).
fn payload<'a>(read: &'a Promised, header_len: usize, expected: usize, name: &Path, what: &str) -> Result<&'a [u8]> {
    let body = &read.bytes[header_len..];
    if body.len() < expected {
        return Err(data_error(
            name,
            format!(
                "truncated: the header promises {what} ({expected} bytes) but only {} bytes follow it",
                body.len()
            ),
        ));
    }
    match read.beyond {
        Beyond::Nothing => Ok(body),
        Beyond::Bytes(n) => Err(data_error(name, format!("{n} unexpected bytes after {what}"))),
        Beyond::More => Err(data_error(
            name,
            format!("unexpected bytes after {what}: it decompresses to more than its header promises"),
        )),
    }
}

/// The dimensions of an image file's header and the bytes its pixels take.
fn image_dims(bytes: &[u8], name: &Path) -> Result<(usize, usize, usize, usize)> {
    let dims = header(bytes, name, IMAGES_MAGIC, 3, "images")?;
    let (count, rows, cols) = (dims[0], dims[1], dims[2]);
    if rows == 0 || cols == 0 {
        return Err(data_error(name, format!("images of {rows}×{cols} pixels")));
    }
    let expected = count
        .checked_mul(rows)
        .and_then(|n| n.checked_mul(cols))
        .and_then(|n| n.checked_add(16))
        .ok_or_else(|| {
            data_error(
                name,
                format!("the header's sizes overflow ({count} images of {rows}×{cols})"),
            )
        })?;
    Ok((count, rows, cols, expected - 16))
}

fn parse_images(read: Promised, name: &Path) -> Result<IdxImages> {
    let (count, rows, cols, expected) = image_dims(&read.bytes, name)?;
    let what = format!("{count} images of {rows}×{cols}");
    payload(&read, 16, expected, name, &what)?;
    // In place: the pixels are most of the file.
    let mut pixels = read.bytes;
    pixels.drain(..16);
    Ok(IdxImages {
        rows,
        cols,
        pixels,
        count,
    })
}

fn parse_labels(read: &Promised, name: &Path, num_classes: usize) -> Result<Vec<usize>> {
    let count = header(&read.bytes, name, LABELS_MAGIC, 1, "labels")?[0];
    let body = payload(read, 8, count, name, &format!("{count} labels"))?;
    if let Some((i, &label)) = body.iter().enumerate().find(|(_, &l)| usize::from(l) >= num_classes) {
        return Err(data_error(
            name,
            format!("label {label} at index {i} is not one of the {num_classes} classes"),
        ));
    }
    Ok(body.iter().map(|&l| usize::from(l)).collect())
}

/// The whole size an image file's header promises.
fn promised_images(header: &[u8], name: &Path) -> Result<u64> {
    image_dims(header, name).map(|(.., pixels)| pixels as u64 + 16)
}

/// The whole size a label file's header promises.
fn promised_labels(header_bytes: &[u8], name: &Path) -> Result<u64> {
    header(header_bytes, name, LABELS_MAGIC, 1, "labels").map(|dims| dims[0] as u64 + 8)
}

/// A dataset from the contents of an IDX image file and its label file (either may be
/// gzipped); `images_name` and `labels_name` are the files named in errors.
pub(crate) fn dataset_from_bytes(
    images: &[u8],
    images_name: &Path,
    labels: &[u8],
    labels_name: &Path,
    class_names: &[&str],
) -> Result<Dataset> {
    let images = files::promised_from_bytes(images, images_name, 16, |h| promised_images(h, images_name))?;
    let labels = files::promised_from_bytes(labels, labels_name, 8, |h| promised_labels(h, labels_name))?;
    dataset(images, images_name, &labels, labels_name, class_names)
}

fn dataset(
    images: Promised,
    images_name: &Path,
    labels: &Promised,
    labels_name: &Path,
    class_names: &[&str],
) -> Result<Dataset> {
    let images = parse_images(images, images_name)?;
    let labels = parse_labels(labels, labels_name, class_names.len())?;
    if images.count != labels.len() {
        return Err(Error::Data(format!(
            "{} holds {} images but {} holds {} labels",
            images_name.display(),
            images.count,
            labels_name.display(),
            labels.len()
        )));
    }
    if images.count == 0 {
        return Err(data_error(images_name, "holds no images"));
    }
    Dataset::new(
        images.pixels,
        labels,
        [1, images.rows, images.cols],
        class_names.iter().map(|s| s.to_string()).collect(),
    )
}

/// The split `prefix` (`train` or `t10k`) from the files in `dir`.
fn load_split(dir: &Path, prefix: &str, class_names: &[&str]) -> Result<Dataset> {
    let images_path = require_raw_or_gz(dir, &format!("{prefix}-images-idx3-ubyte"))?;
    let labels_path = require_raw_or_gz(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
    let images = files::read_promised(&images_path, 16, |h| promised_images(h, &images_path))?;
    let labels = files::read_promised(&labels_path, 8, |h| promised_labels(h, &labels_path))?;
    dataset(images, &images_path, &labels, &labels_path, class_names)
}

/// `(train, test)` from the first folder among `roots` and their torchvision-style
/// subfolders that holds `train-images-idx3-ubyte` (raw or `.gz`).
fn load_from(
    roots: &[PathBuf],
    subs: &[&str],
    dataset: &str,
    class_names: &[&str],
    hint: &str,
) -> Result<(Dataset, Dataset)> {
    let dir = locate(
        dataset,
        &candidates(roots, subs),
        "train-images-idx3-ubyte(.gz)",
        |d| raw_or_gz(d, "train-images-idx3-ubyte").is_some(),
        hint,
    )?;
    Ok((
        load_split(&dir, "train", class_names)?,
        load_split(&dir, "t10k", class_names)?,
    ))
}

pub(crate) fn load_mnist_from(roots: &[PathBuf]) -> Result<(Dataset, Dataset)> {
    load_from(
        roots,
        &["", "MNIST/raw", "mnist"],
        "mnist",
        &names::MNIST,
        "Put MNIST's four IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, \
         t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) in one folder and pass it as the data folder.",
    )
}

pub(crate) fn load_fashion_mnist_from(roots: &[PathBuf]) -> Result<(Dataset, Dataset)> {
    load_from(
        roots,
        &["", "FashionMNIST/raw", "fashion-mnist"],
        "fashion-mnist",
        &names::FASHION_MNIST,
        "Install Debian's package (apt-get install dataset-fashion-mnist, which puts the files in \
         /usr/share/datasets/fashion-mnist), or put Fashion-MNIST's four IDX files in one folder and \
         pass it as the data folder.",
    )
}

/// MNIST `(train, test)` from `dir`, the folder of the IDX files or one above it (torchvision's
/// `root`, with `MNIST/raw/` inside).
pub fn load_mnist(dir: &Path) -> Result<(Dataset, Dataset)> {
    load_mnist_from(&[dir.to_path_buf()])
}

/// Fashion-MNIST `(train, test)` from `dir`, the folder of the IDX files or one above it
/// (torchvision's `root`, with `FashionMNIST/raw/` inside).
pub fn load_fashion_mnist(dir: &Path) -> Result<(Dataset, Dataset)> {
    load_fashion_mnist_from(&[dir.to_path_buf()])
}
