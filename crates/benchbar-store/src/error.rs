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
    /// Filesystem error.
    #[error("{path}: {source}")]
    Io {
        /// Path involved.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Any other SQLite error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Stored JSON that does not parse (a damaged row).
    #[error("stored data is damaged: {0}")]
    Json(#[from] serde_json::Error),
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
            _ => Error::Open {
                path: path.to_path_buf(),
                reason,
            },
        }
    }
}

/// Result alias for the store.
pub type Result<T> = std::result::Result<T, Error>;
