//! The app's state, shared by commands, the tray and run threads.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use benchbar_core::report::RunOrigin;
use benchbar_core::sync::lock_unpoisoned;

use benchbar_service::monitor::{Clock, SystemClock};
use benchbar_service::notify::Announcement;
use benchbar_service::run::{lock_path_for, RunLock};

use crate::error::{CmdError, CmdResult};
use crate::runner::EventSink;
use crate::runs::RunSlot;
use crate::schedule::SharedStatus;
use crate::settings::{self, Settings};

/// Where the app keeps things, and test hooks.
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// History database (the CLI's: `BENCHBAR_DB` or the platform data dir).
    pub db_path: PathBuf,
    /// settings.json.
    pub settings_path: PathBuf,
}

impl AppConfig {
    /// The default places: the CLI's database, settings in the platform config dir
    /// (`BENCHBAR_SETTINGS` overrides it).
    pub fn from_env() -> CmdResult<AppConfig> {
        let settings_path = match std::env::var_os("BENCHBAR_SETTINGS").filter(|p| !p.is_empty()) {
            Some(p) => PathBuf::from(p),
            None => dirs::config_dir()
                .ok_or_else(|| crate::error::CmdError::new("no config directory on this system"))?
                .join("benchbar")
                .join("settings.json"),
        };
        Ok(AppConfig {
            db_path: benchbar_store::default_db_path()?,
            settings_path,
        })
    }
}

/// Sends a regression notification; the real one uses tauri-plugin-notification.
pub trait Notifier: Send + Sync {
    /// Shows the announcement.
    fn notify(&self, a: &Announcement);
}

/// What commands need from the running app (the tray, the run thread). Commands stay free of
/// the runtime type (Tauri's command macro takes no generic commands); [`crate::attach`]
/// installs the implementation for the real or the mock runtime.
pub trait AppHooks: Send + Sync {
    /// Starts a run in the background (see [`crate::runner::spawn`]).
    fn start_run(
        &self,
        suite: String,
        model: String,
        origin: RunOrigin,
        sink: Option<EventSink>,
    ) -> CmdResult<u64>;
    /// Starts a model download (see [`crate::pulls::spawn`]).
    fn start_pull(
        &self,
        repo_id: String,
        sink: Option<tauri::ipc::Channel<crate::pulls::PullEvent>>,
    ) -> CmdResult<()>;
    /// Runs a job (e.g. a scenario) in the run slot (see [`crate::runner::spawn_job`]).
    fn start_job(&self, sink: Option<EventSink>, job: crate::runner::Job) -> CmdResult<u64>;
    /// The settings changed: refresh the tray's model submenu and its login item.
    fn settings_changed(&self);
    /// Registers (or removes) the app as a login item (tauri-plugin-autostart).
    fn set_launch_at_login(&self, on: bool) -> CmdResult<()>;
    /// Shows the dashboard, history or settings window (the panel's links).
    fn open_window(&self, window: crate::windows::Window) -> CmdResult<()>;
}

/// Everything the app shares.
pub struct AppState {
    /// Paths and test hooks.
    pub config: AppConfig,
    /// Current settings.
    pub settings: Mutex<Settings>,
    /// Problem reading the settings file at start (shown once in Settings).
    pub settings_warning: Option<String>,
    /// The one run slot.
    pub slot: Arc<RunSlot>,
    /// Regression notifications.
    pub notifier: Box<dyn Notifier>,
    /// The last announced regression: (baseline run, regressed run), opened from the tray.
    pub last_regression: Mutex<Option<(i64, i64)>>,
    /// Tests only: an engine spec (e.g. `test-double:decode_tps=80`) used instead of the
    /// settings' engine; never set by the real app.
    pub engine_override: Mutex<Option<String>>,
    /// Installed by [`crate::attach`].
    pub hooks: OnceLock<Box<dyn AppHooks>>,
    /// The monitoring schedule's clock (the system clock; tests drive their own).
    pub clock: Arc<dyn Clock>,
    /// What the monitoring schedule did last and when it samples next.
    pub monitor_status: SharedStatus,
    /// The one model download.
    pub pulls: crate::pulls::PullSlot,
    /// Tests only: hub settings (a local test hub, a temp cache) instead of the environment's.
    pub hub_override: Mutex<Option<benchbar_hub::HubConfig>>,
    /// The Prometheus exporter (Settings → "Serve metrics").
    pub exporter: crate::exporter::Exporter,
}

impl AppState {
    /// State with the settings read from `config.settings_path` (defaults when missing or
    /// unreadable; the problem is kept in `settings_warning`).
    pub fn new(config: AppConfig, notifier: Box<dyn Notifier>) -> AppState {
        let (s, warning) = match settings::load(&config.settings_path) {
            Ok(s) => (s, None),
            Err(e) => (Settings::default(), Some(format!("{e} (using defaults)"))),
        };
        let lock = lock_path_for(&config.db_path);
        AppState {
            config,
            settings: Mutex::new(s),
            settings_warning: warning,
            // One benchmark at a time on the machine: the CLI takes the same file lock.
            slot: Arc::new(RunSlot::new(RunLock::across_processes(lock))),
            notifier,
            last_regression: Mutex::new(None),
            engine_override: Mutex::new(None),
            hooks: OnceLock::new(),
            clock: Arc::new(SystemClock),
            monitor_status: SharedStatus::default(),
            pulls: Default::default(),
            hub_override: Mutex::new(None),
            exporter: Default::default(),
        }
    }

    /// The same state on another clock (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> AppState {
        self.clock = clock;
        self
    }

    /// The app hooks (an error before [`crate::attach`] ran).
    pub fn hooks(&self) -> CmdResult<&dyn AppHooks> {
        self.hooks
            .get()
            .map(|h| h.as_ref())
            .ok_or_else(|| CmdError::new("the app is still starting"))
    }

    /// The test engine override, if set.
    pub fn engine_override(&self) -> Option<String> {
        lock_unpoisoned(&self.engine_override).clone()
    }

    /// A copy of the current settings.
    pub fn settings(&self) -> Settings {
        lock_unpoisoned(&self.settings).clone()
    }
}
