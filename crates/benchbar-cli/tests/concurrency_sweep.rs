//! Concurrency sweeps (`benchbar run --concurrency 1,4 --slo-ttft-ms ...`): against a real
//! `mlx_lm.server` on the tiny fixture (every number the report derives is recomputed here from
//! the raw per-token samples of the same report), the stored run exported and reported again
//! (Markdown table, throughput-against-latency chart), and every nonsense input refused with
//! one `error:` line before anything runs.

use common::mlx_server::{fixtures, MlxServer};
use common::{assert_one_line_error, Env};
use serde_json::Value;

mod common;

fn ok_json(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Per request: (sent ns from the trial start, token offsets ns from the send).
fn requests(trial: &Value) -> Vec<(u64, Vec<u64>)> {
    trial["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let offs = r["token_offsets_ns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect();
            (r["start_offset_ns"].as_u64().unwrap_or(0), offs)
        })
        .collect()
}

/// The most requests in flight at once, from send to last token (ends before starts).
fn in_flight(reqs: &[(u64, Vec<u64>)]) -> u64 {
    let mut ev: Vec<(u64, i64)> = reqs
        .iter()
        .flat_map(|(s, o)| [(*s, 1), (s + o.last().unwrap(), -1)])
        .collect();
    ev.sort();
    ev.iter()
        .scan(0i64, |n, (_, d)| {
            *n += d;
            Some(*n)
        })
        .max()
        .unwrap() as u64
}

const SLO_TTFT_MS: f64 = 60.0;
const SLO_ITL_MS: f64 = 40.0;

#[test]
fn concurrency_sweep_against_mlx_lm_server() {
    let server = MlxServer::start();
    let env = Env::new();
    let out = env
        .cmd()
        .env("BENCHBAR_MODELS_DIR", fixtures())
        .args([
            "run",
            "--engine",
            "openai",
            "--url",
            &server.base,
            "--no-power",
        ])
        .args(["-n", "8", "-r", "2", "--warmup", "0", "--format", "json"])
        .args(["--concurrency", "1,4", "--requests", "8"])
        .args(["--slo-ttft-ms", &SLO_TTFT_MS.to_string()])
        .args(["--slo-itl-ms", &SLO_ITL_MS.to_string()])
        .output()
        .unwrap();
    let v = ok_json(&out);
    assert_eq!(v["status"], "completed", "{}", server.log());
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 2, "one cell per level");
    for (cell, level) in cells.iter().zip([1u64, 4]) {
        let load = &cell["load"];
        assert_eq!(cell["batch_size"], level);
        assert_eq!(load["concurrency"], level);
        assert_eq!(load["requests_per_trial"], 8);
        let trials = cell["trials"].as_array().unwrap();
        assert_eq!(trials.len(), 2);
        let (mut met, mut gen, mut wall_s, mut most) = (0u64, 0u64, 0f64, 0u64);
        for t in trials {
            assert!(t.get("error").is_none(), "{t}");
            let reqs = requests(t);
            assert_eq!(reqs.len(), 8, "--requests per trial");
            let tokens: u64 = reqs.iter().map(|(_, o)| o.len() as u64).sum();
            assert_eq!(tokens, 64, "8 tokens each (EOS suppressed)");
            gen += tokens;
            wall_s += tokens as f64 / t["throughput_tps"].as_f64().unwrap();
            most = most.max(in_flight(&reqs));
            for (_, o) in &reqs {
                let ttft_ms = o[0] as f64 / 1e6;
                let itl_ms = (o[o.len() - 1] - o[0]) as f64 / 1e6 / (o.len() - 1) as f64;
                met += u64::from(ttft_ms <= SLO_TTFT_MS && itl_ms <= SLO_ITL_MS);
            }
        }
        // Never more in flight than the level; a level above 1 really overlaps.
        assert_eq!(load["max_in_flight"], most);
        assert!(
            most <= level && (level == 1 || most >= 2),
            "{most} at {level}"
        );
        assert_eq!(load["completed_requests"], 16);
        let close = |key: &str, want: f64| {
            let got = load[key].as_f64().unwrap();
            assert!(
                (got - want).abs() <= 1e-6 * want.max(1.0),
                "{key}: {got} vs {want}"
            );
        };
        close("wall_s", wall_s);
        close("output_tps", gen as f64 / wall_s);
        close("request_rate_rps", 16.0 / wall_s);
        assert_eq!(load["slo_met_requests"], met, "level {level}");
        assert_eq!(load["slo"]["ttft_ms"], SLO_TTFT_MS);
        if met > 0 {
            close("goodput_rps", met as f64 / wall_s);
            close("goodput_tps", 8.0 * met as f64 / wall_s);
        }
        // Percentiles only where the sample count allows: 16 TTFTs (no p95), 112 gaps (p99).
        let s = &cell["summary"];
        assert_eq!(s["ttft_ms"]["n"], 16);
        assert!(s["ttft_ms"]["p50"].is_number() && s["ttft_ms"].get("p95").is_none());
        assert_eq!(s["itl_ms"]["n"], 112);
        assert!(s["itl_ms"]["p95"].is_number() && s["itl_ms"]["p99"].is_number());
        assert!(s["e2e_ms"]["p50"].is_number());
        // Distinct prompts: the server never found a request's prompt already cached beyond
        // the chat template's shared opening.
        let prompt = cell["prompt_tokens"].as_u64().unwrap();
        let notes = v["warnings"].to_string();
        if let Some(i) = notes.find("reported up to ") {
            let cached: u64 = notes[i + 15..].split(' ').next().unwrap().parse().unwrap();
            assert!(cached * 2 < prompt, "{cached} of {prompt} cached: {notes}");
        }
    }

    // The stored run gives back the same levels, and every document shows them.
    let id = v["run_id"].as_i64().unwrap().to_string();
    let again = ok_json(&env.cmd().args(["export", &id]).output().unwrap());
    assert_eq!(again["cells"][1]["load"], cells[1]["load"]);
    // The history (what the app lists) carries the levels.
    let history = ok_json(
        &env.cmd()
            .args(["history", "--format", "json"])
            .output()
            .unwrap(),
    );
    let levels = history[0]["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 2);
    assert_eq!(levels[1]["concurrency"], 4);
    assert_eq!(levels[1]["output_tps"], cells[1]["load"]["output_tps"]);
    assert_eq!(
        levels[1]["ttft_p50_ms"],
        cells[1]["summary"]["ttft_ms"]["p50"]
    );
    let md = env
        .cmd()
        .args(["export", &id, "--format", "md"])
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(
        md.contains("Concurrency sweep") && md.contains("SLO met · goodput"),
        "{md}"
    );
    assert!(
        md.contains("goodput: requests meeting the SLO (TTFT ≤ 60 ms"),
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
    assert!(report.contains("### Concurrency sweep"), "{report}");
    assert!(report.contains("Throughput against latency"), "{report}");
    let svg = std::fs::read_to_string(dir.join("chart-concurrency.svg")).unwrap();
    assert!(svg.contains("output tok/s"));
    drop(server);
}

fn refused(env: &Env, args: &[&str], needles: &[&str]) {
    let out = env
        .cmd()
        .args(["run", "--engine", "test-double", "--no-power", "-r", "2"])
        .args(args)
        .output()
        .unwrap();
    assert_one_line_error(&out, needles);
    assert!(out.stdout.is_empty(), "nothing measured, nothing printed");
}

#[test]
fn nonsense_sweeps_are_one_error_line_before_anything_runs() {
    let env = Env::new();
    refused(
        &env,
        &["--slo-ttft-ms", "500"],
        &["SLO", "needs concurrency levels"],
    );
    refused(&env, &["--slo-itl-ms", "20"], &["needs concurrency levels"]);
    refused(
        &env,
        &["--requests", "8"],
        &["--requests needs concurrency levels"],
    );
    refused(
        &env,
        &["--concurrency", "0"],
        &["level 0 is out of range (1..=256)"],
    );
    refused(&env, &["--concurrency", "1,512"], &["out of range"]);
    refused(
        &env,
        &["--concurrency", "-1"],
        &["--concurrency", "1 to 256"],
    );
    refused(&env, &["--concurrency", "1,,2"], &["--concurrency"]);
    refused(&env, &["--concurrency", ""], &["--concurrency"]);
    refused(&env, &["--concurrency", "two"], &["1 to 256"]);
    refused(
        &env,
        &["--concurrency", "1,4,4"],
        &["level 4 is listed twice"],
    );
    refused(&env, &["--concurrency", "1,2", "-b", "1"], &["not both"]);
    for (flag, value) in [
        ("--slo-ttft-ms", "0"),
        ("--slo-itl-ms", "-5"),
        ("--slo-ttft-ms", "nan"),
    ] {
        refused(&env, &["--concurrency", "1,2", flag, value], &[flag]);
    }
    refused(
        &env,
        &["--concurrency", "1,8", "--requests", "4"],
        &["at least the highest concurrency level (8)"],
    );
    // A level on an engine that cannot keep requests in flight.
    refused(
        &env,
        &["--concurrency", "1,2"],
        &["measures a server", "test-double"],
    );
    assert_eq!(env.run_count(), 0, "no run stored");
}

#[test]
fn run_help_names_the_sweep_flags() {
    let env = Env::new();
    let out = env.cmd().args(["run", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--concurrency",
        "--requests",
        "--slo-ttft-ms",
        "--slo-itl-ms",
    ] {
        assert!(help.contains(flag), "{flag} missing:\n{help}");
    }
}
