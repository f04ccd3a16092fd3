//! The error every command returns: one line for the user, serialized as `{"message": "..."}`.

use serde::Serialize;

/// A command's error (never a panic, never a bare `String`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error, ts_rs::TS)]
#[error("{message}")]
pub struct CmdError {
    /// What went wrong, in one line.
    pub message: String,
    /// The job was cancelled before it measured anything (e.g. during a model load): the run
    /// ends as cancelled, not failed. Not sent to the UI.
    #[serde(skip)]
    pub cancelled: bool,
}

impl CmdError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> CmdError {
        CmdError {
            message: message.into(),
            cancelled: false,
        }
    }
}

impl From<benchbar_service::Error> for CmdError {
    fn from(e: benchbar_service::Error) -> CmdError {
        let cancelled = matches!(
            e,
            benchbar_service::Error::Engine(benchbar_engine::EngineError::Cancelled)
        );
        CmdError {
            cancelled,
            ..CmdError::new(e.to_string())
        }
    }
}

macro_rules! from_error {
    ($($t:ty),*) => {$(
        impl From<$t> for CmdError {
            fn from(e: $t) -> CmdError {
                CmdError::new(e.to_string())
            }
        }
    )*};
}

from_error!(
    benchbar_store::Error,
    benchbar_core::Error,
    benchbar_mlx::Error,
    std::io::Error,
    serde_json::Error,
    tauri::Error
);

/// Result alias for commands.
pub type CmdResult<T> = Result<T, CmdError>;
