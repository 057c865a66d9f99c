//! Cleaning a results folder of what interrupted writes left: the temporary files of atomic
//! writes (`.<file>.<pid>.tmp` from the report, `.<file>.tmp-<pid>-<n>` from checkpoints) and the
//! staging and superseded folders of killed checkpoint saves. Run once the folder's lock is held,
//! so no other process can be writing any of them.

use crate::checkpoint::remove_checkpoint_leftovers;
use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// Whether `name` is the temporary file of an atomic write.
fn is_temporary(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.') else {
        return false;
    };
    // `.<file>.<pid>.tmp`
    let report_tmp = rest
        .strip_suffix(".tmp")
        .and_then(|s| s.rsplit_once('.'))
        .is_some_and(|(file, pid)| !file.is_empty() && !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
    // `.<file>.tmp-<pid>-<n>`
    let checkpoint_tmp = rest.rsplit_once(".tmp-").is_some_and(|(file, tail)| {
        !file.is_empty()
            && tail.split_once('-').is_some_and(|(a, b)| {
                [a, b]
                    .iter()
                    .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
            })
    });
    report_tmp || checkpoint_tmp
}

/// Removes the leftovers of interrupted writes under `out` (the folder, its method folders,
/// their runs and the runs' checkpoints, and `plots/`), returning what was removed.
pub fn remove_leftovers(out: &Path) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    let mut folders = vec![(out.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = folders.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(&dir, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_dir = entry.file_type().map_err(|e| Error::io(&path, e))?.is_dir();
            if !is_dir && is_temporary(&name) {
                std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
                removed.push(path);
            } else if is_dir && name == "checkpoint" {
                removed.extend(remove_checkpoint_leftovers(&path)?);
                folders.push((path, depth + 1));
            } else if is_dir && !name.starts_with('.') && depth < 3 {
                folders.push((path, depth + 1));
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_both_kinds_of_temporary_file_and_nothing_else() {
        for name in [
            ".metrics.jsonl.4242.tmp",
            ".model.safetensors.tmp-17-3",
            ".complete.tmp-1-0",
        ] {
            assert!(is_temporary(name), "{name}");
        }
        for name in [
            "metrics.jsonl",
            ".learnloss.lock",
            ".checkpoint.old",
            ".x.tmp",
            ".x.12a.tmp",
            ".x.tmp-1",
            "a.1.tmp",
        ] {
            assert!(!is_temporary(name), "{name}");
        }
    }
}
