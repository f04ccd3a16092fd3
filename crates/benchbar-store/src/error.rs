//! Store errors: each renders as one clear line.

use std::path::{Path, PathBuf};

/// Errors of the history store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file exists but is not a SQLite database (or is damaged).
    #[error("{path} is not a readable BenchBar database: {reason}")]
    Corrupt {
        /// Database path.
        path: PathBuf,
        /// SQLite's reason.
        reason: String,
    },
    /// The file could not be opened.
    #[error("cannot open database {path}: {reason}")]
    Open {
        /// Database path.
        path: PathBuf,
        /// SQLite's reason.
        reason: String,
        /// SQLite's error code, when SQLite gave the reason.
        code: Option<rusqlite::ErrorCode>,
    },
    /// Written by a newer BenchBar.
    #[error("database {path} has schema version {found}, newer than this BenchBar supports ({supported}); upgrade BenchBar")]
    NewerSchema {
        /// Database path.
        path: PathBuf,
        /// The file's schema version.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// A run id not in the database.
    #[error("no run with id {0} in the history")]
    UnknownRun(i64),
    /// No platform data directory and no `--db`/`BENCHBAR_DB`.
    #[error("no data directory on this platform; pass --db PATH or set BENCHBAR_DB")]
    NoDataDir,
    /// Filesystem error. (The I/O error is part of the message, not a `source`, so that a
    /// printed cause chain does not repeat it.)
    #[error("{path}: {error}")]
    Io {
        /// Path involved.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The run cannot be a baseline (failed, cancelled, or without a successful trial).
    #[error("run {run_id} cannot be a baseline: {reason}")]
    NotABaseline {
        /// The run.
        run_id: i64,
        /// Why, e.g. "every trial failed".
        reason: String,
    },
    /// Any other SQLite error (part of the message, not a `source`: see `Io`).
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    /// Stored JSON that does not parse (a damaged row; part of the message, not a `source`).
    #[error("stored data is damaged: {0}")]
    Json(serde_json::Error),
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Sqlite(e)
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Json(e)
    }
}

impl Error {
    /// Classifies an error met while opening `path`.
    pub(crate) fn open(path: &Path, e: rusqlite::Error) -> Error {
        let reason = e.to_string();
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase)
            | Some(rusqlite::ErrorCode::DatabaseCorrupt) => Error::Corrupt {
                path: path.to_path_buf(),
                reason,
            },
            code => Error::Open {
                path: path.to_path_buf(),
                reason,
                code,
            },
        }
    }
}

/// Result alias for the store.
pub type Result<T> = std::result::Result<T, Error>;
