//! The service error type.

/// Errors of the shared use cases; each renders as one line for the user.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Invalid options (engine names, URLs, timeouts).
    #[error("{0}")]
    Invalid(String),
    /// The engine could not be opened.
    #[error(transparent)]
    Engine(#[from] benchbar_engine::EngineError),
    /// The history database failed.
    #[error(transparent)]
    Store(#[from] benchbar_store::Error),
    /// The run specification or a comparison was refused by the core.
    #[error(transparent)]
    Core(#[from] benchbar_core::Error),
}

/// Result alias for the service crate.
pub type Result<T> = std::result::Result<T, Error>;
