//! The app's commands through Tauri's mock runtime (no display): settings, runs with the test
//! double engine (named as such: synthetic timings), history, compare, baseline, export,
//! targets, one-run-at-a-time, and the regression → notification decision. The database is a
//! real SQLite file, shared with the CLI's store code.

use std::sync::mpsc;
use std::time::Duration;

use benchbar_app::events::RunEvent;
use benchbar_app::state::AppState;
use benchbar_core::report::RunOrigin;
use benchbar_store::Store;
use serde_json::{json, Value};
use tauri::Manager;

mod common;

use common::{collect, finished, Env, RecordingNotifier};

#[test]
fn settings_round_trip_and_bad_settings_are_refused() {
    let env = Env::new();
    let s = env.invoke("get_settings", json!({})).unwrap();
    assert_eq!(s["default_model"], "builtin:tiny");
    assert_eq!(s["engine"]["kind"], "mlx");
    let new = json!({"default_model": "mlx-community/Qwen3-1.7B-4bit",
        "engine": {"kind": "openai", "url": "http://127.0.0.1:8080/v1"},
        "quick_suite": "standard", "reps": 3, "sample_power": false});
    env.invoke("save_settings", json!({"settings": new}))
        .unwrap();
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(&env.config.settings_path).unwrap()).unwrap();
    assert_eq!(stored["default_model"], "mlx-community/Qwen3-1.7B-4bit");
    assert_eq!(env.invoke("get_settings", json!({})).unwrap()["reps"], 3);
    // A new app reads the persisted settings.
    let again = AppState::new(env.config.clone(), Box::new(RecordingNotifier::default()));
    assert_eq!(again.settings().quick_suite, "standard");

    let before = std::fs::read(&env.config.settings_path).unwrap();
    let mut bad = new.clone();
    bad["quick_suite"] = json!("fastest");
    let e = env
        .invoke("save_settings", json!({"settings": bad}))
        .unwrap_err();
    assert!(e.contains("unknown suite 'fastest'"), "{e}");
    assert_eq!(std::fs::read(&env.config.settings_path).unwrap(), before);
}

#[test]
fn a_run_streams_in_order_is_stored_and_shows_in_history() {
    let env = Env::new();
    let events = env.run("test-double:decode_tps=90");
    let RunEvent::CellStarted { cell: 0, total, .. } = &events[0] else {
        panic!("first event: {:?}", events[0])
    };
    assert!(*total >= 1);
    // Cells start in order and each has its trials before the next starts.
    let starts: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            RunEvent::CellStarted { cell, .. } => Some(*cell),
            _ => None,
        })
        .collect();
    assert_eq!(starts, (0..*total).collect::<Vec<_>>());
    let decode: Vec<f64> = events
        .iter()
        .filter_map(|e| match e {
            RunEvent::TrialDone {
                warmup: false,
                decode_tps: Some(d),
                ..
            } => Some(*d),
            _ => None,
        })
        .collect();
    assert!(!decode.is_empty());
    assert!(
        decode.iter().all(|d| (d - 90.0).abs() < 90.0 * 0.05),
        "{decode:?}"
    );
    let (run_id, status, _) = finished(&events);
    assert_eq!(status, "completed");
    let run_id = run_id.unwrap();
    assert!(matches!(events.last(), Some(RunEvent::HistoryChanged)));

    // The same store as the CLI's: the run is there, marked as started by the app.
    let store = Store::open(&env.config.db_path).unwrap();
    let rows = store.list_runs(None, 10).unwrap();
    assert_eq!(rows[0].run_id, run_id);
    assert_eq!(rows[0].origin, RunOrigin::App);

    let lines = env.invoke("history", json!({"limit": 10})).unwrap();
    assert_eq!(lines[0]["run_id"], run_id);
    assert!((lines[0]["decode_tps"].as_f64().unwrap() - 90.0).abs() < 5.0);
    let none = env
        .invoke("history", json!({"limit": 10, "engine": "mlx"}))
        .unwrap();
    assert_eq!(none, json!([]));
    let by_suite = env
        .invoke(
            "history",
            json!({"limit": 10, "engine": "test-double", "suite": "quick"}),
        )
        .unwrap();
    assert_eq!(by_suite.as_array().unwrap().len(), 1);

    let report = env.invoke("get_run", json!({"runId": run_id})).unwrap();
    assert_eq!(report["run_id"], run_id);
    assert_eq!(report["suite"], "quick");
    for (fmt, needle) in [
        ("json", "\"run_id\""),
        ("csv", "run_id,"),
        ("md", "# BenchBar run"),
    ] {
        let text = env
            .invoke("export_run", json!({"runId": run_id, "format": fmt}))
            .unwrap();
        assert!(text.as_str().unwrap().contains(needle), "{fmt}: {text}");
    }
    let t = env.invoke("targets", json!({"runId": run_id})).unwrap();
    assert_eq!(t["run"]["run_id"], run_id);
    assert!(t["model"].as_array().unwrap().len() > 3);
    // builtin-style test models have no seed row: graded against a named row for reference.
    assert!(t["run"]["target_row"].is_null(), "{t}");
    let r = env
        .invoke(
            "targets",
            json!({"runId": run_id, "row": "Qwen3-1.7B-4bit"}),
        )
        .unwrap();
    assert_eq!(r["run"]["target_row"], "Qwen3-1.7B-4bit");
    let single = r["run"]["grades"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["metric"] == "single_batch_tps")
        .expect("single_batch_tps graded");
    assert!(single["measured"].as_f64().unwrap() > 0.0, "{r}");
    let bad = env
        .invoke("targets", json!({"runId": run_id, "row": "no-such-row"}))
        .unwrap_err();
    assert!(bad.contains("unknown target row 'no-such-row'"), "{bad}");
}

#[test]
fn regression_is_announced_once_and_compare_matches_the_cli() {
    let env = Env::new();
    let (base, _, _) = finished(&env.run("test-double:decode_tps=100"));
    let base = base.unwrap();
    env.invoke("set_baseline", json!({"runId": base})).unwrap();
    assert!(env.notes.0.lock().unwrap().is_empty());

    let (slow, status, regressions) = finished(&env.run("test-double:decode_tps=60"));
    let slow = slow.unwrap();
    assert_eq!(status, "completed");
    assert!(regressions >= 1);
    {
        let notes = env.notes.0.lock().unwrap();
        assert_eq!(notes.len(), 1, "{notes:?}");
        let n = &notes[0];
        assert_eq!(n.run_id, slow);
        assert_eq!(n.baseline_run_id, Some(base));
        assert!(n.title.contains("critical"), "{}", n.title);
        assert!(n.body.contains("decode tok/s -40."), "{}", n.body);
    }
    assert_eq!(
        *env.app.state::<AppState>().last_regression.lock().unwrap(),
        Some((base, slow))
    );
    // The same drop measured again is not announced again.
    let (again, _, regressions) = finished(&env.run("test-double:decode_tps=60"));
    assert!(again.is_some() && regressions >= 1);
    assert_eq!(env.notes.0.lock().unwrap().len(), 1);

    let cmp = env
        .invoke("compare", json!({"baseRunId": base, "runId": slow}))
        .unwrap();
    assert_eq!(cmp["baseline_run_id"], base);
    let decode = cmp["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "decode_tps")
        .unwrap();
    assert_eq!(decode["verdict"], "regression");
    assert!(
        (decode["delta_pct"].as_f64().unwrap() + 40.0).abs() < 3.0,
        "{decode}"
    );
}

#[test]
fn one_run_at_a_time_and_cancel() {
    let env = Env::new();
    // Each trial of this double really takes 400 ms, so the run is still going below.
    env.set_engine("test-double:trial_ms=400");
    let (first, rx) = env.start("quick");
    first.unwrap();
    let second = env.start("quick").0.unwrap_err();
    assert!(
        second.message.contains("already running"),
        "{}",
        second.message
    );
    env.invoke("cancel_run", json!({})).unwrap();
    let events = collect(&rx);
    let (_, status, _) = finished(&events);
    assert_eq!(status, "cancelled");
    // The slot is free again.
    assert!(!env.app.state::<AppState>().slot.is_running());
}

#[test]
fn bad_input_is_one_line_and_changes_nothing() {
    let env = Env::new();
    let (run_id, _, _) = finished(&env.run("test-double"));
    let run_id = run_id.unwrap();
    let runs = || {
        Store::open(&env.config.db_path)
            .unwrap()
            .list_runs(None, 100)
            .unwrap()
    };
    let before = runs();
    for (cmd, body, needle) in [
        ("get_run", json!({"runId": 999}), "999"),
        (
            "export_run",
            json!({"runId": run_id, "format": "pdf"}),
            "unknown format 'pdf'",
        ),
        ("history", json!({"limit": 0}), "at least 1"),
        ("compare", json!({"baseRunId": run_id, "runId": 999}), "999"),
        ("set_baseline", json!({"runId": 999}), "999"),
    ] {
        let e = env.invoke(cmd, body).unwrap_err();
        assert!(e.contains(needle), "{cmd}: {e}");
        assert!(!e.contains('\n'), "{cmd}: {e}");
    }
    let bad = env.start("fastest").0.unwrap_err();
    assert!(bad.message.contains("unknown suite"), "{}", bad.message);
    // An engine that cannot open ends the run with its error; nothing is stored.
    env.set_engine("nope");
    let (started, rx) = env.start("quick");
    started.unwrap();
    let events = collect(&rx);
    let Some(RunEvent::Finished {
        run_id: None,
        status,
        error: Some(err),
        ..
    }) = events.last()
    else {
        panic!("{events:?}")
    };
    assert_eq!(status, "failed");
    assert!(err.contains("unknown engine 'nope'"), "{err}");
    assert_eq!(runs(), before);
}

#[test]
fn use_cases_list_the_five_scenarios_and_a_scenario_run_is_stored() {
    let env = Env::new();
    let list = env.invoke("use_cases", json!({})).unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "classification",
            "summarization",
            "extraction",
            "codegen",
            "rag"
        ]
    );
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["latest"].is_null()));

    env.set_engine("test-double");
    let (tx, rx) = mpsc::channel::<Value>();
    let channel = tauri::ipc::Channel::new(move |body| {
        let _ = tx.send(body.deserialize::<Value>().unwrap());
        Ok(())
    });
    benchbar_app::commands::scenarios::start_scenario(
        env.app.state(),
        "classification".into(),
        Some(3),
        channel,
    )
    .unwrap();
    let finished = loop {
        let e = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("scenario events");
        if e["kind"] == "finished" {
            break e;
        }
        assert_eq!(e["kind"], "scenario_progress", "{e}");
    };
    assert_eq!(finished["status"], "completed", "{finished}");
    let run_id = finished["run_id"].as_i64().unwrap();
    let list = env.invoke("use_cases", json!({})).unwrap();
    let latest = &list[0]["latest"];
    assert_eq!(latest["run_id"], run_id);
    assert_eq!(latest["result"]["items_run"], 3);
    // Validity is computed from the double's outputs (filler words: no label), not assumed.
    let checks = latest["result"]["checks"].as_array().unwrap();
    assert!(checks.iter().any(|c| c["checked"] == 3), "{checks:?}");
    // Unknown scenario: one line, nothing started.
    let (tx2, _rx2) = mpsc::channel::<Value>();
    let e = benchbar_app::commands::scenarios::start_scenario(
        env.app.state(),
        "poetry".into(),
        None,
        tauri::ipc::Channel::new(move |body| {
            let _ = tx2.send(body.deserialize::<Value>().unwrap());
            Ok(())
        }),
    )
    .unwrap_err();
    assert!(e.message.contains("poetry"), "{}", e.message);
}

#[test]
fn history_charts_are_the_reports_distributions_over_the_filtered_runs() {
    let env = Env::new();
    for tps in [100, 80] {
        let (id, status, _) = finished(&env.run(&format!("test-double:decode_tps={tps}")));
        assert!(id.is_some() && status == "completed");
    }
    let specs = env.invoke("history_charts", json!({"limit": 50})).unwrap();
    let by = |stem: &str| {
        specs
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["file_stem"] == stem)
            .unwrap_or_else(|| panic!("{stem} in {specs}"))
            .clone()
    };
    // Quick suite: one batch-1 cell with 5 measured trials per run → 10 requests, 10 trials.
    let bins = |stem: &str| -> u64 {
        by(stem)["kind"]["Histogram"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["count"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(bins("chart-response-time-distribution"), 10);
    assert_eq!(bins("chart-memory-distribution"), 10);
    // Decode per model: one series (builtin:tiny), one point per run, oldest first.
    let series = by("chart-decode-trend")["kind"]["Lines"].clone();
    assert_eq!(series.as_array().unwrap().len(), 1, "{series}");
    let pts = series[0]["points"].as_array().unwrap();
    assert_eq!(pts.len(), 2);
    assert!(
        pts[0][1].as_f64().unwrap() > pts[1][1].as_f64().unwrap(),
        "{pts:?}"
    );
    // Filters apply: no run of another engine → no charts.
    let none = env
        .invoke("history_charts", json!({"engine": "openai", "limit": 50}))
        .unwrap();
    assert_eq!(none, json!([]));
}
