//! The run path end to end (issue #26): a signal ends a run within a second, keeping its
//! completed cells as a cancelled run with 128 + the signal as exit code; a run whose results
//! the database refuses (locked by another writer, or read-only) is kept in a run file that
//! `benchbar import` stores; one database
//! named through a symlink is still one run lock. The engine is the test double (hidden
//! `--engine test-double`), whose trials take `trial_ms` with tokens throughout.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{benchbar, start_run};
use std::time::{Duration, Instant};

fn history(db: &Path) -> serde_json::Value {
    let out = benchbar(db)
        .args(["history", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn sigint_and_sigterm_end_the_run_within_a_second_keeping_completed_cells() {
    for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("history.db");
        let child = start_run(&db, 600);
        // The first cell (3 trials of 600 ms) is done; the second is in progress.
        std::thread::sleep(Duration::from_millis(2400));
        let sent = Instant::now();
        let kill = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let out = child.wait_with_output().unwrap();
        let took = sent.elapsed();
        assert!(
            took < Duration::from_secs(1),
            "{signal}: exited after {took:?}"
        );
        assert_eq!(out.status.code(), Some(code), "{signal}: {}", stderr(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["status"], "cancelled", "{signal}");
        assert_eq!(v["cells"].as_array().unwrap().len(), 1, "{signal}");
        let h = history(&db);
        assert_eq!(h[0]["status"], "cancelled", "{signal}");
        assert_eq!(h[0]["run_id"], v["run_id"], "{signal}");
    }
}

#[test]
fn a_run_the_locked_database_refuses_is_kept_in_a_run_file_and_imported_later() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    assert!(history(&db).as_array().unwrap().is_empty());
    let child = start_run(&db, 100);
    // Another writer holds the database from just after the run opened it until it ended
    // (longer than the store's busy timeout).
    std::thread::sleep(Duration::from_millis(300));
    let writer = rusqlite::Connection::open(&db).unwrap();
    writer.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let out = child.wait_with_output().unwrap();
    writer.execute_batch("ROLLBACK").unwrap();
    drop(writer);

    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    // The run's report is still printed, without a store id.
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "completed");
    assert!(v["run_id"].is_null());
    assert_eq!(v["cells"].as_array().unwrap().len(), 3);
    let (line, file) = recovery_file(&err);
    assert!(line.contains("locked"), "{line}");
    assert!(file.starts_with(dir.path()), "{}", file.display());
    assert!(history(&db).as_array().unwrap().is_empty());

    let imported = benchbar(&db).args(["import"]).arg(&file).output().unwrap();
    assert!(imported.status.success(), "{}", stderr(&imported));
    let h = history(&db);
    assert_eq!(h.as_array().unwrap().len(), 1);
    assert_eq!(h[0]["status"], "completed");
    let run_id = h[0]["run_id"].as_i64().unwrap();
    assert!(String::from_utf8_lossy(&imported.stdout).contains(&format!("as run {run_id}")));
    // The stored run is the measured one: same cells and trials.
    let export = benchbar(&db)
        .args(["export", &run_id.to_string(), "--format", "json"])
        .output()
        .unwrap();
    let stored: serde_json::Value = serde_json::from_slice(&export.stdout).unwrap();
    assert_eq!(stored["cells"], v["cells"]);

    // Anything else is refused with one line.
    let not_a_run = dir.path().join("other.json");
    std::fs::write(&not_a_run, br#"{"run_id": 1}"#).unwrap();
    let out = benchbar(&db)
        .args(["import"])
        .arg(&not_a_run)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a BenchBar result bundle"),
        "{}",
        stderr(&out)
    );
    assert_eq!(history(&db).as_array().unwrap().len(), 1);
}

/// The recovery line of a run the database refused: its message and the run file it names.
fn recovery_file(err: &str) -> (String, PathBuf) {
    let line = err
        .lines()
        .find(|l| l.starts_with("error: the run could not be stored"))
        .unwrap_or_else(|| panic!("no recovery line in: {err}"));
    let file = line
        .split(" it is kept in ")
        .nth(1)
        .and_then(|rest| rest.split(" (store it later").next())
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("no file in: {line}"));
    (line.to_string(), file)
}

#[test]
fn a_run_the_read_only_database_refuses_is_kept_in_a_run_file_and_imported_later() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    assert!(history(&db).as_array().unwrap().is_empty());
    let read_only = benchbar_store::testkit::ReadOnlyFile::new(&db)
        .expect("a read-only file (chattr +i as root)");
    let out = start_run(&db, 20).wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "completed");
    assert_eq!(v["cells"].as_array().unwrap().len(), 3);
    let (line, file) = recovery_file(&err);
    assert!(line.contains("readonly"), "{line}");
    // Listing still works on the read-only database; the run is not in it yet.
    assert!(history(&db).as_array().unwrap().is_empty());

    drop(read_only);
    let imported = benchbar(&db).args(["import"]).arg(&file).output().unwrap();
    assert!(imported.status.success(), "{}", stderr(&imported));
    let h = history(&db);
    assert_eq!(h.as_array().unwrap().len(), 1);
    assert_eq!(h[0]["status"], "completed");
}

#[cfg(unix)]
#[test]
fn one_database_through_a_symlink_is_one_run_lock() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("b.db");
    assert!(history(&real).as_array().unwrap().is_empty());
    let link = dir.path().join("a.db");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let first = start_run(&real, 300);
    std::thread::sleep(Duration::from_millis(500));
    let second = benchbar(&link)
        .args(["run", "--engine", "test-double", "--no-power"])
        .output()
        .unwrap();
    let first = first.wait_with_output().unwrap();
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(second.status.code(), Some(2), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("a benchmark is already running"),
        "{}",
        stderr(&second)
    );
    assert_eq!(history(&real).as_array().unwrap().len(), 1);
}

#[test]
fn a_failing_output_file_says_which_run_was_saved() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let out = benchbar(&db)
        .args(["run", "--engine", "test-double", "--no-power", "-o"])
        .arg(dir.path().join("missing/folder/out.txt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{err}"
    );
    let h = history(&db);
    let id = h[0]["run_id"].as_i64().unwrap();
    assert!(
        err.contains(&format!("the run was saved as run {id}")),
        "{err}"
    );
}
