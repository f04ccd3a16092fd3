//! `benchbar run` with no --model/--engine: the real in-process MLX engine on `builtin:tiny`
//! (the tiny random-weight Qwen3 benchbar-mlx makes on first use), stored in history.

mod common;

use assert_cmd::Command;
use common::{models_dir, Env};

#[test]
fn default_run_benchmarks_builtin_tiny_on_mlx_and_stores_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let out = Command::cargo_bin("benchbar")
        .unwrap()
        .env("BENCHBAR_DB", &db)
        .env("BENCHBAR_MODELS_DIR", models_dir())
        .args([
            "run", "-n", "16", "-r", "3", "--warmup", "1", "--format", "json",
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
    let version = v["engine"]["version"].as_str().unwrap();
    assert!(version.contains("MLX 0."), "{version}");
    assert_eq!(v["model"]["id"], "builtin:tiny");
    assert_eq!(v["model"]["quantization"], "f32");
    let cell = &v["cells"][0];
    // The prompt was tokenized by the real Qwen3 tokenizer with the chat template.
    assert!(cell["prompt_tokens"].as_u64().unwrap() > 10);
    for t in cell["trials"].as_array().unwrap() {
        for r in t["requests"].as_array().unwrap() {
            let offs = r["token_offsets_ns"].as_array().unwrap();
            assert_eq!(offs.len(), 16, "EOS suppressed: fixed length");
            let ns: Vec<u64> = offs.iter().map(|x| x.as_u64().unwrap()).collect();
            assert!(ns.windows(2).all(|w| w[0] <= w[1]), "monotonic timestamps");
        }
    }
    let s = &cell["summary"];
    assert!(s["decode_tps"]["mean"].as_f64().unwrap() > 0.0);
    assert!(
        s["peak_memory_bytes"]["mean"].as_f64().unwrap() > 1e6,
        "MLX peak memory reported"
    );
    // Stored: history shows it.
    let out = Command::cargo_bin("benchbar")
        .unwrap()
        .env("BENCHBAR_DB", &db)
        .args(["history", "--format", "json"])
        .output()
        .unwrap();
    let h: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(h[0]["run_id"], v["run_id"]);
    assert_eq!(h[0]["engine"]["name"], "mlx");
}

#[test]
fn generate_prints_json_with_ids_and_timings() {
    let out = Command::cargo_bin("benchbar")
        .unwrap()
        .env("BENCHBAR_MODELS_DIR", models_dir())
        .args([
            "generate",
            "--prompt",
            "Hello",
            "--max-tokens",
            "5",
            "--format",
            "json",
            "--chat",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["prompt_token_ids"].as_array().unwrap().len() > 3,
        "chat template applied"
    );
    let n = v["generated_token_ids"].as_array().unwrap().len();
    assert!((1..=5).contains(&n));
    assert_eq!(v["token_times_ms"].as_array().unwrap().len(), n);
}

#[test]
fn bad_model_is_one_error_line_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let bad = dir.path().join("broken");
    std::fs::create_dir(&bad).unwrap();
    std::fs::write(bad.join("config.json"), "{ not json").unwrap();
    let out = Command::cargo_bin("benchbar")
        .unwrap()
        .env("BENCHBAR_DB", &db)
        .args(["run", "--model"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("config.json"), "{err}");
    let out = Command::cargo_bin("benchbar")
        .unwrap()
        .env("BENCHBAR_DB", &db)
        .args(["history", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "[]\n");
}

#[test]
fn models_lists_the_fixtures() {
    let out = Command::cargo_bin("benchbar")
        .unwrap()
        .env("BENCHBAR_MODELS_DIR", models_dir())
        .env("HF_HUB_CACHE", models_dir().join("no-hf-cache-here"))
        .args(["models", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tiny = v
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "tiny-f32")
        .expect("tiny-f32 listed");
    assert_eq!(tiny["quantization"], "f32");
    assert!(tiny["param_count"].as_u64().unwrap() > 9_000_000);
}

/// SIGINT during a long prefill on the in-process engine ends the run within a second, even
/// in the middle of a prefill chunk (a 2,048-token chunk of this 24k-token prompt takes seconds
/// on a 2-core CI machine; the whole prefill ~40 s).
#[cfg(unix)]
#[test]
fn sigint_during_a_long_prefill_ends_the_run_within_a_second() {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let child = common::benchbar_mlx(&dir.path().join("h.db"))
        .args([
            "run",
            "-p",
            "24000",
            "-n",
            "4",
            "-b",
            "1",
            "-r",
            "1",
            "--warmup",
            "0",
            "--format",
            "json",
            "--no-power",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Model load takes well under a second; then the prefill is under way.
    std::thread::sleep(Duration::from_millis(2500));
    let sent = Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let took = sent.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(
        took < Duration::from_secs(6),
        "exited {took:?} after SIGINT: {err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "cancelled");
}

/// A new machine: no Python anywhere and an empty models folder. `builtin:tiny` is made by the
/// binary itself and the quick suite runs and is stored.
#[test]
fn builtin_tiny_is_made_without_python_on_a_fresh_machine() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    let empty_bin = dir.path().join("bin");
    std::fs::create_dir(&empty_bin).unwrap();
    let out = Command::cargo_bin("benchbar")
        .unwrap()
        .env("PATH", &empty_bin)
        .env("BENCHBAR_PYTHON", dir.path().join("no-such-python"))
        .env("BENCHBAR_MODELS_DIR", &models)
        .env("BENCHBAR_DB", dir.path().join("h.db"))
        .env_remove("RUST_LOG")
        .args([
            "run",
            "--suite",
            "quick",
            "-n",
            "8",
            "-r",
            "2",
            "--warmup",
            "0",
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
    assert_eq!(v["model"]["id"], "builtin:tiny");
    assert!(v["run_id"].as_i64().is_some(), "stored");
    assert!(models.join("tiny-f32").join("config.json").exists());
    assert!(models.join("tiny-f32").join("model.safetensors").exists());
    // Nothing half-made is left beside it.
    let names: Vec<String> = std::fs::read_dir(&models)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["tiny-f32"]);
}

/// `-r auto` on real MLX: a loose target is met after the minimum of five repetitions; an
/// unreachable one ends on the time budget; the report says which and the precision reached.
#[test]
fn adaptive_repetitions_stop_on_precision_or_on_time() {
    let run = |precision: &str, max_time: &str| -> serde_json::Value {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::cargo_bin("benchbar")
            .unwrap()
            .env("BENCHBAR_DB", dir.path().join("h.db"))
            .env("BENCHBAR_MODELS_DIR", models_dir())
            .args([
                "run",
                "-n",
                "8",
                "--warmup",
                "1",
                "--no-power",
                "--format",
                "json",
            ])
            .args([
                "-r",
                "auto",
                "--precision",
                precision,
                "--max-time",
                max_time,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["cells"][0].clone()
    };
    let loose = run("50%", "60s");
    assert_eq!(loose["repetitions"]["stopped"], "precision");
    assert_eq!(loose["reps"], 5, "the minimum, then the target is met");
    assert!(loose["repetitions"]["achieved_pct"].as_f64().unwrap() <= 50.0);

    let strict = run("0.0001%", "1s");
    assert_eq!(strict["repetitions"]["stopped"], "time_budget");
    let reps = strict["reps"].as_u64().unwrap();
    assert!(reps >= 2, "{reps}");
    assert!(strict["repetitions"]["achieved_pct"].as_f64().unwrap() > 0.0001);
    assert_eq!(strict["trials"].as_array().unwrap().len() as u64, reps);
}

/// `benchbar generate` and `benchbar run` on the fixtures of every other MLX quantization
/// (affine 5/6-bit, mxfp4, nvfp4, mxfp8, mixed recipes; made by mlx_lm's converter in
/// scripts/fixtures.sh) and on the Qwen3-MoE ones: the greedy tokens are mlx_lm's (its oracle
/// file), and a run stores the quantization's name.
#[test]
fn every_quantization_and_family_member_generate_mlx_lm_tokens_and_run() {
    let env = Env::new();
    for (variant, label) in [
        ("6bit", "6bit"),
        ("5bit-g32", "5bit"),
        ("mxfp4", "mxfp4"),
        ("nvfp4", "nvfp4"),
        ("mxfp8", "mxfp8"),
        ("mixed-3-6", "4bit-mixed"),
        ("mixed-2-6", "4bit-mixed"),
        ("moe", "f32"),
        ("moe-hf", "f32"),
        ("moe-4bit", "4bit"),
        ("qwen3_5", "f32"),
        ("qwen3_5-hf", "f32"),
        ("qwen3_5_moe", "f32"),
        ("qwen3_next", "f32"),
        ("qwen3_5-4bit", "4bit"),
        ("qwen3_5_moe-4bit", "4bit"),
        ("rope-llama3", "f32"),
        ("rope-longrope", "f32"),
        ("rope-dynamic", "f32"),
        ("qwen3_5-yarn", "f32"),
    ] {
        let model = models_dir().join(format!("tiny-{variant}"));
        let oracle = models_dir().join(format!("oracle/tiny-{variant}.json"));
        let oracle: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(&oracle)
                .unwrap_or_else(|e| panic!("{}: {e} (run scripts/fixtures.sh)", oracle.display())),
        )
        .unwrap();
        let first = &oracle["prompts"][0];
        assert_eq!(first["text"], "Hello");
        let want: Vec<u64> = first["greedy"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_u64().unwrap())
            .take_while(|t| ![151643, 151645].contains(t))
            .take(12)
            .collect();
        // `benchbar ARGS --format json --model MODEL`, succeeding, as JSON
        let json = |args: &[&str]| -> serde_json::Value {
            let out = env
                .cmd()
                .args(args)
                .args(["--format", "json", "--model"])
                .arg(&model)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{variant}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_slice(&out.stdout).unwrap()
        };
        let v = json(&[
            "generate",
            "--prompt",
            "Hello",
            "--max-tokens",
            "12",
            "--chat",
        ]);
        let got: Vec<u64> = v["generated_token_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_u64().unwrap())
            .collect();
        assert_eq!(got, want, "{variant}: greedy tokens against mlx_lm's");
        let v = json(&["run", "-p", "16", "-n", "4", "-r", "1"]);
        assert_eq!(v["model"]["quantization"], label, "{variant}");
    }
}
