//! `pull` refusing bad input against `TestHub` (a real HTTP server on 127.0.0.1): checksum
//! mismatch, unknown repo or revision, gated repo, not a Qwen3 checkpoint, a full disk
//! (a writer test double at the `BlobWriter` boundary), a corrupted cache file.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use benchbar_hub::test_hub::Fault;
use benchbar_hub::{pull, BlobWriter, Error, FsBlobWriter};
use common::*;

#[test]
fn a_checksum_mismatch_is_refused_and_deleted() {
    for (file, algorithm) in [
        ("model.safetensors", "sha256"),
        ("tokenizer.json", "git-sha1"),
    ] {
        let (hub, cache, commit, options) = setup();
        hub.inject(Fault::Corrupt { file: file.into() });
        match run(&options, REPO).0.unwrap_err() {
            Error::ChecksumMismatch {
                file: f,
                algorithm: a,
                expected,
                actual,
            } => {
                assert_eq!((f.as_str(), a), (file, algorithm));
                assert_ne!(expected, actual);
            }
            other => panic!("{file}: expected ChecksumMismatch, got {other}"),
        }
        assert!(
            incomplete_files(cache.path()).is_empty(),
            "the bad part is deleted"
        );
        assert!(!repo_dir(cache.path())
            .join("snapshots")
            .join(commit)
            .exists());
    }
}

#[test]
fn unknown_repo_and_revision_are_not_found() {
    let (_hub, _cache, _commit, options) = setup();
    let err = run(&options, "mlx-community/No-Such-Model").0.unwrap_err();
    assert!(matches!(err, Error::RepoNotFound { .. }), "{err}");
    let err = pull(
        REPO,
        Some("v9"),
        &options,
        &mut |_| {},
        &AtomicBool::new(false),
    )
    .unwrap_err();
    assert!(matches!(err, Error::RevisionNotFound { .. }), "{err}");
    let err = run(&options, "not-a-repo-id").0.unwrap_err();
    assert!(matches!(err, Error::BadRepoId(_)), "{err}");
}

#[test]
fn a_gated_repo_needs_a_token_with_access() {
    let (hub, _cache, _commit, options) = setup();
    hub.gate(REPO, "hf_test_access");
    let err = run(&options, REPO).0.unwrap_err();
    assert!(matches!(err, Error::Gated { status: 401, .. }), "{err}");
    assert!(err.to_string().contains("HF_TOKEN"), "{err}");
    let mut with_token = options.clone();
    with_token.hub.token = Some("hf_test_access".into());
    run(&with_token, REPO).0.unwrap();
}

#[test]
fn repos_that_are_not_qwen3_checkpoints_are_refused_before_their_weights_move() {
    let (hub, _cache, _commit, options) = setup();
    let files = fixture_files();
    let mut llama = files.clone();
    llama.retain(|(n, _)| n != "config.json");
    llama.push(("config.json".into(), br#"{"model_type": "llama"}"#.to_vec()));
    hub.add_repo("org/llama-like", llama);
    let err = run(&options, "org/llama-like").0.unwrap_err();
    assert!(err.to_string().contains("model_type is \"llama\""), "{err}");
    assert_eq!(hub.content_transfers("model.safetensors"), 0);

    let mut pickles = files;
    pickles.retain(|(n, _)| !n.ends_with(".safetensors"));
    pickles.push(("pytorch_model.bin".into(), vec![0; 16]));
    hub.add_repo("org/pickles", pickles);
    let err = run(&options, "org/pickles").0.unwrap_err();
    assert!(
        matches!(&err, Error::NotQwen3 { reason, .. } if reason.contains("safetensors")),
        "{err}"
    );
}

/// Test double of the disk: real files, until `capacity_bytes` (over all files) are written;
/// then every write fails like a full disk (ENOSPC).
struct DiskFullWriterTestDouble {
    left_bytes: Arc<AtomicU64>,
}

struct FillingWriter {
    inner: Box<dyn std::io::Write + Send>,
    left_bytes: Arc<AtomicU64>,
}

impl std::io::Write for FillingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let left = self.left_bytes.load(Ordering::SeqCst);
        if left == 0 {
            return Err(std::io::Error::from_raw_os_error(28));
        }
        let n = self.inner.write(&buf[..buf.len().min(left as usize)])?;
        self.left_bytes.fetch_sub(n as u64, Ordering::SeqCst);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl BlobWriter for DiskFullWriterTestDouble {
    fn open(
        &self,
        path: &Path,
        offset_bytes: u64,
    ) -> std::io::Result<Box<dyn std::io::Write + Send>> {
        let inner = FsBlobWriter.open(path, offset_bytes)?;
        Ok(Box::new(FillingWriter {
            inner,
            left_bytes: self.left_bytes.clone(),
        }))
    }
}

#[test]
fn a_full_disk_is_one_clear_error_and_no_model() {
    let (_hub, cache, commit, mut options) = setup();
    options.writer = Arc::new(DiskFullWriterTestDouble {
        left_bytes: Arc::new(AtomicU64::new(1_000_000)),
    });
    let err = run(&options, REPO).0.unwrap_err();
    assert!(matches!(err, Error::Write { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("cannot write") && msg.contains("No space left on device"),
        "{msg}"
    );
    assert!(!msg.contains('\n'));
    assert!(!repo_dir(cache.path())
        .join("snapshots")
        .join(commit)
        .exists());
}

#[test]
fn a_corrupted_cache_file_is_reported_not_trusted() {
    let (hub, cache, _commit, options) = setup();
    let snap = run(&options, REPO).0.unwrap();
    let blob = std::fs::canonicalize(snap.join("tokenizer.json")).unwrap();
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[100] ^= 0x20;
    std::fs::write(&blob, bytes).unwrap();
    let err = run(&options, REPO).0.unwrap_err();
    assert!(matches!(err, Error::CorruptCache { .. }), "{err}");
    assert!(err.to_string().contains("benchbar models rm"), "{err}");
    assert_eq!(
        hub.content_transfers("tokenizer.json"),
        1,
        "not silently fetched again"
    );
    assert!(cache.path().exists());
}
