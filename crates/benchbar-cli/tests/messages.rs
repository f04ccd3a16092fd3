//! Messages and exit codes of hostile-but-fair inputs (issue #26): output write errors, bad
//! numbers, an empty `BENCHBAR_DB`, `compare` usage, a `--db` in a missing folder, a baseline
//! from a failed run, and an OpenAI-compatible server that is not there. Each gives one clear
//! `error:` line and exit 2 (or, for help, the right text), and nothing is stored.

use std::net::TcpListener;
use std::process::{Command as StdCommand, Stdio};

use common::{assert_one_line_error, Env};

mod common;

/// The binary with stdout sent to /dev/full (every write fails with ENOSPC; Linux only).
#[cfg(target_os = "linux")]
fn to_dev_full(env: &Env, args: &[&str]) -> std::process::Output {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    StdCommand::new(assert_cmd::cargo::cargo_bin("benchbar"))
        .env("BENCHBAR_DB", &env.db)
        .args(args)
        .stdout(Stdio::from(full))
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn write_errors_on_stdout_are_reported() {
    let env = Env::new();
    let id = env.run("test-double", 2);
    for args in [
        vec!["history".to_string()],
        vec!["export".to_string(), id.to_string()],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = to_dev_full(&env, &args);
        assert_one_line_error(&out, &["cannot write to standard output", "space"]);
    }
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let env = Env::new();
    env.run("test-double", 2);
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("benchbar"))
        .env("BENCHBAR_DB", &env.db)
        .args(["history", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bad_numbers_are_one_line_each() {
    let env = Env::new();
    for (args, needle) in [
        (&["run", "-b", "-1"][..], "--batch"),
        (&["run", "--warmup", "-1"][..], "--warmup"),
        (&["run", "-r", "-3"][..], "1 to 1000) or auto"),
        (&["run", "-p", "-5"][..], "--prompt-tokens"),
        (&["run", "--timeout-s", "-1"][..], "greater than 0"),
        (
            &["generate", "--prompt", "hi", "--temp", "-1"][..],
            "--temp",
        ),
        (
            &["generate", "--prompt", "hi", "--top-p", "2"][..],
            "at most 1",
        ),
        (
            &["generate", "--prompt", "hi", "--top-p", "0"][..],
            "--top-p",
        ),
    ] {
        let out = env.cmd().args(args).output().unwrap();
        assert_one_line_error(&out, &[needle]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("Sampling {"), "no Debug struct: {err}");
    }
    assert!(!env.db.exists(), "nothing was opened or stored");
}

#[test]
fn an_empty_benchbar_db_means_the_default_database() {
    let env = Env::new();
    let out = env
        .cmd()
        .env("BENCHBAR_DB", "")
        .args(["history", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(env.dir.path().join("data/benchbar/history.db").is_file());
    let out = env.cmd().args(["history", "--db", ""]).output().unwrap();
    assert_one_line_error(&out, &["--db", "must not be empty"]);
}

#[test]
fn compare_usage_names_both_forms() {
    let env = Env::new();
    let out = env.cmd().args(["compare", "1"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("<OTHER|--baseline>"), "{err}");
    let help = env.cmd().args(["compare", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("<RUN_ID> <OTHER>"), "{help}");
    assert!(help.contains("<RUN_ID> --baseline"), "{help}");
    assert!(help.contains("--baseline"), "{help}");
}

#[test]
fn a_db_in_a_missing_folder_is_an_error() {
    let env = Env::new();
    let db = env.dir.path().join("missing/history.db");
    let out = env
        .cmd()
        .args(["history", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert_one_line_error(&out, &["missing", "does not exist"]);
    assert!(!db.parent().unwrap().exists());
}

#[test]
fn an_all_failed_run_cannot_be_a_baseline() {
    let env = Env::new();
    let out = env
        .cmd()
        .args([
            "run",
            "--engine",
            "test-double:fail_every=1",
            "--format",
            "json",
            "-r",
            "2",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = v["run_id"].as_i64().unwrap();
    let out = env
        .cmd()
        .args(["baseline", "set", &id.to_string()])
        .output()
        .unwrap();
    assert_one_line_error(&out, &[&format!("run {id} cannot be a baseline"), "failed"]);
    let out = env
        .cmd()
        .args(["baseline", "show", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().map(Vec::len), Some(0), "{v}");
}

#[test]
fn a_server_that_is_not_there_stops_at_once_and_stores_nothing() {
    // Bind then drop: a port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/v1");
    let env = Env::new();
    let started = std::time::Instant::now();
    let out = env
        .cmd()
        .args(["run", "--engine", "openai", "--url", &url])
        .output()
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_one_line_error(&out, &[&url, "refused"]);
    assert_eq!(env.run_count(), 0, "no run stored");
}

#[test]
fn errors_do_not_repeat_their_cause() {
    // A model folder whose config.json is not UTF-8: the I/O error is named once.
    let env = Env::new();
    let model = env.dir.path().join("model");
    std::fs::create_dir(&model).unwrap();
    std::fs::write(model.join("config.json"), b"{\"model_type\": \"\xff\xfe\"}").unwrap();
    let out = env
        .cmd()
        .args(["generate", "--prompt", "hi", "--model"])
        .arg(&model)
        .output()
        .unwrap();
    assert_one_line_error(&out, &["config.json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("valid UTF-8").count(), 1, "{err}");
}

#[test]
fn a_folder_without_config_is_named_by_its_absolute_path() {
    let env = Env::new();
    std::fs::create_dir(env.dir.path().join("not-a-model")).unwrap();
    let out = env
        .cmd()
        .current_dir(env.dir.path())
        .args(["run", "--model", "not-a-model", "--no-power"])
        .output()
        .unwrap();
    let want = env
        .dir
        .path()
        .canonicalize()
        .unwrap()
        .join("not-a-model")
        .join("config.json");
    assert_one_line_error(&out, &[&want.display().to_string(), "missing"]);
    assert_eq!(env.run_count(), 0);
}

#[test]
fn serve_refuses_a_port_in_use_and_a_missing_token_with_one_line() {
    let env = Env::new();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = env
        .cmd()
        .args(["serve", "--listen", &addr])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["cannot listen on", &addr]);
    let out = env
        .cmd()
        .env_remove("BENCHBAR_TEST_NO_SUCH_TOKEN")
        .args(["serve", "--token-env", "BENCHBAR_TEST_NO_SUCH_TOKEN"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["BENCHBAR_TEST_NO_SUCH_TOKEN", "not set"]);
}

#[test]
fn an_unreachable_pushgateway_is_one_warning_and_the_run_is_stored() {
    let env = Env::new();
    // A port nothing listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = env
        .cmd()
        .args(["run", "--engine", "test-double", "-r", "2", "--no-power"])
        .args(["--push", &format!("http://127.0.0.1:{port}")])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let warnings: Vec<&str> = err.lines().filter(|l| l.starts_with("warning:")).collect();
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(
        warnings[0].contains(&format!("push to http://127.0.0.1:{port}")),
        "{err}"
    );
    assert_eq!(env.run_count(), 1);
}
