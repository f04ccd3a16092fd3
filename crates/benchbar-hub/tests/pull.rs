//! `pull` against `TestHub` (a real HTTP server on 127.0.0.1) serving the tiny 4-bit fixture,
//! into a temporary cache: layout, no second transfer, resume, offline, cancel, remove.

mod common;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use benchbar_hub::test_hub::Fault;
use benchbar_hub::{pull, remove, Error, HubConfig, PullOptions, PullPhase};
use common::*;

#[test]
fn pull_fills_the_standard_cache_layout_with_verified_files() {
    let (hub, cache, commit, options) = setup();
    let (snap, events) = run(&options, REPO);
    let snap = snap.unwrap();
    assert_eq!(snap, repo_dir(cache.path()).join("snapshots").join(&commit));
    let files = fixture_files();
    for (name, bytes) in &files {
        let link = std::fs::read_link(snap.join(name)).unwrap();
        assert!(
            link.starts_with("../../blobs"),
            "{name} -> {}",
            link.display()
        );
        assert!(
            std::fs::read(snap.join(name)).unwrap() == *bytes,
            "{name} differs"
        );
    }
    let sha256 = {
        use sha2::{Digest, Sha256};
        let weights = &files
            .iter()
            .find(|(n, _)| n == "model.safetensors")
            .unwrap()
            .1;
        format!("{:x}", Sha256::digest(weights))
    };
    assert!(
        repo_dir(cache.path()).join("blobs").join(sha256).is_file(),
        "LFS blob named by sha256"
    );
    let refs = std::fs::read_to_string(repo_dir(cache.path()).join("refs/main")).unwrap();
    assert_eq!(refs, commit);
    assert!(incomplete_files(cache.path()).is_empty());
    let info = benchbar_mlx::ModelInfo::from_dir(&snap).unwrap();
    assert_eq!(info.quantization.as_deref(), Some("4bit"));
    let last = events.last().unwrap();
    let total: u64 = files.iter().map(|(_, b)| b.len() as u64).sum();
    assert_eq!(
        (last.phase, last.done_bytes, last.total_bytes),
        (PullPhase::Done, total, total)
    );
    assert_eq!((last.file_count, last.cached_bytes), (files.len(), 0));
    assert!(events
        .iter()
        .any(|e| e.phase == PullPhase::Downloading && e.file == "model.safetensors"));
    // Each file's content crossed the wire once; the LFS file through the hub's redirect.
    for (name, _) in &files {
        assert_eq!(hub.content_transfers(name), 1, "{name}");
    }
    let reqs = hub.requests();
    assert!(reqs
        .iter()
        .any(|r| r.method == "HEAD" && r.path.ends_with("/model.safetensors")));
    assert!(reqs.iter().any(|r| r.path.starts_with("/cdn-lfs/")));
}

#[test]
fn a_second_pull_transfers_nothing() {
    let (hub, _cache, _commit, options) = setup();
    let first = run(&options, REPO).0.unwrap();
    let (second, events) = run(&options, REPO);
    assert_eq!(second.unwrap(), first);
    for (name, _) in fixture_files() {
        assert_eq!(hub.content_transfers(&name), 1, "{name} fetched again");
    }
    let last = events.last().unwrap();
    assert_eq!(last.cached_bytes, last.total_bytes);
}

#[test]
fn an_interrupted_download_resumes_where_it_stopped() {
    let (hub, cache, commit, options) = setup();
    let cut_bytes = 2_000_000;
    hub.inject(Fault::DropConnection {
        file: "model.safetensors".into(),
        after_bytes: cut_bytes,
    });
    let err = run(&options, REPO).0.unwrap_err();
    match &err {
        Error::Interrupted {
            file,
            received_bytes,
            ..
        } => {
            assert_eq!(
                (file.as_str(), *received_bytes),
                ("model.safetensors", cut_bytes)
            )
        }
        other => panic!("expected Interrupted, got {other}"),
    }
    assert!(
        err.to_string()
            .contains("run the same pull again to resume"),
        "{err}"
    );
    let parts = incomplete_files(cache.path());
    assert_eq!(parts.len(), 1);
    assert_eq!(std::fs::metadata(&parts[0]).unwrap().len(), cut_bytes);
    assert!(
        !repo_dir(cache.path())
            .join("snapshots")
            .join(&commit)
            .exists(),
        "no snapshot before every file is verified"
    );

    let (snap, events) = run(&options, REPO);
    let snap = snap.unwrap();
    let ranges: Vec<_> = hub
        .requests()
        .into_iter()
        .filter(|r| r.content_of.as_deref() == Some("model.safetensors"))
        .map(|r| r.range)
        .collect();
    assert_eq!(ranges, [None, Some(format!("bytes={cut_bytes}-"))]);
    let weights = fixture_files()
        .into_iter()
        .find(|(n, _)| n == "model.safetensors")
        .unwrap()
        .1;
    assert!(std::fs::read(snap.join("model.safetensors")).unwrap() == weights);
    assert!(
        events.last().unwrap().cached_bytes >= cut_bytes,
        "resumed bytes are not downloaded again"
    );
    assert!(incomplete_files(cache.path()).is_empty());
}

#[test]
fn offline_uses_the_cache_or_says_so() {
    let (_hub, cache, _commit, options) = setup();
    // A port nothing listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let offline = PullOptions::new(HubConfig::new(
        cache.path().into(),
        &format!("http://{dead}"),
        None,
        false,
    ));
    let err = run(&offline, REPO).0.unwrap_err();
    assert!(matches!(err, Error::Offline { .. }), "{err}");
    assert!(
        err.to_string().starts_with("offline: cannot reach"),
        "{err}"
    );
    let snap = run(&options, REPO).0.unwrap();
    assert_eq!(run(&offline, REPO).0.unwrap(), snap);
    let hf_hub_offline = PullOptions::new(HubConfig::new(
        cache.path().into(),
        "http://unused.invalid",
        None,
        true,
    ));
    assert_eq!(run(&hf_hub_offline, REPO).0.unwrap(), snap);
}

#[test]
fn cancel_stops_a_stalled_transfer_and_keeps_the_part() {
    let (hub, cache, _commit, options) = setup();
    hub.inject(Fault::Stall {
        file: "model.safetensors".into(),
        after_bytes: 500_000,
    });
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let cache_dir = cache.path().to_path_buf();
    std::thread::spawn(move || {
        for _ in 0..500 {
            let part = incomplete_files(&cache_dir)
                .first()
                .and_then(|p| std::fs::metadata(p).ok());
            if part.is_some_and(|m| m.len() >= 500_000) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        flag.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let err = pull(REPO, None, &options, &mut |_| {}, &cancel).unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err}");
    assert_eq!(incomplete_files(cache.path()).len(), 1);
}

#[test]
fn remove_frees_the_repo_and_the_model_is_gone() {
    let (_hub, cache, commit, options) = setup();
    run(&options, REPO).0.unwrap();
    let content_bytes: u64 = fixture_files().iter().map(|(_, b)| b.len() as u64).sum();
    let freed = remove(&options.hub, REPO).unwrap();
    assert_eq!(
        freed,
        content_bytes + commit.len() as u64,
        "blobs + refs/main"
    );
    assert!(!repo_dir(cache.path()).exists());
    assert!(matches!(
        remove(&options.hub, REPO),
        Err(Error::NotCached { .. })
    ));
}
