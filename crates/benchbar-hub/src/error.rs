//! Error type of benchbar-hub: every message is one line that says what to do.

use std::path::PathBuf;

/// Everything that can go wrong listing, pulling or removing a model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The argument is not `ORG/NAME`.
    #[error("\"{0}\" is not a Hugging Face repo id (expected ORG/NAME, e.g. mlx-community/Qwen3-1.7B-4bit)")]
    BadRepoId(String),
    /// The hub does not know the repo.
    #[error("{repo}: repository not found on {endpoint}")]
    RepoNotFound {
        /// The repo id.
        repo: String,
        /// The hub's base URL.
        endpoint: String,
    },
    /// The repo exists but not the revision.
    #[error("{repo}: revision \"{revision}\" not found")]
    RevisionNotFound {
        /// The repo id.
        repo: String,
        /// The requested revision.
        revision: String,
    },
    /// The repo is gated or private and the token (if any) has no access.
    #[error("{repo} is gated or private (HTTP {status}): accept its terms on the hub and set HF_TOKEN to a token with access")]
    Gated {
        /// The repo id.
        repo: String,
        /// 401 or 403.
        status: u16,
    },
    /// The repo is not a Qwen3 checkpoint with safetensors weights.
    #[error("{repo} is not a Qwen3 MLX/HF checkpoint: {reason}")]
    NotQwen3 {
        /// The repo id.
        repo: String,
        /// What is missing or different.
        reason: String,
    },
    /// The hub cannot be reached and the model is not in the cache.
    #[error("offline: cannot reach the Hugging Face hub at {endpoint} ({detail}), and {repo} is not in the cache")]
    Offline {
        /// The repo id.
        repo: String,
        /// The hub's base URL.
        endpoint: String,
        /// Why (connection refused, HF_HUB_OFFLINE, ...).
        detail: String,
    },
    /// The transfer stopped before the whole file arrived; the part is kept for resuming.
    #[error("download of {file} interrupted at {received_bytes} of {expected_bytes} bytes ({detail}); run the same pull again to resume")]
    Interrupted {
        /// The file in the repo.
        file: String,
        /// Bytes in the partial file.
        received_bytes: u64,
        /// The file's size.
        expected_bytes: u64,
        /// The transport error.
        detail: String,
    },
    /// The downloaded file does not match the hub's checksum; it was deleted.
    #[error("{file}: checksum mismatch (expected {algorithm} {expected}, got {actual}); the bad download was deleted, pull again")]
    ChecksumMismatch {
        /// The file in the repo.
        file: String,
        /// "sha256" or "git-sha1".
        algorithm: &'static str,
        /// The hub's checksum.
        expected: String,
        /// The checksum of what arrived.
        actual: String,
    },
    /// A file already in the cache does not match the hub's size or checksum.
    #[error("{}: corrupted file in the cache ({detail}); run `benchbar models rm {repo}` and pull again", path.display())]
    CorruptCache {
        /// The repo id.
        repo: String,
        /// The blob.
        path: PathBuf,
        /// Which check failed.
        detail: String,
    },
    /// Writing to the cache failed (disk full, permissions).
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Any other file-system error.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The hub answered something unexpected.
    #[error("hub: {0}")]
    Hub(String),
    /// `remove` of a repo that is not cached.
    #[error("{repo} is not in the Hugging Face cache ({})", dir.display())]
    NotCached {
        /// The repo id.
        repo: String,
        /// The cache folder looked at.
        dir: PathBuf,
    },
    /// No cache folder could be determined.
    #[error("no Hugging Face cache folder: set HF_HUB_CACHE or HF_HOME")]
    NoCacheDir,
    /// The caller cancelled the pull.
    #[error("pull cancelled; the partial download is kept and resumes on the next pull")]
    Cancelled,
}

impl Error {
    /// An I/O error with its path.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result alias of benchbar-hub.
pub type Result<T> = std::result::Result<T, Error>;
