//! `benchbar run --engine openai` against a real `mlx_lm.server` serving the tiny fixture model
//! (started here on 127.0.0.1 at a free port, stopped on drop even when a test panics), and
//! `--engine mlx,openai` side by side with the in-process engine: same suite, one table per
//! test, token counts agree.
//!
//! Needs the venv of scripts/setup-python.sh and the fixtures of scripts/fixtures.sh (see
//! `common::mlx_server`).

use std::net::TcpListener;
use std::path::Path;

use assert_cmd::Command;
use common::mlx_server::{fixtures, MlxServer};

mod common;

fn benchbar(db: &Path) -> Command {
    let mut c = Command::cargo_bin("benchbar").unwrap();
    c.env("BENCHBAR_DB", db)
        .env("BENCHBAR_MODELS_DIR", fixtures())
        .env_remove("RUST_LOG");
    c
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "exit {:?}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn openai_engine_benchmarks_mlx_lm_server_with_fixed_length_and_batches() {
    let server = MlxServer::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let out = benchbar(&db)
        .args([
            "run",
            "--engine",
            "openai",
            "--url",
            &server.base,
            "--no-power",
        ])
        .args([
            "-n", "16", "-r", "3", "--warmup", "1", "-b", "1,2", "--format", "json",
        ])
        .args(["--api-key-env", "BENCHBAR_TEST_KEY"])
        .env("BENCHBAR_TEST_KEY", "sk-test-secret-4242")
        .output()
        .unwrap();
    let v = json_of(&out);
    assert_eq!(v["engine"]["name"], "openai");
    let version = v["engine"]["version"].as_str().unwrap();
    assert!(
        version.starts_with("openai-compatible · ") && version.contains("127.0.0.1"),
        "{version}"
    );
    assert_eq!(v["status"], "completed");
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 2, "batch 1 and 2");
    for cell in cells {
        let batch = cell["batch_size"].as_u64().unwrap();
        assert!(
            cell["prompt_tokens"].as_u64().unwrap() > 10,
            "usage prompt tokens"
        );
        for t in cell["trials"].as_array().unwrap() {
            assert!(t.get("error").is_none(), "{t}");
            let reqs = t["requests"].as_array().unwrap();
            assert_eq!(
                reqs.len() as u64,
                batch,
                "one sample per concurrent request"
            );
            for r in reqs {
                let offs: Vec<u64> = r["token_offsets_ns"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_u64().unwrap())
                    .collect();
                assert_eq!(
                    offs.len(),
                    16,
                    "EOS suppressed through logit_bias: fixed length"
                );
                assert!(offs.windows(2).all(|w| w[0] <= w[1]));
            }
        }
        assert!(cell["summary"]["decode_tps"]["mean"].as_f64().unwrap() > 0.0);
        assert!(cell["summary"]["ttft_ms"]["mean"].as_f64().unwrap() > 0.0);
    }
    let warnings = v["warnings"].to_string();
    assert!(warnings.contains("TTFT is client-side"), "{warnings}");
    // The API key is never stored (only read from the environment).
    let stored = std::fs::read(&db).unwrap();
    let needle = b"sk-test-secret-4242";
    assert!(!stored.windows(needle.len()).any(|w| w == needle));
    drop(server);
}

#[test]
fn mlx_and_openai_side_by_side_agree_on_token_counts() {
    let server = MlxServer::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let tokenizer = fixtures().join("tiny-f32/tokenizer.json");
    let run = |format: &str| {
        benchbar(&db)
            .args(["run", "--engine", "mlx,openai", "--url", &server.base])
            .arg("--tokenizer")
            .arg(&tokenizer)
            .args([
                "--no-power",
                "-p",
                "32",
                "-n",
                "16",
                "-r",
                "3",
                "--warmup",
                "1",
            ])
            .args(["--format", format])
            .output()
            .unwrap()
    };
    let v = json_of(&run("json"));
    let engines: Vec<&str> = v["engines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(engines, ["mlx", "openai"]);
    let cmp = v["comparison"].as_array().unwrap();
    assert!(!cmp.is_empty());
    for row in cmp {
        let m = &row["metrics"];
        assert_eq!(
            m["prompt_tokens"]["values"],
            serde_json::json!([32.0, 32.0]),
            "{row}"
        );
        assert_eq!(
            m["gen_tokens"]["values"],
            serde_json::json!([16.0, 16.0]),
            "{row}"
        );
        assert_eq!(m["gen_tokens"]["ratios"], serde_json::json!([1.0]));
        assert_eq!(m["failed_trials"]["values"], serde_json::json!([0.0, 0.0]));
        assert!(m["decode_tps"]["ratios"][0].as_f64().unwrap() > 0.0);
    }
    // Both runs are in the history, as separate runs of their own configuration.
    assert_eq!(v["runs"].as_array().unwrap().len(), 2);
    assert!(v["runs"][0]["run_id"].as_i64().is_some() && v["runs"][1]["run_id"].as_i64().is_some());

    let out = run("table");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("openai/mlx"), "{table}");
    assert!(
        table.contains("decode_tps") && table.contains("gen_tokens"),
        "{table}"
    );
    eprintln!("{table}");
}

#[test]
fn unreachable_server_is_refused_before_any_run_and_leaves_history_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    // An earlier run in the history.
    let first = benchbar(&db)
        .args([
            "run",
            "--engine",
            "test-double",
            "--no-power",
            "-r",
            "5",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let before = json_of(&first);
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/v1");
    let out = benchbar(&db)
        .args([
            "run",
            "--engine",
            "openai",
            "--url",
            &url,
            "--no-power",
            "-r",
            "2",
            "--warmup",
            "0",
        ])
        .args(["--format", "json", "--timeout-s", "5"])
        .output()
        .unwrap();
    // Refused when the engine is opened (issue #26): one line naming the URL and the cause,
    // exit 2, no run stored.
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&url) && err.contains("cannot connect"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "nothing measured, nothing printed");
    let history = benchbar(&db)
        .args(["history", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        json_of(&history).as_array().unwrap().len(),
        1,
        "no run added"
    );
    // The earlier run is unchanged.
    let id = before["run_id"].as_i64().unwrap().to_string();
    let again = benchbar(&db)
        .args(["export", &id, "--format", "json"])
        .output()
        .unwrap();
    let again = json_of(&again);
    assert_eq!(again["cells"], before["cells"]);

    // A missing API key variable: one error line, exit 2.
    let out = benchbar(&db)
        .args([
            "run",
            "--engine",
            "openai",
            "--url",
            &url,
            "--api-key-env",
            "BENCHBAR_NO_SUCH_KEY_VAR",
        ])
        .env_remove("BENCHBAR_NO_SUCH_KEY_VAR")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("BENCHBAR_NO_SUCH_KEY_VAR"), "{err}");
}
