//! The core error type.

/// Errors raised by the pure core: invalid specs, unknown names, incompatible comparisons.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum Error {
    /// The run specification is not valid (e.g. batch size 0, reps 0).
    #[error("invalid run spec: {0}")]
    InvalidSpec(String),
    /// A suite name that is not `quick`, `standard` or `full`.
    #[error("unknown suite '{0}' (expected quick, standard or full)")]
    UnknownSuite(String),
    /// Two runs (or a run and a baseline) measured different configurations.
    #[error("runs are not comparable: {0}")]
    Incompatible(String),
    /// Embedded data (suite or target matrix) failed to parse. A build defect, tested.
    #[error("embedded data is invalid: {0}")]
    EmbeddedData(String),
}

/// Result alias for the core crate.
pub type Result<T> = std::result::Result<T, Error>;
