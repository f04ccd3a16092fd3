//! Shared by the pull tests: `TestHub` (a real HTTP server on 127.0.0.1) serving the tiny
//! 4-bit fixture (`$BENCHBAR_FIXTURES/tiny-4bit`, made by scripts/fixtures.sh) as a hub repo,
//! and a temporary cache.
#![allow(dead_code)] // each test file uses a different part

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use benchbar_hub::test_hub::TestHub;
use benchbar_hub::{pull, Error, HubConfig, PullOptions, PullProgress};

pub const REPO: &str = "mlx-community/Qwen3-Tiny-4bit";

pub fn fixture_dir() -> PathBuf {
    let root = std::env::var_os("BENCHBAR_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.fixtures"));
    let dir = root.join("tiny-4bit");
    assert!(
        dir.join("model.safetensors").exists(),
        "{} missing: run scripts/fixtures.sh",
        dir.display()
    );
    dir
}

pub fn fixture_files() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// A hub serving the fixture as [`REPO`], an empty cache, options pointing at both.
pub fn setup() -> (TestHub, tempfile::TempDir, String, PullOptions) {
    let hub = TestHub::start();
    let commit = hub.add_dir(REPO, &fixture_dir());
    let cache = tempfile::tempdir().unwrap();
    let options = PullOptions::new(HubConfig::new(
        cache.path().into(),
        &hub.endpoint(),
        None,
        false,
    ));
    (hub, cache, commit, options)
}

pub fn run(options: &PullOptions, repo: &str) -> (Result<PathBuf, Error>, Vec<PullProgress>) {
    let mut events = Vec::new();
    let r = pull(
        repo,
        None,
        options,
        &mut |p| events.push(p.clone()),
        &AtomicBool::new(false),
    );
    (r, events)
}

pub fn repo_dir(cache: &Path) -> PathBuf {
    cache.join("models--mlx-community--Qwen3-Tiny-4bit")
}

pub fn incomplete_files(cache: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(repo_dir(cache).join("blobs"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "incomplete"))
                .collect()
        })
        .unwrap_or_default()
}
