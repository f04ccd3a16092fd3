//! Scenario errors: each renders as one clear line for the user.

use std::path::PathBuf;

/// Errors of the scenarios crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not one of the five scenario names.
    #[error("unknown scenario '{0}' (available: classification, summarization, extraction, codegen, rag)")]
    UnknownScenario(String),
    /// A corpus file that cannot be read.
    #[error("corpus {path}: {source}")]
    CorpusIo {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A corpus file that is not a valid corpus.
    #[error("corpus {path}: {reason}")]
    CorpusInvalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A corpus with nothing to run.
    #[error("the {0} corpus is empty: {1}")]
    EmptyCorpus(String, String),
    /// An extraction schema that does not parse or uses keywords this validator lacks.
    #[error("extraction schema: {0}")]
    Schema(String),
    /// Options that cannot produce a measurement.
    #[error("{0}")]
    Invalid(String),
    /// The engine failed (or cannot do what the scenario needs).
    #[error(transparent)]
    Engine(#[from] benchbar_engine::EngineError),
    /// The history database failed.
    #[error(transparent)]
    Store(#[from] benchbar_store::Error),
    /// A stored result that does not parse.
    #[error("stored scenario result is damaged: {0}")]
    Json(#[from] serde_json::Error),
    /// The caller cancelled the run.
    #[error("cancelled")]
    Cancelled,
}

/// Result alias for the scenarios crate.
pub type Result<T> = std::result::Result<T, Error>;
