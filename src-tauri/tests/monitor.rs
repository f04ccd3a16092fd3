//! The monitoring schedule in the app, on Tauri's mock runtime with a hand-driven clock and the
//! test double engine (synthetic timings, named as such): off by default, a sample one interval
//! after turning it on, stored with origin `monitor` in the same history; never overlapping a
//! run you started, in either direction.

mod common;

use std::time::{Duration, Instant};

use benchbar_app::state::AppState;
use benchbar_core::report::RunOrigin;
use benchbar_store::Store;
use common::{collect, finished, Env, TestClock};
use serde_json::{json, Value};
use tauri::Manager;

fn wait_until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + Duration::from_secs(60);
    while Instant::now() < end {
        if let Some(v) = f() {
            return v;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}");
}

fn origins(env: &Env) -> Vec<RunOrigin> {
    let store = Store::open(&env.config.db_path).unwrap();
    let runs = store.list_runs(None, 100).unwrap();
    runs.iter().map(|r| r.origin).collect()
}

fn monitor_on(env: &Env) {
    let mut s = env.invoke("get_settings", json!({})).unwrap();
    s["monitor"] =
        json!({"enabled": true, "interval_min": 1, "retention_h": 24, "skip_on_battery": true});
    env.invoke("save_settings", json!({ "settings": s }))
        .unwrap();
}

/// The status, once its last action satisfies `f`.
fn status_when(env: &Env, what: &str, f: impl Fn(&str) -> bool) -> Value {
    wait_until(what, || {
        let s = status(env);
        s["last"].as_str().is_some_and(&f).then_some(s)
    })
}

/// Moves past the next slot and returns the status once it reports a skipped sample.
fn skip_after_next_slot(env: &Env, clock: &TestClock) -> Value {
    clock.advance(Duration::from_secs(61));
    status_when(env, "the skip", |l| l.contains("skipped"))
}

fn status(env: &Env) -> Value {
    env.invoke("monitor_status", json!({})).unwrap()
}

#[test]
fn off_by_default_then_a_sample_one_interval_after_turning_it_on() {
    let clock = TestClock::new("2026-11-26T12:00:00Z");
    let env = Env::with_clock(clock.clone());
    env.set_engine("test-double:decode_tps=90,trial_ms=5");
    assert_eq!(
        env.invoke("get_settings", json!({})).unwrap()["monitor"]["enabled"],
        false
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(status(&env)["enabled"], false);
    monitor_on(&env);
    let next = wait_until("the next sample time", || {
        status(&env)["next_due"].as_str().map(String::from)
    });
    assert_eq!(next, "2026-11-26T12:01:00+00:00");
    assert!(
        origins(&env).is_empty(),
        "nothing runs before the first slot"
    );
    // A dashboard watching runs sees the sample live, as any run.
    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    env.app
        .state::<benchbar_app::runner::Watchers>()
        .add(tauri::ipc::Channel::new(move |body| {
            if let tauri::ipc::InvokeResponseBody::Json(s) = body {
                let _ = tx.send(serde_json::from_str(&s).unwrap());
            }
            Ok(())
        }));
    clock.advance(Duration::from_secs(61));
    wait_until("a stored monitoring sample", || {
        (origins(&env) == [RunOrigin::Monitor]).then_some(())
    });
    let s = status_when(&env, "the status after the sample", |l| {
        l.contains("sample taken")
    });
    assert_eq!(s["next_due"], "2026-11-26T12:02:00+00:00", "{s}");
    let kinds: Vec<String> = rx
        .try_iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    for k in ["cell_started", "trial_done", "finished", "history_changed"] {
        assert!(kinds.iter().any(|x| x == k), "{k} in {kinds:?}");
    }
    // The sample is in the same history the CLI reads, as a quick run.
    let h = env.invoke("history", json!({"limit": 10})).unwrap();
    assert_eq!(h[0]["suite"], "quick", "{h}");
}

#[test]
fn a_failed_sample_says_so_in_the_status() {
    let clock = TestClock::new("2026-11-26T12:00:00Z");
    let env = Env::with_clock(clock.clone());
    // The test double fails every generate call: the sample's run ends as failed.
    env.set_engine("test-double:fail_every=1");
    monitor_on(&env);
    wait_until("the next sample time", || {
        status(&env)["next_due"].as_str().map(String::from)
    });
    clock.advance(Duration::from_secs(61));
    let s = status_when(&env, "the status after the sample", |l| {
        l.starts_with("sample ")
    });
    assert_eq!(s["last"], "sample failed", "{s}");
}

#[test]
fn a_sample_never_overlaps_a_run_you_started_either_way() {
    let clock = TestClock::new("2026-11-26T12:00:00Z");
    let env = Env::with_clock(clock.clone());
    monitor_on(&env);
    wait_until("the schedule", || {
        status(&env)["next_due"].as_str().map(String::from)
    });

    // Your run is going when the sample falls due: the sample is skipped to the next slot.
    env.set_engine("test-double:decode_tps=90,trial_ms=150");
    let (started, rx) = env.start("quick");
    started.unwrap();
    let s = skip_after_next_slot(&env, &clock);
    assert!(
        s["last"]
            .as_str()
            .unwrap()
            .contains("another benchmark is running (app)"),
        "{s}"
    );
    let (id, st, _) = finished(&collect(&rx));
    assert!(id.is_some() && st == "completed", "{st}");
    assert_eq!(
        origins(&env),
        [RunOrigin::App],
        "no sample ran during your run"
    );

    // A sample is going: your run is refused, saying so.
    clock.advance(Duration::from_secs(60));
    let slot = env.app.state::<AppState>().slot.clone();
    wait_until("the sample to hold the run lock", || {
        (slot.lock().holder() == Some(RunOrigin::Monitor)).then_some(())
    });
    let refused = env
        .start("quick")
        .0
        .expect_err("refused while the sample runs")
        .message;
    assert!(refused.contains("already running (monitor)"), "{refused}");
    wait_until("the sample stored", || {
        (origins(&env) == [RunOrigin::Monitor, RunOrigin::App]).then_some(())
    });
}

#[test]
fn a_benchmark_in_a_terminal_on_the_same_database_blocks_the_app_and_its_schedule() {
    use benchbar_service::run::{lock_path_for, RunLock};
    let clock = TestClock::new("2026-11-26T12:00:00Z");
    let env = Env::with_clock(clock.clone());
    env.set_engine("test-double:decode_tps=90,trial_ms=5");
    // This test process stands for `benchbar run` in a terminal.
    let terminal = RunLock::across_processes(lock_path_for(&env.config.db_path));
    let held = terminal.try_acquire(RunOrigin::Cli).unwrap();
    let refused = env.start("quick").0.expect_err("refused").message;
    assert!(refused.contains("already running (cli)"), "{refused}");
    monitor_on(&env);
    wait_until("the schedule", || {
        status(&env)["next_due"].as_str().map(String::from)
    });
    let s = skip_after_next_slot(&env, &clock);
    assert!(s["last"].as_str().unwrap().contains("(cli)"), "{s}");
    drop(held);
    assert!(origins(&env).is_empty());
    let (id, _, _) = finished(&env.run("test-double:decode_tps=90,trial_ms=5"));
    assert!(id.is_some());
}
