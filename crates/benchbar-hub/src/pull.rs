//! `pull`: a repo at a revision into the cache, every file verified, nothing fetched twice.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::cache::{check_repo_id, RepoCache};
use crate::download::{download_blob, verify_cached, BlobWriter, FsBlobWriter, Sink};
use crate::remote::{FileMeta, Remote};
use crate::{Error, HubConfig, Result};

/// How to pull.
#[derive(Clone)]
pub struct PullOptions {
    /// Cache, endpoint, token, offline.
    pub hub: HubConfig,
    /// Where downloaded bytes are written ([`FsBlobWriter`] outside tests).
    pub writer: Arc<dyn BlobWriter>,
    /// Re-hash files the cache already holds (sha256 / git-sha1) before trusting them.
    pub verify_cached: bool,
}

impl PullOptions {
    /// Real file system, cached files verified.
    pub fn new(hub: HubConfig) -> PullOptions {
        PullOptions {
            hub,
            writer: Arc::new(FsBlobWriter),
            verify_cached: true,
        }
    }

    /// [`PullOptions::new`] with [`HubConfig::from_env`].
    pub fn from_env() -> Result<PullOptions> {
        Ok(PullOptions::new(HubConfig::from_env()?))
    }
}

/// What a pull is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum PullPhase {
    /// Asking the hub for the file list and each file's size and checksum.
    Resolving,
    /// Re-hashing a file the cache already holds (or the part of an interrupted download).
    Verifying,
    /// Transferring bytes.
    Downloading,
    /// The snapshot is complete.
    Done,
}

/// A progress report (sent at most every 100 ms, and at each file's end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PullProgress {
    /// What is happening.
    pub phase: PullPhase,
    /// The file in the repo being handled ("" before the list is known).
    pub file: String,
    /// 0-based index of that file.
    pub file_index: usize,
    /// Files to pull.
    pub file_count: usize,
    /// Bytes in place so far (cached, resumed and downloaded).
    pub done_bytes: u64,
    /// Bytes of all files (0 until every file's size is known).
    pub total_bytes: u64,
    /// Of `done_bytes`, those already on disk when the pull started (not transferred).
    pub cached_bytes: u64,
}

/// Files a checkpoint needs (mlx_lm's download patterns); README, images etc. are skipped.
fn wanted(file: &str) -> bool {
    const SUFFIXES: [&str; 6] = [
        ".json",
        ".safetensors",
        ".txt",
        ".jinja",
        ".model",
        ".tiktoken",
    ];
    !file.starts_with('.') && SUFFIXES.iter().any(|s| file.ends_with(s))
}

/// Downloads `repo_id` at `revision` (default `main`) into the cache and returns its snapshot
/// folder. Files whose blob is cached are not fetched again (but re-hashed when
/// `verify_cached`); a partial file is resumed; the snapshot's links are made only after
/// every file is verified. Offline (no connection, or HF_HUB_OFFLINE) it returns the cached
/// snapshot if complete. Blocking: owns a tokio runtime; `cancel` stops it between chunks.
pub fn pull(
    repo_id: &str,
    revision: Option<&str>,
    options: &PullOptions,
    progress: &mut dyn FnMut(&PullProgress),
    cancel: &AtomicBool,
) -> Result<PathBuf> {
    check_repo_id(repo_id)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Hub(format!("cannot start the I/O runtime: {e}")))?;
    let revision = revision.unwrap_or("main");
    rt.block_on(pull_async(repo_id, revision, options, progress, cancel))
}

async fn pull_async(
    repo_id: &str,
    revision: &str,
    options: &PullOptions,
    progress: &mut dyn FnMut(&PullProgress),
    cancel: &AtomicBool,
) -> Result<PathBuf> {
    let rc = RepoCache::new(&options.hub.cache_dir, repo_id, revision);
    if options.hub.offline {
        return rc
            .complete_snapshot(revision)
            .ok_or_else(|| Error::Offline {
                repo: repo_id.to_string(),
                endpoint: options.hub.endpoint.clone(),
                detail: "HF_HUB_OFFLINE is set".into(),
            });
    }
    let remote = Remote::new(&options.hub, repo_id)?;
    let mut report = Reporter::new(progress);
    report.emit(true);
    let info = match remote.info(revision).await {
        Err(e @ Error::Offline { .. }) => return rc.complete_snapshot(revision).ok_or(e),
        r => r?,
    };
    let mut files: Vec<_> = info
        .siblings
        .iter()
        .filter(|s| wanted(&s.rfilename))
        .collect();
    let not_qwen3 = |reason: &str| Error::NotQwen3 {
        repo: repo_id.to_string(),
        reason: reason.to_string(),
    };
    if !files.iter().any(|s| s.rfilename == "config.json") {
        return Err(not_qwen3("no config.json"));
    }
    if !files.iter().any(|s| s.rfilename.ends_with(".safetensors")) {
        return Err(not_qwen3("no .safetensors weights"));
    }
    // config.json first: a repo of another architecture is refused before its weights move.
    files.sort_by_key(|s| (s.rfilename != "config.json", s.rfilename.clone()));
    report.state.file_count = files.len();
    let mut metas: Vec<FileMeta> = Vec::with_capacity(files.len());
    for (i, s) in files.iter().enumerate() {
        report.file(i, &s.rfilename, PullPhase::Resolving);
        let meta = remote.file_meta(&info.sha, &s.rfilename).await?;
        if s.size.is_some_and(|listed| listed != meta.size_bytes) {
            return Err(Error::Hub(format!(
                "{}: the repo info and the file disagree on its size",
                s.rfilename
            )));
        }
        metas.push(meta);
    }
    report.state.total_bytes = metas.iter().map(|m| m.size_bytes).sum();
    let blobs = rc.dir.join("blobs");
    std::fs::create_dir_all(&blobs).map_err(|e| Error::Write {
        path: blobs,
        source: e,
    })?;
    for (i, meta) in metas.iter().enumerate() {
        let blob = rc.blob(&meta.etag);
        if blob.exists() {
            report.file(i, &meta.file, PullPhase::Verifying);
            let checked = if options.verify_cached {
                // Hashing shows as progress; a mismatch is reported before counting it done.
                let before = report.state.done_bytes;
                let r = verify_cached(&blob, meta, &mut |n| report.bytes(n))?;
                report.state.done_bytes = before;
                r
            } else {
                Ok(())
            };
            if let Err(detail) = checked {
                return Err(Error::CorruptCache {
                    repo: repo_id.to_string(),
                    path: blob,
                    detail,
                });
            }
            report.state.cached_bytes += meta.size_bytes;
            report.bytes(meta.size_bytes);
        } else {
            report.file(i, &meta.file, PullPhase::Downloading);
            download_blob(
                &remote,
                meta,
                &blob,
                options.writer.as_ref(),
                cancel,
                &mut report,
            )
            .await?;
        }
        report.emit(true);
        if meta.file == "config.json" {
            check_qwen3(repo_id, &blob)?;
        }
    }
    for meta in &metas {
        rc.link(&info.sha, &meta.file, &meta.etag)?;
    }
    rc.write_ref(&info.sha)?;
    report.state.phase = PullPhase::Done;
    report.emit(true);
    Ok(rc.snapshot(&info.sha))
}

/// Refuses a config.json whose `model_type` is not `qwen3`.
fn check_qwen3(repo_id: &str, config: &std::path::Path) -> Result<()> {
    let text = std::fs::read_to_string(config).map_err(|e| Error::io(config, e))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::NotQwen3 {
        repo: repo_id.to_string(),
        reason: format!("config.json is not JSON ({e})"),
    })?;
    match v.get("model_type").and_then(|t| t.as_str()) {
        Some("qwen3") => Ok(()),
        other => Err(Error::NotQwen3 {
            repo: repo_id.to_string(),
            reason: format!(
                "config.json model_type is {:?}, not \"qwen3\"",
                other.unwrap_or("missing")
            ),
        }),
    }
}

/// Keeps the progress state and throttles the callback.
struct Reporter<'a> {
    state: PullProgress,
    callback: &'a mut dyn FnMut(&PullProgress),
    last: Option<Instant>,
}

impl<'a> Reporter<'a> {
    fn new(callback: &'a mut dyn FnMut(&PullProgress)) -> Self {
        Reporter {
            state: PullProgress {
                phase: PullPhase::Resolving,
                file: String::new(),
                file_index: 0,
                file_count: 0,
                done_bytes: 0,
                total_bytes: 0,
                cached_bytes: 0,
            },
            callback,
            last: None,
        }
    }

    fn file(&mut self, index: usize, file: &str, phase: PullPhase) {
        self.state.file_index = index;
        self.state.file = file.to_string();
        self.state.phase = phase;
        self.emit(true);
    }

    fn emit(&mut self, always: bool) {
        let due = self
            .last
            .is_none_or(|t| t.elapsed() >= Duration::from_millis(100));
        if always || due {
            (self.callback)(&self.state);
            self.last = Some(Instant::now());
        }
    }
}

impl Sink for Reporter<'_> {
    fn bytes(&mut self, n: u64) {
        self.state.done_bytes += n;
        self.emit(false);
    }

    fn resumed(&mut self, n: u64) {
        self.state.cached_bytes += n;
        self.bytes(n);
    }

    fn rewind(&mut self, n: u64) {
        self.state.done_bytes -= n;
        self.state.cached_bytes -= n;
    }
}
