//! Reading data files: whole-file reads with the path in every error, transparent gunzip, and
//! finding the folder that holds a dataset.

use crate::{Error, Result};
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest decompressed size accepted from a gzip file. The largest real file (MNIST's
/// training images) is 47 MB; the cap turns a corrupt or hostile stream into an error instead
/// of exhausting memory.
const MAX_GUNZIPPED: u64 = 1 << 31;

/// The bytes of `path`; an [`Error::Io`] naming the file if it cannot be read.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

/// `bytes` decompressed if they start with the gzip magic, else `bytes` as they are: IDX files
/// are used both raw and gzipped, and the magic cannot be mistaken for an IDX header (which
/// starts with two zero bytes). `name` is the file named in errors.
pub(crate) fn gunzip_if_gz(bytes: Vec<u8>, name: &Path) -> Result<Vec<u8>> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let mut out = Vec::new();
    GzDecoder::new(bytes.as_slice())
        .take(MAX_GUNZIPPED + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::Data(format!("{}: corrupt or truncated gzip data: {e}", name.display())))?;
    if out.len() as u64 > MAX_GUNZIPPED {
        return Err(Error::Data(format!(
            "{}: decompresses to more than {MAX_GUNZIPPED} bytes",
            name.display()
        )));
    }
    Ok(out)
}

/// `dir/name` if it exists, else `dir/name.gz` if that exists.
pub(crate) fn raw_or_gz(dir: &Path, name: &str) -> Option<PathBuf> {
    let raw = dir.join(name);
    if raw.is_file() {
        return Some(raw);
    }
    let gz = dir.join(format!("{name}.gz"));
    gz.is_file().then_some(gz)
}

/// Like [`raw_or_gz`], with an error naming both paths tried when neither exists.
pub(crate) fn require_raw_or_gz(dir: &Path, name: &str) -> Result<PathBuf> {
    raw_or_gz(dir, name).ok_or_else(|| {
        let raw = dir.join(name);
        Error::Data(format!(
            "{}: missing (neither it nor {}.gz exists)",
            raw.display(),
            raw.display()
        ))
    })
}

/// Every `root/sub` for each root and each `subs` entry (`""` is the root itself), in order.
pub(crate) fn candidates(roots: &[PathBuf], subs: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for root in roots {
        for sub in subs {
            let dir = if sub.is_empty() { root.clone() } else { root.join(sub) };
            if !out.contains(&dir) {
                out.push(dir);
            }
        }
    }
    out
}

/// The first of `folders` for which `holds` is true, so a caller may name the dataset's folder
/// itself or the folder above it (torchvision's `root`). The error lists every folder searched
/// and says how to get the data (`hint`).
pub(crate) fn locate(
    dataset: &str,
    folders: &[PathBuf],
    looking_for: &str,
    holds: impl Fn(&Path) -> bool,
    hint: &str,
) -> Result<PathBuf> {
    if let Some(dir) = folders.iter().find(|d| holds(d)) {
        return Ok(dir.clone());
    }
    let searched: Vec<String> = folders.iter().map(|d| d.display().to_string()).collect();
    Err(Error::Data(format!(
        "{dataset}: no {looking_for} in any of the folders searched: {}. {hint}",
        searched.join(", ")
    )))
}
