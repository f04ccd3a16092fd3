//! Helpers shared by the CLI's integration tests (each test file declares `mod common;`): a
//! temporary history database and the `benchbar` binary pointed at it.
#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};

pub mod mlx_server;

/// A temporary folder with a history database path in it.
pub struct Env {
    /// The folder (removed on drop); the data folder of every command is `dir/data`.
    pub dir: tempfile::TempDir,
    /// `dir/history.db`, given to every command as `BENCHBAR_DB`.
    pub db: PathBuf,
}

impl Env {
    /// A fresh folder; the database is created by the first command that writes.
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("history.db");
        Env { dir, db }
    }

    /// `benchbar` on this database, with its data folder inside this env and no `RUST_LOG` or
    /// bandwidth override from the caller's environment.
    pub fn cmd(&self) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::cargo_bin("benchbar").unwrap();
        c.env("BENCHBAR_DB", &self.db)
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env_remove("RUST_LOG")
            .env_remove("BENCHBAR_MEM_BANDWIDTH_GBPS");
        c
    }

    /// Runs the quick suite on `engine` with `reps` repetitions; asserts success and returns
    /// the run id of the JSON report.
    pub fn run(&self, engine: &str, reps: u32) -> i64 {
        let out = self
            .cmd()
            .args(["run", "--engine", engine, "--format", "json", "-r"])
            .arg(reps.to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["run_id"].as_i64().unwrap()
    }

    /// How many runs `history` lists.
    pub fn run_count(&self) -> usize {
        let out = self
            .cmd()
            .args(["history", "--format", "json"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_array().unwrap().len()
    }
}

/// The generated model fixtures (`BENCHBAR_MODELS_DIR`, else `<repo>/.fixtures`), where
/// builtin:tiny resolves.
pub fn models_dir() -> PathBuf {
    std::env::var_os("BENCHBAR_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.fixtures"))
}

/// [`benchbar`] with the model fixtures: the real in-process MLX engine on builtin:tiny.
pub fn benchbar_mlx(db: &Path) -> std::process::Command {
    let mut c = benchbar(db);
    c.env("BENCHBAR_MODELS_DIR", models_dir());
    c
}

/// `benchbar` (a plain process, for signals) on the history database `db`, without `RUST_LOG`.
pub fn benchbar(db: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("benchbar"));
    c.env("BENCHBAR_DB", db).env_remove("RUST_LOG");
    c
}

/// Starts `benchbar run` on the test double: 3 cells x (1 warmup + 2 reps) of `trial_ms`
/// each, the JSON report on a piped stdout.
pub fn start_run(db: &Path, trial_ms: u32) -> Child {
    benchbar(db)
        .args([
            "run",
            "--engine",
            &format!("test-double:trial_ms={trial_ms}"),
            "-b",
            "1,2,4",
            "-r",
            "2",
            "--warmup",
            "1",
            "-n",
            "8",
            "--format",
            "json",
            "--no-power",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Exit 2 and exactly one `error:` line holding every needle.
pub fn assert_one_line_error(out: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {err}");
    assert!(lines[0].starts_with("error:"), "{err}");
    for n in needles {
        assert!(lines[0].contains(n), "{n:?} not in: {err}");
    }
    assert!(!err.contains("panicked") && !err.contains("Usage"), "{err}");
}
