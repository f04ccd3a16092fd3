//! Store robustness: a `--db` whose folder does not exist, a locked database (bounded wait),
//! a read-only database (still readable), baselines only from runs with a successful trial,
//! and errors that do not repeat their cause.

use std::time::{Duration, Instant};

use benchbar_core::report::{CellRaw, RunStatus};
use benchbar_core::testkit::{synthetic_cell, synthetic_meta};
use benchbar_store::{Error, Store};

fn cells() -> Vec<CellRaw> {
    vec![synthetic_cell(&[100.0, 101.0], &[50.0, 51.0], 1 << 20)]
}

/// The cause chain as the CLI prints it (`a: b: c`).
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut src = e.source();
    while let Some(s) = src {
        parts.push(s.to_string());
        src = s.source();
    }
    parts.join(": ")
}

#[test]
fn a_db_in_a_missing_folder_is_refused_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no/such/history.db");
    let err = Store::open(&path).err().expect("refused");
    let msg = err.to_string();
    assert!(
        msg.contains(&path.display().to_string()) && msg.contains("does not exist"),
        "{msg}"
    );
    assert!(!dir.path().join("no").exists(), "no folder created");
}

#[test]
fn only_completed_runs_with_a_successful_trial_can_be_baselines() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("h.db")).unwrap();
    let mut failed_meta = synthetic_meta(None, "m", "v");
    failed_meta.status = RunStatus::Failed;
    let mut failed_cells = cells();
    for t in &mut failed_cells[0].trials {
        t.error = Some("POST http://127.0.0.1:9/v1/chat/completions: refused".into());
    }
    let failed = store.save_run(&failed_meta, &failed_cells, &[]).unwrap();
    // Completed status but every trial failed (a damaged or hand-written row).
    let hollow = store
        .save_run(&synthetic_meta(None, "m", "v"), &failed_cells, &[])
        .unwrap();
    let mut cancelled_meta = synthetic_meta(None, "m", "v");
    cancelled_meta.status = RunStatus::Cancelled;
    let cancelled = store.save_run(&cancelled_meta, &cells(), &[]).unwrap();
    for (id, why) in [
        (failed, "failed"),
        (hollow, "no successful trial"),
        (cancelled, "cancelled"),
    ] {
        let err = store.set_baseline(id).unwrap_err();
        assert!(
            matches!(err, Error::NotABaseline { run_id, .. } if run_id == id),
            "{err}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("run {id}")) && msg.contains(why),
            "{msg}"
        );
    }
    assert!(store.baselines().unwrap().is_empty(), "nothing was set");
    let good = store
        .save_run(&synthetic_meta(None, "m", "v"), &cells(), &[])
        .unwrap();
    store.set_baseline(good).unwrap();
}

/// Holds the write lock of `path` from another connection for `hold`, then commits a run.
fn hold_write_lock(path: &std::path::Path, hold: Duration) -> std::thread::JoinHandle<()> {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    std::thread::spawn(move || {
        conn.execute(
            "UPDATE runs SET suite = suite WHERE id = (SELECT min(id) FROM runs)",
            [],
        )
        .unwrap();
        std::thread::sleep(hold);
        conn.execute_batch("COMMIT").unwrap();
    })
}

#[test]
fn a_locked_database_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = Store::open(&path).unwrap();
    // A read before the other writer starts: the store's next write must still succeed.
    store
        .save_run(&synthetic_meta(None, "m", "v"), &cells(), &[])
        .unwrap();
    assert_eq!(store.list_runs(None, 10).unwrap().len(), 1);
    let writer = hold_write_lock(&path, Duration::from_millis(700));
    let started = Instant::now();
    store
        .save_run(&synthetic_meta(None, "m", "v"), &cells(), &[])
        .expect("waits for the other writer, then saves");
    assert!(started.elapsed() >= Duration::from_millis(500));
    writer.join().unwrap();
    assert_eq!(store.list_runs(None, 10).unwrap().len(), 2);
}

#[test]
fn a_database_locked_too_long_fails_after_the_busy_timeout_with_one_clear_cause() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = Store::open(&path).unwrap();
    store.set_busy_timeout(Duration::from_millis(300)).unwrap();
    let writer = hold_write_lock(&path, Duration::from_secs(3));
    let started = Instant::now();
    let err = store
        .save_run(&synthetic_meta(None, "m", "v"), &cells(), &[])
        .unwrap_err();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(2),
        "{waited:?}"
    );
    let msg = chain(&err);
    assert_eq!(msg.matches("locked").count(), 1, "{msg}");
    writer.join().unwrap();
}

#[test]
fn a_read_only_open_reads_and_refuses_writes_with_one_clear_cause() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let id = {
        let mut store = Store::open(&path).unwrap();
        store
            .save_run(&synthetic_meta(None, "m", "v"), &cells(), &[])
            .unwrap()
    };
    let mut store = Store::open_read_only(&path).unwrap();
    assert!(store.is_read_only());
    assert_eq!(store.list_runs(None, 10).unwrap().len(), 1);
    assert_eq!(store.load_run(id).unwrap().cells, cells());
    let err = store
        .save_run(&synthetic_meta(None, "m", "v"), &cells(), &[])
        .unwrap_err();
    let msg = chain(&err);
    assert_eq!(msg.matches("readonly database").count(), 1, "{msg}");
}

#[test]
fn a_fully_read_only_database_can_still_be_listed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let id = {
        let mut store = Store::open(&path).unwrap();
        store
            .save_run(&synthetic_meta(None, "m", "v"), &cells(), &[])
            .unwrap()
    };
    // Read-only even for root (CI containers run as root): the immutable attribute there.
    let Some(_read_only) = benchbar_store::testkit::ReadOnlyFile::new(&path) else {
        panic!("cannot make a file read-only here (no chattr?): the test would prove nothing");
    };
    let store = Store::open(&path).unwrap();
    assert!(store.is_read_only());
    assert_eq!(store.list_runs(None, 10).unwrap().len(), 1);
    assert_eq!(store.load_run(id).unwrap().cells.len(), 1);
}
