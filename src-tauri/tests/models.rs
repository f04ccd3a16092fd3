//! Model management in the app on Tauri's mock runtime: the seed's catalogue, a download with
//! progress from `TestHub` (a real HTTP server on 127.0.0.1 serving the tiny fixture as a hub
//! repo; the hub's test double, named as such) into a temporary cache, one download at a time,
//! and cancel keeping the part but never a usable model.

mod common;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use benchbar_app::pulls::PullEvent;
use benchbar_app::state::AppState;
use benchbar_hub::test_hub::{Fault, TestHub};
use benchbar_hub::HubConfig;
use common::Env;
use serde_json::{json, Value};
use tauri::ipc::{Channel, InvokeResponseBody};
use tauri::Manager;

const REPO: &str = "mlx-community/Qwen3-1.7B-4bit";
const OTHER: &str = "mlx-community/Qwen3-1.7B-8bit";

fn fixture_dir() -> PathBuf {
    let root = std::env::var_os("BENCHBAR_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.fixtures"));
    root.join("tiny-4bit")
}

/// A channel whose events land in `rx`.
fn channel() -> (Channel<PullEvent>, mpsc::Receiver<Value>) {
    let (tx, rx) = mpsc::channel();
    let ch = Channel::new(move |body| {
        if let InvokeResponseBody::Json(s) = body {
            let _ = tx.send(serde_json::from_str::<Value>(&s).unwrap());
        }
        Ok(())
    });
    (ch, rx)
}

fn until_finished(rx: &mpsc::Receiver<Value>) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let e = rx.recv_timeout(Duration::from_secs(60)).expect("pull ends");
        let done = e["kind"] == "finished";
        out.push(e);
        if done {
            return out;
        }
    }
}

fn entry(env: &Env, repo: &str) -> Value {
    let cat = env.invoke("model_catalogue", json!({})).unwrap();
    cat.as_array()
        .unwrap()
        .iter()
        .find(|e| e["repo_id"] == repo)
        .unwrap_or_else(|| panic!("{repo} in {cat}"))
        .clone()
}

fn setup() -> (Env, TestHub, tempfile::TempDir) {
    let env = Env::new();
    let hub = TestHub::start();
    hub.add_dir(REPO, &fixture_dir());
    hub.add_dir(OTHER, &fixture_dir());
    let cache = tempfile::tempdir().unwrap();
    *env.app.state::<AppState>().hub_override.lock().unwrap() = Some(HubConfig::new(
        cache.path().into(),
        &hub.endpoint(),
        None,
        false,
    ));
    (env, hub, cache)
}

#[test]
fn catalogue_then_a_download_with_progress_makes_the_model_present() {
    let (env, _hub, _cache) = setup();
    let before = entry(&env, REPO);
    assert_eq!(before["present"], false, "{before}");
    assert!(before["estimated_download_bytes"].as_u64().unwrap() > 0);
    let (ch, rx) = channel();
    let state = env.app.state::<AppState>();
    state
        .hooks()
        .unwrap()
        .start_pull(REPO.into(), Some(ch))
        .unwrap();
    let events = until_finished(&rx);
    let last = events.last().unwrap();
    assert_eq!(last["status"], "done", "{last}");
    assert!(
        last["path"].as_str().unwrap().contains("snapshots"),
        "{last}"
    );
    let progress: Vec<&Value> = events.iter().filter(|e| e["kind"] == "progress").collect();
    assert!(!progress.is_empty());
    let done: Vec<u64> = progress
        .iter()
        .map(|e| e["done_bytes"].as_u64().unwrap())
        .collect();
    assert!(done.windows(2).all(|w| w[0] <= w[1]), "{done:?}");
    let total: u64 = std::fs::read_dir(fixture_dir())
        .unwrap()
        .flatten()
        .map(|e| e.metadata().unwrap().len())
        .sum();
    let end = progress.last().unwrap();
    assert_eq!(end["total_bytes"].as_u64(), Some(total), "{end}");
    assert_eq!(end["done_bytes"].as_u64(), Some(total), "{end}");
    assert_eq!(end["repo_id"], REPO);
    let after = entry(&env, REPO);
    assert_eq!(after["present"], true, "{after}");
    assert!(after["size_on_disk_bytes"].as_u64().unwrap() >= total);
}

#[test]
fn one_download_at_a_time_and_cancel_keeps_no_usable_model() {
    let (env, hub, _cache) = setup();
    hub.inject(Fault::Stall {
        file: "model.safetensors".into(),
        after_bytes: 200_000,
    });
    let (ch, rx) = channel();
    let state = env.app.state::<AppState>();
    state
        .hooks()
        .unwrap()
        .start_pull(OTHER.into(), Some(ch))
        .unwrap();
    // Wait until the stalled transfer has moved some bytes.
    loop {
        let e = rx.recv_timeout(Duration::from_secs(60)).expect("progress");
        assert_ne!(e["kind"], "finished", "{e}");
        if e["phase"] == "downloading" && e["done_bytes"].as_u64().unwrap() > 0 {
            break;
        }
    }
    let (ch2, _rx2) = channel();
    let refused = state
        .hooks()
        .unwrap()
        .start_pull(REPO.into(), Some(ch2))
        .unwrap_err();
    assert_eq!(
        refused.message,
        format!("{OTHER} is downloading; cancel it or wait for it to finish")
    );
    env.invoke("cancel_pull", json!({})).unwrap();
    let last = until_finished(&rx).pop().unwrap();
    assert_eq!(last["status"], "cancelled", "{last}");
    assert_eq!(entry(&env, OTHER)["present"], false);
    // The slot is free again.
    assert!(state.pulls.current().is_none());
}
