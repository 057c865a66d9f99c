//! Named tensors and string metadata to and from one safetensors file.

use super::atomic::write_atomically;
use super::codec::{decode, encode};
use crate::{Error, Result, Tensor};
use safetensors::SafeTensorError;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// Tensors under their names, as a state dict.
pub type NamedTensors = Vec<(String, Tensor)>;

/// A safetensors header's `__metadata__`: free-form strings.
pub type Metadata = BTreeMap<String, String>;

/// Writes `tensors` (F32, F64, I64 as little-endian, Bool as BOOL) and `metadata` (the header's
/// `__metadata__`) to `path` atomically. Names must be unique. The file stores tensors in
/// safetensors' canonical order (by dtype alignment, then name), not in `tensors`' order.
pub fn save_tensors(
    path: impl AsRef<Path>,
    tensors: &[(String, Tensor)],
    metadata: &BTreeMap<String, String>,
) -> Result<()> {
    let path = path.as_ref();
    let fail = |msg: String| Error::Checkpoint(format!("checkpoint {}: {msg}", path.display()));
    let mut seen = HashSet::new();
    for (name, _) in tensors {
        if !seen.insert(name.as_str()) {
            return Err(fail(format!("tensor name {name} appears twice")));
        }
        if name == "__metadata__" {
            return Err(fail("__metadata__ is reserved and cannot name a tensor".to_string()));
        }
    }
    let encoded: Vec<_> = tensors.iter().map(|(n, t)| (n.as_str(), encode(t))).collect();
    let info: HashMap<String, String> = metadata.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let info = (!info.is_empty()).then_some(info);
    let bytes = safetensors::serialize(encoded.iter().map(|(n, e)| (*n, e)), info)
        .map_err(|e| fail(format!("cannot serialise: {e}")))?;
    write_atomically(path, &bytes)
}

/// Reads every tensor of a safetensors file onto the CPU (in the file's order) and its
/// metadata. Any fault — unreadable or missing file, truncation, corrupt header, offsets out of
/// range, an unsupported dtype — is an [`Error::Checkpoint`] naming the file and the fault.
pub fn load_tensors(path: impl AsRef<Path>) -> Result<(NamedTensors, Metadata)> {
    let path = path.as_ref();
    let fail = |msg: String| Error::Checkpoint(format!("checkpoint {}: {msg}", path.display()));
    let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    let (header_len, meta) =
        safetensors::SafeTensors::read_metadata(&bytes).map_err(|e| fail(describe_parse_error(&bytes, &e)))?;
    let data = &bytes[8 + header_len..];
    let mut tensors = Vec::new();
    for name in meta.offset_keys() {
        let info = meta.info(&name).expect("offset_keys lists the header's tensors");
        let (start, end) = info.data_offsets;
        let t =
            decode(info.dtype, &info.shape, &data[start..end]).map_err(|why| fail(format!("tensor {name} {why}")))?;
        tensors.push((name, t));
    }
    let metadata = meta
        .metadata()
        .as_ref()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    Ok((tensors, metadata))
}

/// A reader's explanation of why `bytes` is not a valid safetensors file.
fn describe_parse_error(bytes: &[u8], e: &SafeTensorError) -> String {
    let len = bytes.len();
    let declared = bytes
        .get(..8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")));
    match (e, declared) {
        (SafeTensorError::HeaderTooSmall, _) => {
            format!("file is {len} bytes, too short for the 8-byte header length (truncated or not a safetensors file)")
        }
        (SafeTensorError::HeaderTooLarge | SafeTensorError::InvalidHeaderLength, Some(n)) => {
            format!("header length {n} does not fit in the {len}-byte file (truncated or not a safetensors file)")
        }
        (SafeTensorError::MetadataIncompleteBuffer, _) => format!(
            "the header's data offsets do not end at the end of the {len}-byte file (truncated, or trailing bytes)"
        ),
        (SafeTensorError::InvalidOffset(name), _) => {
            format!("data offsets of tensor {name} are out of order or out of range (corrupt header)")
        }
        _ => format!("corrupt header: {e}"),
    }
}
