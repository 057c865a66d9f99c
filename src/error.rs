//! Errors returned (not panicked) by the library: device faults, bad configurations, bad data
//! and checkpoint files, I/O, and failed gradient checks.
//!
//! Programmer errors — mismatched shapes, dtypes or devices — panic with a message naming the op
//! and the shapes, like PyTorch's RuntimeError; everything a caller can reasonably recover from
//! is an [`Error`].

/// The error type of the crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A device could not be opened or an operation failed on it.
    #[error("device error: {0}")]
    Device(String),
    /// A configuration that cannot work, with what to change.
    #[error("configuration error: {0}")]
    Config(String),
    /// A data file is missing, truncated or malformed; the message names the file and the fault.
    #[error("data error: {0}")]
    Data(String),
    /// A checkpoint could not be written or does not match the model it is loaded into; the
    /// message names the file and the first mismatch.
    #[error("checkpoint error: {0}")]
    Checkpoint(String),
    /// Training produced a non-finite loss; the message names the method, run and epoch, and
    /// what to change. The last good checkpoint is kept.
    #[error("training diverged: {0}")]
    Diverged(String),
    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// A gradient check found an analytical derivative that disagrees with finite differences.
    #[error(transparent)]
    Gradcheck(Box<crate::check::GradcheckError>),
}

impl From<crate::check::GradcheckError> for Error {
    fn from(e: crate::check::GradcheckError) -> Self {
        Error::Gradcheck(Box::new(e))
    }
}

/// Shorthand for `std::result::Result<T, learnloss::Error>`.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<std::path::PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
