//! Shared by the app's mock-runtime tests: an app on Tauri's mock runtime with a real SQLite
//! history in a temp dir, a recording notifier (test double) and a hand-driven clock.
#![allow(dead_code)]

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use benchbar_app::error::CmdResult;
use benchbar_app::events::RunEvent;
use benchbar_app::runner;
use benchbar_app::state::{AppConfig, AppState, Notifier};
use benchbar_core::report::RunOrigin;
use benchbar_service::monitor::Clock;
use benchbar_service::notify::Announcement;
use chrono::{DateTime, Utc};
use serde_json::Value;
use tauri::test::{
    get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY,
};
use tauri::{App, Manager, WebviewWindow, WebviewWindowBuilder};

/// A clock that moves only when the test says so; its `sleep` really waits (briefly), so the
/// app's threads poll it without racing time forward.
#[derive(Debug)]
pub struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    /// Standing at `start`.
    pub fn new(start: &str) -> Arc<TestClock> {
        Arc::new(TestClock(Mutex::new(start.parse().unwrap())))
    }

    /// Moves forward by `d`.
    pub fn advance(&self, d: Duration) {
        *self.0.lock().unwrap() += chrono::Duration::from_std(d).unwrap();
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }

    fn sleep(&self, d: Duration) {
        std::thread::sleep(d.min(Duration::from_millis(10)));
    }
}

/// Records announcements instead of showing them (a test double of the notifier).
#[derive(Clone, Default)]
pub struct RecordingNotifier(pub Arc<Mutex<Vec<Announcement>>>);

impl Notifier for RecordingNotifier {
    fn notify(&self, a: &Announcement) {
        self.0.lock().unwrap().push(a.clone());
    }
}

pub struct Env {
    pub _dir: tempfile::TempDir,
    pub app: App<MockRuntime>,
    pub window: WebviewWindow<MockRuntime>,
    pub notes: RecordingNotifier,
    pub config: AppConfig,
}

impl Env {
    /// An app on the system clock.
    pub fn new() -> Env {
        Env::with_clock(Arc::new(benchbar_service::monitor::SystemClock))
    }

    /// An app whose monitoring schedule runs on `clock`.
    pub fn with_clock(clock: Arc<dyn Clock>) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let config = AppConfig {
            db_path: dir.path().join("history.db"),
            settings_path: dir.path().join("config/settings.json"),
        };
        let notes = RecordingNotifier::default();
        let app = benchbar_app::register(mock_builder())
            .build(mock_context(noop_assets()))
            .unwrap();
        benchbar_app::attach(
            app.handle(),
            AppState::new(config.clone(), Box::new(notes.clone())).with_clock(clock),
        );
        let window = WebviewWindowBuilder::new(&app, "dashboard", Default::default())
            .build()
            .unwrap();
        Env {
            _dir: dir,
            app,
            window,
            notes,
            config,
        }
    }

    /// Calls a command as the webview would.
    pub fn invoke(&self, cmd: &str, body: Value) -> Result<Value, String> {
        let req = tauri::webview::InvokeRequest {
            cmd: cmd.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: tauri::ipc::InvokeBody::Json(body),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&self.window, req)
            .map(|b| b.deserialize::<Value>().unwrap())
            .map_err(|e| e["message"].as_str().unwrap_or(&e.to_string()).to_string())
    }

    /// Makes runs use this engine spec (a test double).
    pub fn set_engine(&self, spec: &str) {
        *self.app.state::<AppState>().engine_override.lock().unwrap() = Some(spec.into());
    }

    /// Starts `suite` on builtin:tiny as a run you started in the app; its events arrive on
    /// the receiver.
    pub fn start(&self, suite: &str) -> (CmdResult<u64>, mpsc::Receiver<RunEvent>) {
        let (tx, rx) = mpsc::channel();
        let started = runner::spawn(
            self.app.handle(),
            suite.into(),
            "builtin:tiny".into(),
            RunOrigin::App,
            Some(Box::new(move |e| {
                let _ = tx.send(e);
            })),
        );
        (started, rx)
    }

    /// Runs the quick suite on the test double and returns every event, `finished` last.
    pub fn run(&self, spec: &str) -> Vec<RunEvent> {
        self.set_engine(spec);
        let (started, rx) = self.start("quick");
        started.unwrap();
        collect(&rx)
    }
}

/// Events until the run ends.
pub fn collect(rx: &mpsc::Receiver<RunEvent>) -> Vec<RunEvent> {
    let mut events = Vec::new();
    loop {
        let e = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("run finished");
        let done = matches!(e, RunEvent::HistoryChanged)
            || matches!(&e, RunEvent::Finished { run_id: None, .. });
        events.push(e);
        if done {
            return events;
        }
    }
}

/// (run id, status, regressions) of the `finished` event.
pub fn finished(events: &[RunEvent]) -> (Option<i64>, String, usize) {
    events
        .iter()
        .find_map(|e| match e {
            RunEvent::Finished {
                run_id,
                status,
                regressions,
                ..
            } => Some((*run_id, status.clone(), *regressions)),
            _ => None,
        })
        .expect("a finished event")
}
