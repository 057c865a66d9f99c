//! Errors returned (not panicked) by the library: device faults and failed gradient checks.
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
