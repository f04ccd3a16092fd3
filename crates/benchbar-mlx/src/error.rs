//! Error type of benchbar-mlx.

use std::path::PathBuf;

/// Everything that can go wrong loading or running a model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// MLX reported a failure (a C++ exception on Linux).
    #[error("MLX error: {0}")]
    Mlx(String),
    /// A model file is missing, unreadable or malformed.
    #[error("{}: {msg}", path.display())]
    File {
        /// The offending file (or directory).
        path: PathBuf,
        /// What is wrong with it.
        msg: String,
    },
    /// The checkpoint is valid but not something this engine supports.
    #[error("{}: unsupported: {msg}", path.display())]
    Unsupported {
        /// The offending file.
        path: PathBuf,
        /// What is unsupported.
        msg: String,
    },
    /// Tokenizer failure.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// Bad arguments from the caller.
    #[error("invalid argument: {0}")]
    Invalid(String),
    /// The model spec could not be resolved to a directory.
    #[error("model not found: {0}")]
    NotFound(String),
    /// The caller's cancel flag was set (`generate_cancellable`).
    #[error("cancelled")]
    Cancelled,
    /// I/O error with context.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path being accessed.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn file(path: impl Into<PathBuf>, msg: impl Into<String>) -> Error {
        Error::File {
            path: path.into(),
            msg: msg.into(),
        }
    }
    pub(crate) fn unsupported(path: impl Into<PathBuf>, msg: impl Into<String>) -> Error {
        Error::Unsupported {
            path: path.into(),
            msg: msg.into(),
        }
    }
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
