//! `benchbar scenario`: the list with the seed's targets, a real run on builtin:tiny stored in
//! the history and shown again, and bad input as one clear error line with exit code 2.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn models_dir() -> PathBuf {
    std::env::var_os("BENCHBAR_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.fixtures"))
}

fn benchbar(db: &Path) -> Command {
    let mut c = Command::cargo_bin("benchbar").unwrap();
    c.env("BENCHBAR_DB", db)
        .env("BENCHBAR_MODELS_DIR", models_dir());
    c
}

/// Runs and expects exit code 2 with one `error:` line naming `needle`.
fn refused(db: &Path, args: &[&str], needle: &str) {
    let out = benchbar(db).args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    assert!(
        err.starts_with("error: ") && err.contains(needle),
        "{args:?}: {err}"
    );
}

#[test]
fn list_shows_all_five_with_their_seed_targets() {
    let dir = tempfile::tempdir().unwrap();
    let out = benchbar(&dir.path().join("h.db"))
        .args(["scenario", "--list"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "classification",
        "any: < 120 s for 1000 docs",
        "summarization",
        "7B: < 300 s for 100 docs",
        "extraction",
        "7B: < 1200 s for 500 docs",
        "codegen",
        "7B: < 600 s for 50 functions",
        "rag",
        "End-to-End RAG Response",
        "<10 seconds average",
    ] {
        assert!(text.contains(needle), "missing {needle}:\n{text}");
    }
    let out = benchbar(&dir.path().join("h.db"))
        .args(["scenario", "--list", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "classification",
            "summarization",
            "extraction",
            "codegen",
            "rag"
        ]
    );
    let items: Vec<u64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["items"].as_u64().unwrap())
        .collect();
    assert_eq!(items, [1000, 100, 500, 50, 40]);
}

#[test]
fn a_run_on_builtin_tiny_is_stored_in_history_and_shown_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let out = benchbar(&db)
        .args([
            "scenario",
            "classification",
            "--limit",
            "6",
            "--batch",
            "3",
            "--no-power",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["engine"]["name"], "mlx");
    assert_eq!(v["model"]["id"], "builtin:tiny");
    assert_eq!(
        (v["items_run"].as_u64(), v["batch_size"].as_u64()),
        (Some(6), Some(3))
    );
    assert_eq!(v["latency_ms"]["n"], 6);
    assert!(v["wall_s"].as_f64().unwrap() > 0.0);
    let check = &v["checks"][0];
    assert_eq!(
        (check["name"].as_str(), check["checked"].as_u64()),
        (Some("valid_label"), Some(6))
    );
    let run_id = v["run_id"].as_i64().unwrap();

    let out = benchbar(&db)
        .args(["history", "--format", "json"])
        .output()
        .unwrap();
    let h = String::from_utf8(out.stdout).unwrap();
    assert!(h.contains("scenario:classification"), "{h}");

    let out = benchbar(&db)
        .args([
            "scenario",
            "--show",
            &run_id.to_string(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "scenario",
        "model",
        "engine",
        "items_run",
        "checks",
        "run_id",
    ] {
        assert_eq!(shown[key], v[key], "{key}");
    }
    let outputs = |j: &serde_json::Value| -> Vec<serde_json::Value> {
        j["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["output"].clone())
            .collect()
    };
    assert_eq!(outputs(&shown), outputs(&v));
    let (a, b) = (
        shown["wall_s"].as_f64().unwrap(),
        v["wall_s"].as_f64().unwrap(),
    );
    assert!((a - b).abs() <= 1e-9 * b, "{a} vs {b}");
}

#[test]
fn a_model_that_produces_nothing_is_recorded_as_zero_validity() {
    let dir = tempfile::tempdir().unwrap();
    let out = benchbar(&dir.path().join("h.db"))
        .args([
            "scenario",
            "extraction",
            "--engine",
            "test-double:reply=empty",
            "--limit",
            "3",
            "--no-power",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("schema_valid 0/3 (0.0%)"), "{text}");
    assert!(text.contains("produced no tokens"), "{text}");
}

#[test]
fn bad_input_is_one_error_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, r#"{"scenario": "codegen", "items": []}"#).unwrap();
    let schema = dir.path().join("schema.json");
    std::fs::write(&schema, r#"{"type": "object", "properties": "#).unwrap();
    refused(&db, &["scenario", "poetry"], "unknown scenario 'poetry'");
    refused(
        &db,
        &["scenario", "codegen", "--corpus", "/nonexistent/c.json"],
        "/nonexistent/c.json",
    );
    refused(
        &db,
        &["scenario", "codegen", "--corpus", empty.to_str().unwrap()],
        "codegen corpus is empty",
    );
    refused(
        &db,
        &[
            "scenario",
            "extraction",
            "--schema",
            schema.to_str().unwrap(),
        ],
        "not JSON",
    );
    refused(
        &db,
        &[
            "scenario",
            "codegen",
            "--limit",
            "0",
            "--engine",
            "test-double",
        ],
        "at least 1",
    );
    refused(&db, &["scenario", "rag", "--engine", "openai"], "--url");
    refused(&db, &["scenario", "--show", "42"], "no run with id 42");
}

#[test]
fn a_corpus_written_out_runs_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let file = dir.path().join("codegen.json");
    let out = benchbar(&db)
        .args([
            "scenario",
            "codegen",
            "--write-corpus",
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = benchbar(&db)
        .args([
            "scenario",
            "codegen",
            "--corpus",
            file.to_str().unwrap(),
            "--engine",
            "test-double",
            "--limit",
            "2",
            "--no-save",
            "--no-power",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["items_total"].as_u64(), v["items_run"].as_u64()),
        (Some(50), Some(2))
    );
    assert_eq!(v["run_id"], serde_json::Value::Null);
}
