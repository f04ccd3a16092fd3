//! Error type of this crate.

use std::path::PathBuf;

/// Errors from power sources and parsers.
///
/// Sources never fail a benchmark run: construction errors become an
/// [`Availability::Unavailable`](crate::Availability) with a reason, and read errors
/// drop one sample with a warning.
#[derive(Debug, thiserror::Error)]
pub enum PowerError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Text or a document could not be parsed.
    #[error("parse error: {0}")]
    Parse(String),
    /// The source cannot measure on this machine.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A platform API call failed.
    #[error("{0}")]
    Platform(String),
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, PowerError>;
