//! Reading data files: whole-file reads with the path in every error, transparent gunzip, and
//! finding the folder that holds a dataset.

use crate::{Error, Result};
use flate2::bufread::MultiGzDecoder;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// The most a deflate stream expands: 258 bytes from 2 bits, about 1032:1 (zlib's technical
/// details), plus room for a gzip header and a tiny file's fixed costs. A header that promises
/// more than this many times the compressed size is refused before anything is allocated.
const DEFLATE_MAX_RATIO: u64 = 1032;
const GZIP_SLACK: u64 = 1 << 16;
/// The largest decompressed size accepted at all (the largest real file, MNIST's training
/// images, is 47 MB).
const MAX_GUNZIPPED: u64 = 1 << 32;
/// Room reserved up front; beyond it the buffer grows only as decompressed data arrive, so a
/// promise the stream does not keep costs no memory.
const MAX_RESERVED: u64 = 1 << 26;

/// The bytes of `path`; an [`Error::Io`] naming the file if it cannot be read.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

/// What lies past the size a header promised (see [`read_promised`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Beyond {
    Nothing,
    /// This many stored bytes (a raw file, whose size is known).
    Bytes(u64),
    /// At least one decompressed byte (reading stopped there).
    More,
}

/// A file's bytes read no further than its header promises.
pub(crate) struct Promised {
    /// The header and at most the promised payload (less when the file is short).
    pub bytes: Vec<u8>,
    pub beyond: Beyond,
}

/// The bytes of `path`, gunzipped when it starts with the gzip magic (every member, as
/// `cat a.gz b.gz` makes), read only as far as its header promises: `promised` gets the first
/// `header_len` bytes and returns the whole size they declare (header included). A raw file's
/// size is compared with it before the payload is read; a gzip file's compressed size bounds
/// it before anything is allocated, and decompression stops one byte past it. So neither a
/// huge file nor a small one that decompresses to gigabytes costs more memory than its header
/// and real size justify. A file shorter than `header_len` is returned whole (the caller's
/// parser says what is missing).
pub(crate) fn read_promised(
    path: &Path,
    header_len: usize,
    promised: impl Fn(&[u8]) -> Result<u64>,
) -> Result<Promised> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let stored = file.metadata().map_err(|e| Error::io(path, e))?.len();
    promised_from(BufReader::new(file), stored, path, header_len, promised)
}

/// [`read_promised`] on bytes in memory; `name` is the file named in errors.
pub(crate) fn promised_from_bytes(
    bytes: &[u8],
    name: &Path,
    header_len: usize,
    promised: impl Fn(&[u8]) -> Result<u64>,
) -> Result<Promised> {
    promised_from(bytes, bytes.len() as u64, name, header_len, promised)
}

fn promised_from(
    mut reader: impl BufRead,
    stored: u64,
    name: &Path,
    header_len: usize,
    promised: impl Fn(&[u8]) -> Result<u64>,
) -> Result<Promised> {
    // Peeked, not consumed (a regular file's first read fills the buffer).
    let gzipped = reader
        .fill_buf()
        .map_err(|e| Error::io(name, e))?
        .starts_with(&[0x1f, 0x8b]);
    if gzipped {
        let gz_error =
            |e: std::io::Error| Error::Data(format!("{}: corrupt or truncated gzip data: {e}", name.display()));
        let most = stored
            .saturating_mul(DEFLATE_MAX_RATIO)
            .saturating_add(GZIP_SLACK)
            .min(MAX_GUNZIPPED);
        let limit = |total: u64| {
            if total > most {
                return Err(Error::Data(format!(
                    "{}: the header promises {total} bytes, more than a {stored}-byte gzip file can hold \
                     (deflate expands at most {DEFLATE_MAX_RATIO}:1) or than the {MAX_GUNZIPPED} bytes accepted",
                    name.display()
                )));
            }
            Ok(total)
        };
        let mut decoder = MultiGzDecoder::new(reader);
        let (bytes, total) = read_to_promise(&mut decoder, header_len, promised, limit, gz_error)?;
        let beyond = match total {
            Some(_) if !read_up_to(&mut decoder, 1, Vec::new()).map_err(gz_error)?.is_empty() => Beyond::More,
            _ => Beyond::Nothing,
        };
        return Ok(Promised { bytes, beyond });
    }
    // A raw file: its size is known, so the payload is read only as far as both allow.
    let io = |e| Error::io(name, e);
    let (bytes, total) = read_to_promise(&mut reader, header_len, promised, |total| Ok(total.min(stored)), io)?;
    let beyond = match total.and_then(|t| stored.checked_sub(t)) {
        Some(extra) if extra > 0 => Beyond::Bytes(extra),
        _ => Beyond::Nothing,
    };
    Ok(Promised { bytes, beyond })
}

/// The first `header_len` bytes of `reader`, then as many more as `limit(total)` allows in all,
/// where `total` is what `promised` reads in the header; with `total`, or `None` (and what
/// there was) when the file is shorter than its header.
fn read_to_promise<R: Read>(
    reader: &mut R,
    header_len: usize,
    promised: impl Fn(&[u8]) -> Result<u64>,
    limit: impl Fn(u64) -> Result<u64>,
    io: impl Fn(std::io::Error) -> Error,
) -> Result<(Vec<u8>, Option<u64>)> {
    let header = read_up_to(reader, header_len as u64, Vec::new()).map_err(&io)?;
    if header.len() < header_len {
        return Ok((header, None));
    }
    let total = promised(&header)?;
    let readable = limit(total)?;
    let rest = readable.saturating_sub(header.len() as u64);
    let bytes = read_up_to(reader, rest, grow(header, readable.min(MAX_RESERVED))).map_err(io)?;
    Ok((bytes, Some(total)))
}

/// `bytes` with room for `total` bytes in all.
fn grow(mut bytes: Vec<u8>, total: u64) -> Vec<u8> {
    bytes.reserve(usize::try_from(total).unwrap_or(usize::MAX).saturating_sub(bytes.len()));
    bytes
}

/// `bytes` followed by at most `n` more bytes of `reader` (fewer at its end).
fn read_up_to(reader: &mut impl Read, n: u64, mut bytes: Vec<u8>) -> std::io::Result<Vec<u8>> {
    reader.take(n).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Whether there is something at `path` to read: a folder or an entry the OS will not show
/// counts too, so that reading it reports what is wrong there (the OS's error, with the path)
/// instead of the file being called missing.
fn present(path: &Path) -> bool {
    match std::fs::metadata(path) {
        Ok(_) => true,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
        ),
    }
}

/// `dir/name` if it exists, else `dir/name.gz` if that exists.
/// A real file is preferred (raw, then `.gz`), so a folder of the same name beside the file
/// does not hide it; something else there is returned only when there is no file.
pub(crate) fn raw_or_gz(dir: &Path, name: &str) -> Option<PathBuf> {
    let raw = dir.join(name);
    let gz = dir.join(format!("{name}.gz"));
    if let Some(file) = [&raw, &gz].into_iter().find(|p| p.is_file()) {
        return Some(file.clone());
    }
    [raw, gz].into_iter().find(|p| present(p))
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
