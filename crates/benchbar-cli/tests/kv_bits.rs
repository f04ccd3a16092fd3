//! `benchbar run --kv-bits`: the in-process engine with its KV cache quantized (mlx_lm's
//! `kv_bits`), one run per bits value beside the unquantized cache's, stored with its
//! quantization; bad values are one error line and exit 2 before any model loads.

mod common;

use assert_cmd::Command;
use common::models_dir;

fn benchbar(db: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("benchbar").unwrap();
    c.env("BENCHBAR_DB", db)
        .env("BENCHBAR_MODELS_DIR", models_dir());
    c
}

/// The fixture with heads of 64 (MLX quantizes in groups of 32 or more; builtin:tiny's heads
/// have 16).
fn model() -> String {
    models_dir()
        .join("tiny-hd64-f32")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn kv_bits_runs_beside_the_unquantized_cache_and_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let out = benchbar(&db)
        .args([
            "run",
            "--model",
            &model(),
            "--kv-bits",
            "4,8",
            "-p",
            "96",
            "-n",
            "8",
        ])
        .args(["-r", "2", "--warmup", "0", "--no-power", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let engines = v["engines"].as_array().unwrap();
    assert_eq!(engines.len(), 3, "{v}");
    assert!(engines[0].get("kv_cache").is_none_or(|k| k.is_null()));
    for (e, bits) in engines[1..].iter().zip([4, 8]) {
        assert_eq!(e["kv_cache"]["bits"], bits, "{e}");
        assert_eq!(e["kv_cache"]["group_size"], 64);
        assert_eq!(e["kv_cache"]["start_tokens"], 0);
        let version = e["version"].as_str().unwrap();
        assert!(
            version.contains(&format!("KV cache {bits}-bit")),
            "{version}"
        );
    }
    // Each run is stored with its quantization (and is no baseline of the others: its key
    // differs by the engine version).
    let ids: Vec<i64> = engines
        .iter()
        .map(|e| e["run_id"].as_i64().unwrap())
        .collect();
    for (id, bits) in ids.iter().zip([None, Some(4), Some(8)]) {
        let out = benchbar(&db)
            .args(["export", &id.to_string(), "--format", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            r["engine"]["kv_cache"]["bits"].as_u64(),
            bits.map(|b: u64| b),
            "run {id}"
        );
        assert!(
            r["cells"][0]["summary"]["decode_tps"]["mean"]
                .as_f64()
                .unwrap()
                > 0.0
        );
    }
}

#[test]
fn kv_bits_nonsense_is_one_error_line_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let m = model();
    for (args, needle) in [
        (vec!["--model", &m, "--kv-bits", "7"], "7 bits"),
        (vec!["--model", &m, "--kv-bits", "4,4"], "twice"),
        (
            vec!["--model", &m, "--kv-bits", "4", "--kv-group-size", "48"],
            "groups of 48",
        ),
        (
            vec!["--model", &m, "--kv-group-size", "32"],
            "go with --kv-bits",
        ),
        (vec!["--model", &m, "--kv-bits", "0"], "--kv-bits"),
        (
            vec![
                "--engine",
                "openai",
                "--url",
                "http://127.0.0.1:9/v1",
                "--kv-bits",
                "4",
            ],
            "--engine mlx alone",
        ),
        // builtin:tiny's heads of 16 take no MLX quantization group
        (vec!["--kv-bits", "4"], "head_dim"),
    ] {
        let out = benchbar(&db)
            .arg("run")
            .args(&args)
            .args(["-p", "16", "-n", "4", "-r", "1", "--no-power"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    assert!(
        !db.exists() || {
            let out = benchbar(&db)
                .args(["history", "--format", "json"])
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).trim() == "[]"
        }
    );
}
