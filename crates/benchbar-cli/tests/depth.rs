//! Context depth (`--depth`) and cold against cached prompts (`--cached-prefix`) on the real
//! in-process MLX engine (builtin:tiny) and a real `mlx_lm.server`: cells per depth and per
//! cold/cached pair in the JSON report, the store, the history, the Markdown export and the
//! performance report; nonsense is one error line before anything runs.

mod common;

use common::mlx_server::{fixtures, MlxServer};
use common::{assert_one_line_error, models_dir, Env};
use serde_json::Value;

fn ok_json(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn run_mlx(env: &Env, args: &[&str]) -> Value {
    let out = env
        .cmd()
        .env("BENCHBAR_MODELS_DIR", models_dir())
        .args(["run", "--no-power", "--warmup", "1", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    ok_json(&out)
}

fn ttft_p50(cell: &Value) -> f64 {
    let s = &cell["summary"]["ttft_ms"];
    s["p50"].as_f64().or(s["median"].as_f64()).unwrap()
}

fn text(env: &Env, args: &[&str]) -> String {
    let out = env.cmd().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_depth_sweep_measures_each_depth_without_its_prefill() {
    let env = Env::new();
    let v = run_mlx(
        &env,
        &["-p", "32", "-n", "8", "-r", "3", "--depth", "0,256,1024"],
    );
    assert_eq!(v["status"], "completed");
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 3, "one cell per depth");
    let mut kv = Vec::new();
    for (c, d) in cells.iter().zip([0u64, 256, 1024]) {
        assert_eq!(c["depth_tokens"], d);
        assert_eq!(c["test"], format!("short.1.p32.d{d}"));
        assert_eq!(
            c["prompt_tokens"], 32,
            "the depth is not part of the prompt"
        );
        for t in c["trials"].as_array().unwrap() {
            assert!(t.get("error").is_none(), "{t}");
            let offs = t["requests"][0]["token_offsets_ns"].as_array().unwrap();
            assert_eq!(offs.len(), 8);
        }
        kv.push(c["kv_cache_bytes"].as_u64().unwrap());
    }
    assert!(
        kv[0] < kv[1] && kv[1] < kv[2],
        "KV cache grows with depth: {kv:?}"
    );
    // The depth's prefill is not in the measured TTFT: 32 prompt tokens after 1,024 of context
    // come back well before the same 1,056 tokens prefilled cold.
    let cold = run_mlx(&env, &["-p", "1056", "-n", "8", "-r", "3"]);
    let (deep, cold) = (ttft_p50(&cells[2]), ttft_p50(&cold["cells"][0]));
    assert!(
        deep * 2.0 < cold,
        "TTFT at depth 1024: {deep} ms, cold 1056 tokens: {cold} ms"
    );

    // Stored as measured, listed in the history with its depths, in every document.
    let id = v["run_id"].to_string();
    let again = ok_json(&env.cmd().args(["export", &id]).output().unwrap());
    assert_eq!(again["cells"][2]["depth_tokens"], 1024);
    assert_eq!(
        again["cells"][2]["kv_cache_bytes"],
        cells[2]["kv_cache_bytes"]
    );
    let history = ok_json(
        &env.cmd()
            .args(["history", "--format", "json"])
            .output()
            .unwrap(),
    );
    let run = history
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["run_id"] == v["run_id"])
        .unwrap();
    let depths = run["depths"].as_array().unwrap();
    assert_eq!(depths.len(), 3);
    assert_eq!(depths[2]["depth_tokens"], 1024);
    assert_eq!(depths[2]["test"], "short.1.p32");
    assert_eq!(depths[2]["kv_cache_bytes"], cells[2]["kv_cache_bytes"]);
    let md = text(&env, &["export", &id, "--format", "md"]);
    assert!(
        md.contains("Context depth") && md.contains("Depth tokens"),
        "{md}"
    );
    assert!(
        md.contains("context depth: each trial's prompt is measured after"),
        "{md}"
    );
    let dir = env.dir.path().join("report");
    let out = env
        .cmd()
        .args(["report", &id, "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(report.contains("### Context depth"), "{report}");
    for chart in [
        "chart-depth-decode",
        "chart-depth-ttft",
        "chart-depth-memory",
    ] {
        let svg = std::fs::read_to_string(dir.join(format!("{chart}.svg"))).unwrap();
        assert!(svg.contains("context depth, tokens"), "{chart}");
    }
}

#[test]
fn a_cached_prefix_is_timed_beside_the_same_prompt_cold() {
    let env = Env::new();
    let v = run_mlx(
        &env,
        &["-p", "16", "-n", "4", "-r", "3", "--cached-prefix", "1024"],
    );
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 2);
    assert_eq!(cells[0]["test"], "short.1.p16.prefix1024.cold");
    assert_eq!(cells[1]["test"], "short.1.p16.prefix1024.cached");
    for (c, cached) in cells.iter().zip([false, true]) {
        assert_eq!(c["prefix"]["prefix_tokens"], 1024);
        assert_eq!(c["prefix"]["cached"], cached);
        assert_eq!(
            c["prompt_tokens"], 1040,
            "the same prompt: prefix and test prompt"
        );
    }
    let (cold, cached) = (ttft_p50(&cells[0]), ttft_p50(&cells[1]));
    assert!(cached * 2.0 < cold, "cached {cached} ms, cold {cold} ms");
    let id = v["run_id"].to_string();
    let history = ok_json(
        &env.cmd()
            .args(["history", "--format", "json"])
            .output()
            .unwrap(),
    );
    let pair = &history[0]["prompt_cache"][0];
    assert_eq!(pair["prefix_tokens"], 1024);
    assert_eq!(pair["prompt_tokens"], 1040);
    assert!(pair["saved_pct"].as_f64().unwrap() > 50.0, "{pair}");
    let md = text(&env, &["export", &id, "--format", "md"]);
    assert!(
        md.contains("Cold and cached prompt") && md.contains("Cached TTFT ms p50"),
        "{md}"
    );
}

#[test]
fn a_server_with_prompt_caching_answers_the_cached_prefix_faster() {
    let server = MlxServer::start();
    let env = Env::new();
    let tokenizer = fixtures().join("tiny-f32");
    let out = env
        .cmd()
        .args([
            "run",
            "--engine",
            "openai",
            "--url",
            &server.base,
            "--no-power",
        ])
        .arg("--tokenizer")
        .arg(&tokenizer)
        .args(["-n", "4", "-r", "3", "--warmup", "1", "--format", "json"])
        .args(["--cached-prefix", "1024"])
        .output()
        .unwrap();
    let v = ok_json(&out);
    assert_eq!(v["status"], "completed", "{}", server.log());
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 2);
    for c in cells {
        for t in c["trials"].as_array().unwrap() {
            assert!(t.get("error").is_none(), "{t}");
        }
        // The server counted the whole prompt: the prefix, the nonce and the chat template.
        let prompt = c["prompt_tokens"].as_u64().unwrap();
        assert!(prompt > 1024 + 10, "{prompt}");
    }
    let (cold, cached) = (ttft_p50(&cells[0]), ttft_p50(&cells[1]));
    assert!(
        cached < cold,
        "mlx_lm.server reuses the cached prefix: cached {cached} ms, cold {cold} ms"
    );
    // The server says so itself: its usage counted the prefix as cached.
    let cached_tokens = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w.as_str()?.split("reported up to ").nth(1))
        .filter_map(|rest| rest.split(' ').next()?.parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    assert!(cached_tokens >= 1024, "{}", v["warnings"]);
    drop(server);
}

fn refused(args: &[&str], needles: &[&str]) {
    let env = Env::new();
    let out = env
        .cmd()
        .env("BENCHBAR_MODELS_DIR", models_dir())
        .args(["run", "--no-power", "-r", "2"])
        .args(args)
        .output()
        .unwrap();
    assert_one_line_error(&out, needles);
    assert!(out.stdout.is_empty(), "nothing measured, nothing printed");
    assert_eq!(env.run_count(), 0, "no run stored");
}

#[test]
fn nonsense_depths_and_prefixes_are_one_error_line_before_anything_runs() {
    refused(&["--depth", ""], &["--depth"]);
    refused(&["--depth", "-1"], &["--depth", "whole number of tokens"]);
    refused(&["--depth", "4k"], &["--depth"]);
    refused(&["--depth", "0,,8"], &["--depth"]);
    refused(&["--depth", "0,256,0"], &["depth 0 is listed twice"]);
    refused(&["--depth", "5000000"], &["depth 5000000 is out of range"]);
    refused(&["--cached-prefix", "0"], &["--cached-prefix"]);
    refused(
        &["--depth", "0", "--cached-prefix", "8"],
        &["either --depth or --cached-prefix"],
    );
    refused(
        &["--engine", "test-double", "--depth", "0,8"],
        &["--depth", "test-double engine keeps none"],
    );
    // Past builtin:tiny's context of 40,960 tokens.
    refused(
        &["-p", "64", "-n", "8", "--depth", "0,40900"],
        &[
            "a depth of 40900 tokens",
            "exceed the model's context of 40960 tokens",
        ],
    );
    refused(
        &["-p", "64", "-n", "8", "--cached-prefix", "40900"],
        &["a prefix of 40900 tokens"],
    );
}

#[test]
fn run_help_names_depth_prefix_and_the_long_context_suite() {
    let env = Env::new();
    let out = env.cmd().args(["run", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for word in ["--depth", "--cached-prefix", "long-context"] {
        assert!(help.contains(word), "{word} missing:\n{help}");
    }
}
