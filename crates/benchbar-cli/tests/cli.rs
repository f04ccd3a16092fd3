//! The `benchbar` binary end to end with the test double engine (hidden `--engine
//! test-double`): every subcommand, and every bad input giving one error line and exit 2
//! without changing what is stored.

use std::path::Path;

use assert_cmd::Command;
use common::{assert_one_line_error, Env};
use predicates::prelude::*;

mod common;

#[test]
fn run_prints_json_contract_and_stores_the_run() {
    let env = Env::new();
    let out = env
        .cmd()
        .args([
            "run",
            "--engine",
            "test-double",
            "--format",
            "json",
            "-b",
            "1,4",
            "-n",
            "16",
            "-r",
            "5",
            "--warmup",
            "1",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "run_id",
        "started_at",
        "status",
        "machine",
        "engine",
        "model",
        "suite",
        "cells",
        "grades",
        "regressions",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    for key in ["os", "arch", "cpu", "memory_bytes", "chip"] {
        assert!(v["machine"].get(key).is_some(), "machine.{key}");
    }
    assert!(chrono::DateTime::parse_from_rfc3339(v["started_at"].as_str().unwrap()).is_ok());
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 2);
    assert_eq!(cells[1]["batch_size"], 4);
    let s = &cells[0]["summary"];
    for m in [
        "decode_tps",
        "prefill_tps",
        "ttft_ms",
        "itl_ms",
        "e2e_ms",
        "throughput_tps",
        "peak_memory_bytes",
    ] {
        for f in ["mean", "median", "sd", "cv", "ci95", "n"] {
            assert!(s[m].get(f).is_some(), "{m}.{f}");
        }
    }
    // 5 trials: no p95/p99. 5 x 15 inter-token gaps = 75: p95 yes, p99 no.
    assert!(s["decode_tps"].get("p95").is_none());
    assert_eq!(s["itl_ms"]["n"], 75);
    assert!(s["itl_ms"].get("p95").is_some());
    assert!(s["itl_ms"].get("p99").is_none());
    assert_eq!(cells[0]["trials"].as_array().unwrap().len(), 5);
    assert_eq!(env.run_count(), 1);
}

#[test]
fn no_save_leaves_history_empty() {
    let env = Env::new();
    env.cmd()
        .args(["run", "--engine", "test-double", "--no-save"])
        .assert()
        .success();
    assert_eq!(env.run_count(), 0);
}

#[test]
fn output_file_and_formats() {
    let env = Env::new();
    let file = env.db.with_file_name("out.md");
    env.cmd()
        .args(["run", "--engine", "test-double", "--format", "md", "-o"])
        .arg(&file)
        .assert()
        .success()
        .stdout("");
    let md = std::fs::read_to_string(&file).unwrap();
    assert!(md.starts_with("# BenchBar run 1"), "{md}");
    env.cmd()
        .args(["run", "--engine", "test-double", "--format", "csv"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("run_id,model,engine"));
}

#[test]
fn history_compare_baseline_export() {
    let env = Env::new();
    let a = env.run("test-double", 5);
    let b = env.run("test-double:decode_tps=80", 5);
    env.cmd()
        .args(["history", "--limit", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("\n{b} ")));
    env.cmd()
        .args(["history", "--model", "nonexistent", "--format", "json"])
        .assert()
        .success()
        .stdout("[]\n");
    env.cmd()
        .args(["compare", &a.to_string(), &b.to_string()])
        .assert()
        .success()
        .stdout(predicate::str::contains("REGRESSION (critical)"));
    // Without a baseline, --baseline says so.
    let out = env
        .cmd()
        .args(["compare", &b.to_string(), "--baseline"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["no baseline is set"]);
    env.cmd()
        .args(["baseline", "set", &a.to_string()])
        .assert()
        .success();
    env.cmd()
        .args(["baseline", "show", "--format", "json"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("\"run_id\": {a}")));
    env.cmd()
        .args(["compare", &b.to_string(), "--baseline", "--format", "json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"verdict\": \"regression\""));
    // A new run is compared with the baseline automatically and records its regressions.
    let out = env
        .cmd()
        .args([
            "run",
            "--engine",
            "test-double:decode_tps=70",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("regression (Critical)"));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["regressions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["metric"] == "decode_tps"));
    for fmt in ["json", "csv", "md"] {
        env.cmd()
            .args(["export", &a.to_string(), "--format", fmt])
            .assert()
            .success();
    }
    let out = env
        .cmd()
        .args(["export", &a.to_string(), "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["run_id"], a);
}

#[test]
fn targets_prints_the_full_matrix() {
    let env = Env::new();
    let out = env.cmd().arg("targets").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for row in [
        "Qwen3-1.7B-4bit",
        "Qwen3-1.7B-8bit",
        "Qwen3-7B-4bit",
        "Qwen3-7B-8bit",
        "Qwen3-14B-8bit",
        "Qwen3-14B-16bit",
    ] {
        assert!(text.contains(row), "{row}");
    }
    for s in [
        "Document Classification",
        "Vector Search",
        "Memory Constrained (< 16GB)",
        "400-500",
    ] {
        assert!(text.contains(s), "{s}");
    }
    let out = env
        .cmd()
        .args(["targets", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["model"].as_array().unwrap().len(), 6);
    env.cmd()
        .args(["targets", "--format", "md"])
        .assert()
        .success();
}

#[test]
fn targets_grades_a_run_against_a_row() {
    let env = Env::new();
    let id = env.run("test-double:decode_tps=100", 5);
    let out = env
        .cmd()
        .args([
            "targets",
            "--run",
            &id.to_string(),
            "--row",
            "Qwen3-1.7B-4bit",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let grades = v["run"]["grades"].as_array().unwrap();
    let single = grades
        .iter()
        .find(|g| g["metric"] == "single_batch_tps")
        .unwrap();
    assert_eq!(single["grade"], "pass");
    let power = grades.iter().find(|g| g["metric"] == "power_w").unwrap();
    assert_eq!(power["grade"], "n/a");
    // Without --row, a model with no row is explained.
    env.cmd()
        .args(["targets", "--run", &id.to_string()])
        .assert()
        .success()
        .stdout(predicate::str::contains("has no row in the matrix"));
    let out = env
        .cmd()
        .args(["targets", "--run", &id.to_string(), "--row", "Qwen3-99B"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["unknown target row"]);
}

#[test]
fn bad_inputs_fail_with_one_line_and_change_nothing() {
    let env = Env::new();
    env.run("test-double", 5);
    let before = env.run_count();
    let cases: &[(&[&str], &str)] = &[
        (
            &["run", "--engine", "test-double", "--suite", "huge"],
            "unknown suite 'huge'",
        ),
        (
            &["run", "--engine", "test-double", "-b", "1,0"],
            "batch size 0",
        ),
        (
            &["run", "--engine", "test-double", "-r", "0"],
            "reps must be at least 1",
        ),
        (
            &["run", "--engine", "warp-drive"],
            "unknown engine 'warp-drive'",
        ),
        (&["export", "4242"], "no run with id 4242"),
        (&["compare", "1", "4242"], "no run with id 4242"),
        (&["baseline", "set", "4242"], "no run with id 4242"),
        (&["targets", "--run", "4242"], "no run with id 4242"),
    ];
    for (args, needle) in cases {
        let out = env.cmd().args(*args).output().unwrap();
        assert_one_line_error(&out, &[needle]);
    }
    assert_eq!(env.run_count(), before);
}

#[test]
fn comparing_incompatible_runs_is_refused() {
    let env = Env::new();
    let a = env.run("test-double", 5);
    let out = env
        .cmd()
        .args([
            "run",
            "--engine",
            "test-double",
            "--model",
            "other-model",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let b = serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["run_id"]
        .as_i64()
        .unwrap();
    let out = env
        .cmd()
        .args(["compare", &a.to_string(), &b.to_string()])
        .output()
        .unwrap();
    assert_one_line_error(
        &out,
        &["measured different configurations: model 'builtin:tiny' vs 'other-model'"],
    );
}

fn assert_db_refused(path: &Path, contents: &[u8], needle: &str) {
    for args in [
        &["history"][..],
        &["run", "--engine", "test-double"][..],
        &["targets", "--run", "1"][..],
    ] {
        let out = Command::cargo_bin("benchbar")
            .unwrap()
            .args(args)
            .arg("--db")
            .arg(path)
            .output()
            .unwrap();
        assert_one_line_error(&out, &[needle]);
        assert_eq!(
            std::fs::read(path).unwrap(),
            contents,
            "{args:?} changed the file"
        );
    }
}

#[test]
fn corrupt_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let junk = b"garbage, not SQLite ".repeat(500);
    std::fs::write(&path, &junk).unwrap();
    assert_db_refused(&path, &junk, "is not a readable BenchBar database");
}

#[test]
fn newer_schema_database_is_refused_untouched() {
    let env = Env::new();
    env.run("test-double", 5);
    // Checkpoint the WAL so the main file holds everything, then mark it as from the future.
    Command::cargo_bin("benchbar")
        .unwrap()
        .env("BENCHBAR_DB", &env.db)
        .arg("history")
        .assert()
        .success();
    {
        let c = rusqlite_free_set_version(&env.db, 999);
        assert!(c);
    }
    let contents = std::fs::read(&env.db).unwrap();
    assert_db_refused(&env.db, &contents, "newer than this BenchBar supports");
}

/// Sets SQLite's user_version (header bytes 60..64, big-endian) without linking SQLite.
fn rusqlite_free_set_version(path: &Path, version: u32) -> bool {
    let mut bytes = std::fs::read(path).unwrap();
    if bytes.len() < 100 || !bytes.starts_with(b"SQLite format 3\0") {
        return false;
    }
    bytes[60..64].copy_from_slice(&version.to_be_bytes());
    std::fs::write(path, bytes).unwrap();
    let _ = std::fs::remove_file(path.with_extension("db-wal"));
    let _ = std::fs::remove_file(path.with_extension("db-shm"));
    true
}

#[test]
fn unreadable_database_path_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // A directory is not a database file.
    let out = Command::cargo_bin("benchbar")
        .unwrap()
        .args(["history", "--db"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_one_line_error(&out, &["cannot open database"]);
}

#[test]
fn every_cell_reports_its_power_source() {
    let env = Env::new();
    let out = env
        .cmd()
        .args([
            "run",
            "--engine",
            "test-double",
            "--format",
            "json",
            "-n",
            "8",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cell = &v["cells"][0];
    let source = cell["power_source"]
        .as_str()
        .expect("power_source on the cell");
    match source.strip_prefix("unavailable: ") {
        // This Linux machine: RAPL root-only or absent, no NVIDIA driver.
        Some(reason) => {
            assert!(!reason.is_empty());
            assert!(cell.get("energy_j").unwrap().is_null());
        }
        None => assert!(cell["energy_j"].as_f64().unwrap() > 0.0),
    }
    assert_eq!(v["power"]["power_source"], source);
    // All other metrics still appear.
    assert!(cell["summary"]["decode_tps"]["mean"].as_f64().unwrap() > 0.0);
    // --no-power leaves power out entirely.
    let out = env
        .cmd()
        .args([
            "run",
            "--engine",
            "test-double",
            "--format",
            "json",
            "--no-power",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["cells"][0].get("power_source").is_none());
    assert!(v.get("power").is_none());
    env.cmd()
        .args(["power", "--seconds", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("power source: "));
}

#[test]
fn interrupted_run_is_stored_as_cancelled_with_whole_cells_only() {
    let env = Env::new();
    // 3 cells x (1 warmup + 2 reps) of 600 ms each; SIGINT arrives during the second cell.
    let child = common::start_run(&env.db, 600);
    std::thread::sleep(std::time::Duration::from_millis(2400));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "cancelled");
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 1, "only the cell that finished is kept");
    assert_eq!(cells[0]["trials"].as_array().unwrap().len(), 2);
    // And it is in the history as cancelled.
    let h = env
        .cmd()
        .args(["history", "--format", "json"])
        .output()
        .unwrap();
    let h: serde_json::Value = serde_json::from_slice(&h.stdout).unwrap();
    assert_eq!(h[0]["status"], "cancelled");
}
