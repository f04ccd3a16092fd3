//! Store: migrations, round trip, baselines, bad files, and a writer killed mid-transaction.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use benchbar_core::report::CellRaw;
use benchbar_core::testkit::{synthetic_cell, synthetic_meta};
use benchbar_store::{Error, Store, SCHEMA_VERSION};

fn cells() -> Vec<CellRaw> {
    vec![
        synthetic_cell(&[100.0, 101.0, 99.0], &[50.0, 51.0, 49.0], 1 << 20),
        synthetic_cell(&[90.0, 91.0], &[60.0, 61.0], 2 << 20),
    ]
}

fn user_version(path: &Path) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn fresh_database_is_migrated_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    Store::open(&path).unwrap();
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    // Reopening applies nothing twice.
    let store = Store::open(&path).unwrap();
    assert!(store.list_runs(None, 10).unwrap().is_empty());
    let mode: String = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn run_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("h.db")).unwrap();
    let meta = synthetic_meta(None, "mlx-community/Qwen3-1.7B-4bit", "mlx 0.32.4");
    let id = store.save_run(&meta, &cells(), &[]).unwrap();
    let loaded = store.load_run(id).unwrap();
    let mut expected = meta.clone();
    expected.run_id = Some(id);
    assert_eq!(loaded.meta, expected);
    assert_eq!(loaded.cells, cells());
    let rows = store.list_runs(None, 10).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].run_id, id);
    assert_eq!(store.list_runs(Some("other"), 10).unwrap().len(), 0);
    assert_eq!(
        store
            .list_runs(Some("mlx-community/Qwen3-1.7B-4bit"), 10)
            .unwrap()
            .len(),
        1
    );
    assert!(matches!(store.load_run(id + 1), Err(Error::UnknownRun(n)) if n == id + 1));
}

#[test]
fn baselines_are_per_configuration_and_replaceable() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("h.db")).unwrap();
    let a = store
        .save_run(&synthetic_meta(None, "m", "v1"), &cells(), &[])
        .unwrap();
    let b = store
        .save_run(&synthetic_meta(None, "m", "v1"), &cells(), &[])
        .unwrap();
    let c = store
        .save_run(&synthetic_meta(None, "m", "v2"), &cells(), &[])
        .unwrap();
    let key_ab = store.set_baseline(a).unwrap();
    assert_eq!(store.baseline_for_key(&key_ab).unwrap(), Some(a));
    assert_eq!(store.set_baseline(b).unwrap(), key_ab);
    assert_eq!(store.baseline_for_key(&key_ab).unwrap(), Some(b));
    let key_c = store.set_baseline(c).unwrap();
    assert_ne!(key_c, key_ab, "engine version is part of the key");
    assert_eq!(store.baselines().unwrap().len(), 2);
    assert!(matches!(
        store.set_baseline(999),
        Err(Error::UnknownRun(999))
    ));
}

#[test]
fn notifications_are_recorded_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("h.db")).unwrap();
    let id = store
        .save_run(&synthetic_meta(None, "m", "v"), &cells(), &[])
        .unwrap();
    assert!(store.record_notification("fp-1", id).unwrap());
    assert!(!store.record_notification("fp-1", id).unwrap());
}

#[test]
fn newer_schema_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 99;")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).err().expect("refused");
    assert!(matches!(err, Error::NewerSchema { found: 99, .. }), "{err}");
    assert!(err.to_string().contains("upgrade BenchBar"));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn corrupt_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let garbage = b"this is not a sqlite database, just some bytes ".repeat(200);
    std::fs::write(&path, &garbage).unwrap();
    let err = Store::open(&path).err().expect("refused");
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
}

const CHILD_ENV: &str = "BENCHBAR_STORE_CHILD_DB";

/// Run by `killed_writer_leaves_database_intact` in a child process: starts saving a run and
/// stops inside the transaction, waiting to be killed.
#[test]
#[ignore = "child process of killed_writer_leaves_database_intact"]
fn child_writer() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let mut store = Store::open(Path::new(&path)).unwrap();
    let meta = synthetic_meta(None, "m", "child");
    store
        .save_run_observed(&meta, &cells(), &[], &mut |i| {
            if i == 0 {
                println!("IN_TRANSACTION");
                std::thread::sleep(std::time::Duration::from_secs(120));
            }
        })
        .unwrap();
    unreachable!("the parent kills this process inside the transaction");
}

#[test]
fn killed_writer_leaves_database_intact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let earlier = {
        let mut store = Store::open(&path).unwrap();
        store
            .save_run(&synthetic_meta(None, "m", "earlier"), &cells(), &[])
            .unwrap()
    };
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_writer",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "child ended before its transaction"
        );
        if line.contains("IN_TRANSACTION") {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no rollback by the child
    child.wait().unwrap();

    let store = Store::open(&path).unwrap();
    let rows = store.list_runs(None, 10).unwrap();
    assert_eq!(rows.len(), 1, "the killed run must not appear");
    assert_eq!(rows[0].run_id, earlier);
    assert_eq!(store.load_run(earlier).unwrap().cells, cells());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let orphan_cells: i64 = conn
        .query_row(
            "SELECT count(*) FROM cells WHERE run_id <> ?1",
            [earlier],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphan_cells, 0);
}

#[test]
fn power_round_trips_and_schema_one_databases_upgrade() {
    use benchbar_core::report::{CellPower, PowerPoint, RunPower};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    // A schema-1 database with a run in it, as the first release wrote it.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(include_str!("../migrations/001_init.sql"))
            .unwrap();
        conn.execute_batch(
            "PRAGMA user_version = 1;
             INSERT INTO runs (started_at, status, suite, model_id, engine_name, engine_version, machine_json, run_key)
             VALUES ('2026-01-01T00:00:00+00:00', 'completed', 'quick', 'm', 'mlx', 'v',
                     '{\"os\":\"x\",\"arch\":\"y\",\"cpu\":\"z\",\"memory_bytes\":1,\"chip\":null}', 'k');",
        )
        .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    assert_eq!(
        store.load_run(1).unwrap().meta.power,
        None,
        "old run still loads"
    );
    let mut meta = synthetic_meta(None, "m", "v");
    meta.power = Some(RunPower {
        power_source: "rapl".into(),
        idle_w: Some(3.5),
        timeline: vec![PowerPoint {
            t_ms: 250.0,
            total_w: 12.5,
        }],
        ..Default::default()
    });
    let mut c = cells();
    c[0].power = Some(CellPower {
        energy_j: Some(10.0),
        avg_power_w: Some(12.5),
        power_source: "rapl".into(),
        ..Default::default()
    });
    let id = store.save_run(&meta, &c, &[]).unwrap();
    let loaded = store.load_run(id).unwrap();
    assert_eq!(loaded.meta.power, meta.power);
    assert_eq!(loaded.cells, c);
}

#[test]
fn schema_four_databases_upgrade_keeping_origins_and_take_imports() {
    use benchbar_core::report::RunOrigin;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    // A schema-4 database with runs of each origin it knew.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        for sql in [
            include_str!("../migrations/001_init.sql"),
            include_str!("../migrations/002_power.sql"),
            include_str!("../migrations/003_origin.sql"),
            include_str!("../migrations/004_scenarios.sql"),
        ] {
            conn.execute_batch(sql).unwrap();
        }
        for origin in ["cli", "app", "monitor"] {
            conn.execute(
                "INSERT INTO runs (started_at, status, suite, model_id, engine_name, engine_version, \
                 machine_json, run_key, origin) VALUES ('2026-01-01T00:00:00+00:00', 'completed', \
                 'quick', 'm', 'mlx', 'v', '{\"os\":\"x\",\"arch\":\"y\",\"cpu\":\"z\",\"memory_bytes\":1,\"chip\":null}', 'k', ?1)",
                [origin],
            )
            .unwrap();
        }
        conn.execute_batch("PRAGMA user_version = 4;").unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    let origins: Vec<RunOrigin> = (1..=3)
        .map(|id| store.load_run(id).unwrap().meta.origin)
        .collect();
    assert_eq!(
        origins,
        [RunOrigin::Cli, RunOrigin::App, RunOrigin::Monitor]
    );
    let mut meta = synthetic_meta(None, "m", "v");
    meta.origin = RunOrigin::Import;
    let id = store.save_run(&meta, &cells(), &[]).unwrap();
    assert_eq!(store.load_run(id).unwrap().meta.origin, RunOrigin::Import);
}

#[test]
fn concurrency_levels_round_trip_beside_cells_without_them() {
    use benchbar_core::load::{LoadPlan, Slo};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = Store::open(&path).unwrap();
    let mut c = cells();
    c[1].plan.batch_size = 4;
    c[1].plan.load = Some(LoadPlan {
        concurrency: 4,
        requests: 16,
        slo: Some(Slo {
            ttft_ms: Some(250.0),
            itl_ms: Some(25.5),
        }),
    });
    for (i, t) in c[1].trials.iter_mut().enumerate() {
        for r in &mut t.requests {
            r.start_offset_ns = 1_000_000 * (i as u64 + 1);
        }
    }
    let meta = synthetic_meta(None, "served@127.0.0.1:8080", "openai-compatible");
    let id = store.save_run(&meta, &c, &[]).unwrap();
    let loaded = store.load_run(id).unwrap();
    assert_eq!(
        loaded.cells, c,
        "the level, its SLO and send offsets survive"
    );
    // A cell without a level is stored as before the sweep existed (no `load` key), so older
    // databases' cells and these read alike.
    let plans: Vec<String> = rusqlite::Connection::open(&path)
        .unwrap()
        .prepare("SELECT plan_json FROM cells ORDER BY position")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!plans[0].contains("\"load\"") && plans[1].contains("\"load\""));
}
