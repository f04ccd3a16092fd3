//! `benchbar models` end to end against `TestHub` (a real HTTP server on 127.0.0.1 serving the
//! tiny 4-bit fixture as a hub repo) with HF_ENDPOINT / HF_HOME pointing at it and a temp dir:
//! catalogue, pull, a killed pull resumed, rm, and bad input as one error line + exit 2.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use benchbar_hub::test_hub::{Fault, TestHub};

const REPO: &str = "mlx-community/Qwen3-Tiny-4bit";

fn fixture_dir() -> PathBuf {
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

/// A hub with the fixture, an empty HF_HOME and an empty BenchBar models folder.
struct Env {
    hub: TestHub,
    home: tempfile::TempDir,
    commit: String,
}

impl Env {
    fn new() -> Env {
        let hub = TestHub::start();
        let commit = hub.add_dir(REPO, &fixture_dir());
        Env {
            hub,
            home: tempfile::tempdir().unwrap(),
            commit,
        }
    }

    fn cmd(&self, args: &[&str]) -> std::process::Command {
        let mut c = std::process::Command::cargo_bin("benchbar").unwrap();
        c.args(args)
            .env("HF_ENDPOINT", self.hub.endpoint())
            .env("HF_HOME", self.home.path().join("hf"))
            .env("BENCHBAR_MODELS_DIR", self.home.path().join("models"))
            .env_remove("HF_HUB_CACHE")
            .env_remove("HF_TOKEN")
            .env_remove("HF_HUB_OFFLINE");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn repo_dir(&self) -> PathBuf {
        self.home
            .path()
            .join("hf/hub/models--mlx-community--Qwen3-Tiny-4bit")
    }

    fn listed(&self) -> Vec<String> {
        let out = self.run(&["models", "--format", "json"]);
        assert!(out.status.success());
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_string())
            .collect()
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit 2 and exactly one line, `error: ...` containing `needle`.
fn assert_one_error_line(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: ") && err.contains(needle), "{err}");
}

#[test]
fn catalogue_pull_list_and_rm() {
    let env = Env::new();
    let out = env.run(&["models"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("mlx-community/Qwen3-1.7B-4bit") && table.contains("absent"),
        "{table}"
    );
    let out = env.run(&["models", "catalogue", "--format", "json"]);
    let cat: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cat = cat.as_array().unwrap();
    assert_eq!(cat.len(), benchbar_hub::VARIANTS.len());
    assert!(cat
        .iter()
        .all(|e| e["present"] == false && e["fits_memory"].is_boolean()));

    let out = env.run(&["models", "pull", REPO]);
    assert!(out.status.success(), "{}", stderr(&out));
    let snap = env.repo_dir().join("snapshots").join(&env.commit);
    assert!(String::from_utf8_lossy(&out.stdout).contains(&snap.display().to_string()));
    assert!(env.listed().contains(&REPO.to_string()));
    // The pulled repo id is a --model argument.
    let out = env.run(&[
        "generate",
        "--model",
        REPO,
        "--prompt",
        "hi",
        "--max-tokens",
        "2",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));

    let again = env.run(&["models", "pull", REPO]);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("already cached"));
    for e in std::fs::read_dir(fixture_dir()).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        assert_eq!(env.hub.content_transfers(&name), 1, "{name} fetched again");
    }

    let out = env.run(&["models", "rm", REPO]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(&format!("removed {REPO}")));
    assert!(!env.repo_dir().exists());
    assert!(!env.listed().contains(&REPO.to_string()));
    assert_one_error_line(
        &env.run(&["models", "rm", REPO]),
        "not in the Hugging Face cache",
    );
}

#[test]
fn a_killed_pull_is_never_a_model_and_resumes() {
    let env = Env::new();
    let cut_bytes: u64 = 3_000_000;
    env.hub.inject(Fault::Stall {
        file: "model.safetensors".into(),
        after_bytes: cut_bytes,
    });
    let mut child = env
        .cmd(&["models", "pull", REPO])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let blobs = env.repo_dir().join("blobs");
    let part_len = || -> u64 {
        std::fs::read_dir(&blobs)
            .map(|rd| {
                rd.flatten()
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".incomplete"))
                    .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
                    .sum()
            })
            .unwrap_or(0)
    };
    let start = Instant::now();
    while part_len() < cut_bytes {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the pull never reached {cut_bytes} bytes"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the pull ended before the stall"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(part_len(), cut_bytes);
    assert!(
        !env.listed().contains(&REPO.to_string()),
        "a partial download is listed"
    );
    assert_one_error_line(
        &env.run(&["generate", "--model", REPO, "--prompt", "hi"]),
        "not a model directory",
    );

    let out = env.run(&["models", "pull", REPO]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ranges: Vec<_> = env
        .hub
        .requests()
        .into_iter()
        .filter(|r| r.content_of.as_deref() == Some("model.safetensors"))
        .map(|r| r.range)
        .collect();
    assert_eq!(ranges, [None, Some(format!("bytes={cut_bytes}-"))]);
    assert!(env.listed().contains(&REPO.to_string()));
}

#[test]
fn a_snapshot_with_a_missing_weight_file_is_not_listed() {
    let env = Env::new();
    let snap = env
        .repo_dir()
        .join("snapshots/0123456789abcdef0123456789abcdef01234567");
    std::fs::create_dir_all(&snap).unwrap();
    for e in std::fs::read_dir(fixture_dir()).unwrap().flatten() {
        if e.file_name() == "model.safetensors" {
            // As an interrupted huggingface_hub download leaves it: a link to no blob.
            std::os::unix::fs::symlink("../../blobs/0123", snap.join("model.safetensors")).unwrap();
        } else {
            std::fs::copy(e.path(), snap.join(e.file_name())).unwrap();
        }
    }
    assert!(!env.listed().contains(&REPO.to_string()));
    assert_one_error_line(
        &env.run(&["generate", "--model", REPO, "--prompt", "hi"]),
        "not a model directory",
    );
}

#[test]
fn bad_input_is_one_error_line_and_exit_2() {
    let env = Env::new();
    env.hub
        .add_repo("org/gated", vec![("config.json".into(), b"{}".to_vec())]);
    env.hub.gate("org/gated", "hf_secret");
    env.hub.inject(Fault::Corrupt {
        file: "model.safetensors".into(),
    });
    assert_one_error_line(
        &env.run(&["models", "pull", "org/no-such-model"]),
        "repository not found",
    );
    assert_one_error_line(
        &env.run(&["models", "pull", "org/gated"]),
        "gated or private (HTTP 401)",
    );
    // HF_TOKEN opens the gate (this repo then fails for having no weights).
    let out = env
        .cmd(&["models", "pull", "org/gated"])
        .env("HF_TOKEN", "hf_secret")
        .output()
        .unwrap();
    assert_one_error_line(
        &out,
        "not a Qwen3 MLX/HF checkpoint: no .safetensors weights",
    );
    assert_one_error_line(
        &env.run(&["models", "pull", "qwen3"]),
        "not a Hugging Face repo id",
    );
    assert_one_error_line(&env.run(&["models", "pull", REPO]), "checksum mismatch");
    assert!(!env.listed().contains(&REPO.to_string()));
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = env
        .cmd(&["models", "pull", REPO])
        .env("HF_ENDPOINT", format!("http://{dead}"))
        .output()
        .unwrap();
    assert_one_error_line(&out, "offline: cannot reach the Hugging Face hub");
}
