//! `benchbar monitor` and `benchbar report` end to end with the test double engine: samples
//! stored with origin `monitor`, a drop announced once, Ctrl-C stopping cleanly, report files
//! written, and bad input refused with one error line and exit 2.

use std::path::Path;
use std::time::{Duration, Instant};

use common::{assert_one_line_error, Env};

mod common;

impl Env {
    fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn history(&self) -> Vec<serde_json::Value> {
        let v: serde_json::Value =
            serde_json::from_str(&self.ok(&["history", "--format", "json"])).unwrap();
        v.as_array().unwrap().clone()
    }

    fn monitor_once(&self, decode_tps: u32) -> String {
        let engine = format!("test-double:decode_tps={decode_tps},jitter=0.01");
        self.ok(&[
            "monitor",
            "--every",
            "1m",
            "--count",
            "1",
            "--engine",
            &engine,
            "--no-power",
        ])
    }
}

#[test]
fn a_sample_is_stored_as_monitor_and_a_drop_is_announced_once() {
    let env = Env::new();
    env.monitor_once(100);
    let runs = env.history();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["origin"], "monitor");
    assert_eq!(runs[0]["suite"], "quick");
    let baseline = runs[0]["run_id"].as_i64().unwrap().to_string();
    env.ok(&["baseline", "set", &baseline]);

    let first = env.monitor_once(70);
    assert!(first.contains("Regression (critical)"), "{first}");
    assert!(first.contains("decode tok/s"), "{first}");
    let second = env.monitor_once(70);
    assert!(
        !second.contains(" 0 regression(s)"),
        "the drop is still measured: {second}"
    );
    assert!(
        !second.contains("Regression ("),
        "announced twice: {second}"
    );
}

#[test]
fn ctrl_c_stops_monitoring_cleanly() {
    let env = Env::new();
    // Create the database first, so that the polling below never races its creation.
    assert!(env.history().is_empty());
    let bin = assert_cmd::cargo::cargo_bin("benchbar");
    let mut child = std::process::Command::new(bin)
        .env("BENCHBAR_DB", &env.db)
        .args([
            "monitor",
            "--every",
            "1m",
            "--engine",
            "test-double",
            "--no-power",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first sample (taken at once) to be stored.
    let start = Instant::now();
    while env.history().is_empty() {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "monitor exited ({status}): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no sample stored"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) with a pid this test spawned and still owns (not yet waited for) and a
    // valid signal number; it touches no memory.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let stopped_at = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        stopped_at.elapsed() < Duration::from_secs(5),
        "took {:?} to stop",
        stopped_at.elapsed()
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("monitoring stopped after 1 sample(s)"),
        "{err}"
    );
    assert_eq!(env.history().len(), 1);
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn report_writes_markdown_html_and_charts_for_a_run_and_a_window() {
    let env = Env::new();
    env.monitor_once(100);
    env.monitor_once(95);
    let out = env.dir.path().join("one");
    env.ok(&["report", "1", "--out", out.to_str().unwrap()]);
    let names = files(&out);
    for want in [
        "report.md",
        "report.html",
        "chart-decode-trend.png",
        "chart-decode-trend.svg",
    ] {
        assert!(names.contains(&want.to_string()), "{want} not in {names:?}");
    }
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("## Hardware") && md.contains("### Single inference performance"),
        "{md}"
    );

    let window = env.dir.path().join("window");
    let printed = env.ok(&[
        "report",
        "--since",
        "24h",
        "--out",
        window.to_str().unwrap(),
    ]);
    assert!(printed.contains("report.html"), "{printed}");
    let md = std::fs::read_to_string(window.join("report.md")).unwrap();
    assert!(md.contains("Runs in this window"), "{md}");
    assert!(md.contains("(2 runs)"), "{md}");
}

#[test]
fn bad_input_is_one_error_line_and_exit_2() {
    let env = Env::new();
    let monitor = |every: &str| {
        env.cmd()
            .args([
                "monitor",
                "--every",
                every,
                "--count",
                "1",
                "--engine",
                "test-double",
            ])
            .output()
            .unwrap()
    };
    assert_one_line_error(&monitor("30s"), &["below the minimum of one minute"]);
    assert_one_line_error(&monitor("soon"), &["expected a duration"]);
    assert_one_line_error(&monitor("0m"), &["below the minimum of one minute"]);
    let out_dir = env.dir.path().join("out");
    let report = |args: &[&str]| env.cmd().arg("report").args(args).output().unwrap();
    assert_one_line_error(
        &report(&["42", "--out", out_dir.to_str().unwrap()]),
        &["42"],
    );
    assert_one_line_error(
        &report(&["--since", "24h", "--out", out_dir.to_str().unwrap()]),
        &["no stored run in the last 1d"],
    );
    assert_one_line_error(
        &report(&["--since", "yesterday", "--out", "x"]),
        &["expected a duration"],
    );
    env.monitor_once(100);
    // A folder below a regular file cannot be created, even as root.
    let file = env.dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let blocked = file.join("reports");
    assert_one_line_error(
        &report(&["1", "--out", blocked.to_str().unwrap()]),
        &["cannot write"],
    );
    assert_one_line_error(
        &report(&[
            "1",
            "--out",
            out_dir.to_str().unwrap(),
            "--bandwidth-gbps",
            "fast",
        ]),
        &["not a positive number of GB/s"],
    );
    assert!(!out_dir.exists(), "nothing is written on bad input");
}

#[test]
fn a_run_is_refused_while_another_process_benchmarks_on_the_same_database() {
    use benchbar_core::report::RunOrigin;
    use benchbar_service::run::{lock_path_for, RunLock};
    let env = Env::new();
    // This test process stands for the menu-bar app holding the machine-wide run lock.
    let app = RunLock::across_processes(lock_path_for(&env.db));
    let held = app.try_acquire(RunOrigin::App).unwrap();
    let args = [
        "run",
        "--model",
        "builtin:tiny",
        "--engine",
        "test-double",
        "--no-power",
    ];
    let out = env.cmd().args(args).output().unwrap();
    assert_one_line_error(&out, &["a benchmark is already running (app)"]);
    let out = env
        .cmd()
        .args([
            "scenario",
            "classification",
            "--engine",
            "test-double",
            "--limit",
            "2",
        ])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["a benchmark is already running (app)"]);
    assert!(env.history().is_empty(), "nothing measured, nothing stored");
    drop(held);
    env.ok(&args);
    assert_eq!(env.history().len(), 1);
    // While the CLI runs, the app's lock says so (released when the process ended).
    assert!(app.try_acquire(RunOrigin::App).is_ok());
}
