//! `benchbar bandwidth` and the report's roofline: the device's measured read bandwidth is the
//! denominator, the copy figure beside it; a report on this machine's runs measures once and
//! keeps it; bad sizes are one error line.

mod common;

use common::{assert_one_line_error, models_dir, Env};
use serde_json::Value;

fn ok(out: &std::process::Output) -> (String, String) {
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "{stderr}");
    (stdout, stderr)
}

/// A short in-process run of builtin:tiny; returns its id.
fn tiny_run(env: &Env) -> String {
    let out = env
        .cmd()
        .env("BENCHBAR_MODELS_DIR", models_dir())
        .args(["run", "--no-power", "--warmup", "1", "-r", "2", "-n", "8"])
        .args(["-p", "32", "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_str(&ok(&out).0).unwrap();
    v["run_id"].as_i64().unwrap().to_string()
}

fn report(env: &Env, id: &str, dir: &str) -> (String, String) {
    let out_dir = env.dir.path().join(dir);
    let out = env
        .cmd()
        .env("BENCHBAR_MODELS_DIR", models_dir())
        .args(["report", id, "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    let (_, stderr) = ok(&out);
    (
        std::fs::read_to_string(out_dir.join("report.md")).unwrap(),
        stderr,
    )
}

#[test]
fn a_measurement_is_kept_and_is_the_reports_roofline_denominator() {
    let env = Env::new();
    let out = env
        .cmd()
        .args(["bandwidth", "--json", "--array-mib", "32", "--reps", "2"])
        .output()
        .unwrap();
    let m: Value = serde_json::from_str(&ok(&out).0).unwrap();
    assert_eq!(m["array_bytes"], 32 << 20);
    assert_eq!(m["device"], "cpu");
    let read = m["read_gbps"].as_f64().unwrap();
    let copy = m["copy_gbps"].as_f64().unwrap();
    assert!(read > 0.0 && copy > 0.0, "{m}");
    assert_eq!(
        read,
        m["read_reduce_gbps"]
            .as_f64()
            .unwrap()
            .max(m["read_gemv_gbps"].as_f64().unwrap())
    );

    let id = tiny_run(&env);
    let (md, stderr) = report(&env, &id, "report");
    assert!(
        !stderr.contains("measuring"),
        "a stored one is used: {stderr}"
    );
    let line = md
        .lines()
        .find(|l| l.contains("Memory bandwidth: "))
        .unwrap_or_else(|| panic!("{md}"));
    // The report rounds to three significant figures.
    let after = |text: &str, key: &str| -> f64 {
        let i = text
            .find(key)
            .unwrap_or_else(|| panic!("{key:?} not in {text}"))
            + key.len();
        text[i..]
            .split(' ')
            .next()
            .unwrap()
            .replace([',', '%'], "")
            .parse()
            .unwrap()
    };
    let near = |a: f64, b: f64| (a / b - 1.0).abs() < 0.01;
    assert!(
        line.contains("GB/s (read bandwidth measured on cpu with MLX"),
        "{line}"
    );
    assert!(near(after(line, "Memory bandwidth: "), read), "{line}");
    assert!(near(after(line, "copy (read + write) "), copy), "{line}");
    let roofline = md.lines().find(|l| l.contains("Roofline: ")).unwrap();
    assert!(near(after(roofline, "÷ "), read), "{roofline}");
    assert!(roofline.contains("of the copy bandwidth"), "{roofline}");
    // The JSON report (`export`) and the history carry the same roofline, new fields only.
    let out = env
        .cmd()
        .env("BENCHBAR_MODELS_DIR", models_dir())
        .args(["export", &id, "--format", "json"])
        .output()
        .unwrap();
    let run: Value = serde_json::from_str(&ok(&out).0).unwrap();
    let r = &run["roofline"];
    assert_eq!(r["bandwidth_gbps"].as_f64(), Some(read), "{run}");
    assert_eq!(r["copy_gbps"].as_f64(), Some(copy), "{run}");
    let (pct, tps, bytes) = (
        r["pct"].as_f64().unwrap(),
        r["decode_tps"].as_f64().unwrap(),
        r["bytes_per_token"].as_f64().unwrap(),
    );
    assert!(
        (pct - tps * bytes / (read * 1e9) * 100.0).abs() < 1e-9,
        "{r}"
    );
    assert!(
        near(after(roofline, "Roofline: "), pct),
        "{roofline} vs {r}"
    );
    let out = env
        .cmd()
        .args(["export", &id, "--format", "md"])
        .output()
        .unwrap();
    assert!(
        ok(&out).0.contains("roofline: "),
        "the Markdown export says it too"
    );
    let out = env
        .cmd()
        .args(["history", "--format", "json"])
        .output()
        .unwrap();
    let lines: Value = serde_json::from_str(&ok(&out).0).unwrap();
    assert_eq!(lines[0]["roofline"], *r);
    // An override still wins, without the copy figure.
    let out_dir = env.dir.path().join("override");
    let out = env
        .cmd()
        .env("BENCHBAR_MODELS_DIR", models_dir())
        .args(["report", &id, "--bandwidth-gbps", "123", "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    ok(&out);
    let md = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    assert!(
        md.contains("Memory bandwidth: 123.0 GB/s (override)"),
        "{md}"
    );

    for (args, needle) in [
        (vec!["--array-mib", "0"], "--array-mib"),
        (
            vec!["--array-mib", "99999999"],
            "more than a quarter of this machine's memory",
        ),
        (vec!["--reps", "0"], "--reps"),
        (vec!["--reps", "-3"], "--reps"),
    ] {
        let out = env.cmd().arg("bandwidth").args(&args).output().unwrap();
        assert_one_line_error(&out, &[needle]);
    }
}

#[test]
fn a_report_on_this_machines_runs_measures_once() {
    let env = Env::new();
    let id = tiny_run(&env);
    let (md, first) = report(&env, &id, "first");
    assert!(
        first.contains("measuring this machine's memory bandwidth"),
        "{first}"
    );
    assert!(md.contains("read bandwidth measured on cpu"), "{md}");
    let (_, second) = report(&env, &id, "second");
    assert!(!second.contains("measuring"), "kept: {second}");
}
