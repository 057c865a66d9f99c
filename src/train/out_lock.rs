//! One trainer per results folder: a lock on `OUT/.learnloss.lock`, held while a training
//! invocation runs. Two runs writing one folder at once would interleave their epochs and
//! results; the second now refuses, naming the process that holds the folder. The lock is the
//! operating system's advisory file lock (`flock` on Unix), so the kernel releases it when the
//! holder exits or is killed: a killed run never leaves its folder locked.

use crate::{Error, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The lock file's name inside the results folder.
pub const LOCK_FILE: &str = ".learnloss.lock";

/// A held lock on a results folder; dropping it (or the process ending) releases it.
#[derive(Debug)]
pub struct OutLock {
    _file: File,
    path: PathBuf,
}

impl OutLock {
    /// Locks `out` (which must exist) for this process, or says who holds it. The file keeps
    /// the holder's process id and start time, for the message a second run prints.
    pub fn acquire(out: &Path) -> Result<OutLock> {
        let path = out.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let who = if holder.is_empty() {
                    "another learnloss process".to_string()
                } else {
                    format!("another learnloss process ({holder})")
                };
                return Err(Error::Config(format!(
                    "{} is in use by {who}; wait for it to finish or choose another --out",
                    out.display()
                )));
            }
            Err(TryLockError::Error(e)) => return Err(Error::io(&path, e)),
        }
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let note = format!("pid {}, started at unix time {started}\n", std::process::id());
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(note.as_bytes()))
            .map_err(|e| Error::io(&path, e))?;
        Ok(OutLock { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_folder_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = OutLock::acquire(dir.path()).unwrap();
        let err = OutLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains(&format!("pid {}", std::process::id())) && err.contains("another --out"),
            "{err}"
        );
        drop(first);
        let again = OutLock::acquire(dir.path()).unwrap();
        assert!(again.path().ends_with(LOCK_FILE));
    }
}
