//! Model management (issue #10): the catalogue of the seed's Qwen3 variants, pulls into the
//! Hugging Face cache with progress, resume and verification, and removal.
//!
//! - [`catalogue`]: the seed's variants, marked present or absent, with size on disk and
//!   whether they fit this machine's memory.
//! - [`pull`]: downloads a repo into the standard cache layout (`blobs/`, `snapshots/<commit>/`,
//!   `refs/`), resumable (`blobs/<etag>.incomplete` + HTTP `Range`), verified (size, and the
//!   sha256 / git-sha1 the hub gives as the file's etag), never fetching a blob the cache holds.
//!   The snapshot's links are made only once every file is verified, so an interrupted pull
//!   never looks like a usable model.
//! - [`remove`]: deletes a repo from the cache.
//!
//! `hf-hub` (tokio) provides the cache layout (repo folder names, refs) and the repo-info call;
//! the file transfer is ours (reqwest), since hf-hub neither verifies checksums nor can be
//! cancelled, and its resume works only in whole 10 MB chunks. Everything is blocking on the
//! outside: the tokio runtime is owned inside [`pull`].

mod cache;
mod catalogue;
mod config;
mod download;
mod error;
mod pull;
mod remote;
#[cfg(feature = "testing")]
pub mod test_hub;

pub use cache::remove;
pub use catalogue::{catalogue, first_download, CatalogueEntry, Variant, VARIANTS};
pub use config::HubConfig;
pub use download::{BlobWriter, FsBlobWriter};
pub use error::{Error, Result};
pub use pull::{pull, PullOptions, PullPhase, PullProgress};
